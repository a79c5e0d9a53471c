#pragma once
// Reads and validates a JSON request body the way a NestJS ValidationPipe
// (class-validator, whitelist) does: every failing field adds a message, and
// finish() answers 400 with all of them. Unknown fields are ignored; nothing
// is coerced ("2" is not a number).

#include "http/request.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bakewind::app {

class body_fields {
 public:
  /// A missing or non-object body reads as {} (every required field then fails).
  explicit body_fields(const http::request& req);

  /// A required string of `min`..`max` characters (code points).
  std::string text(std::string_view name, std::size_t min, std::size_t max);

  /// An optional string: nullopt when absent; validated like text() when present.
  std::optional<std::string> optional_text(std::string_view name, std::size_t min, std::size_t max);

  /// A required email address of at most `max` characters.
  std::string email(std::string_view name, std::size_t max);

  /// A required string that is one of `allowed`.
  std::string one_of(std::string_view name, std::initializer_list<std::string_view> allowed);

  /// Throws http::http_error(400, messages) if any field failed.
  void finish() const;

 private:
  const boost::json::value* field(std::string_view name) const;
  void fail(std::string message) { messages_.emplace_back(message); }

  boost::json::object empty_;
  const boost::json::object* object_;
  boost::json::array messages_;
};

/// True for a plausible email address (local@domain.tld, no spaces).
bool is_email(std::string_view text) noexcept;

/// Length in code points of UTF-8 text (as JavaScript's length counts, near enough).
std::size_t text_length(std::string_view utf8) noexcept;

}  // namespace bakewind::app
