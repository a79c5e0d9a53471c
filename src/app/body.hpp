#pragma once
// Reads and validates a JSON request body the way a NestJS ValidationPipe
// (class-validator, whitelist) does: every failing field adds a message, and
// finish() answers 400 with all of them. Unknown fields are ignored; nothing
// is coerced ("2" is not a number, 2.5 is not an integer). A field that is
// null has the wrong type ("notes must be a string"), unlike
// class-validator's @IsOptional, which lets a null through to be stored;
// only nullable fields (nullable_date) take null as a value.

#include "http/request.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bakewind::app {

/// A field that may be absent, null, or a value (PATCH's "dueAt": null clears it).
template <class T>
struct nullable_field {
  bool given = false;      ///< present in the body, null or not
  std::optional<T> value;  ///< empty when null (or absent, or invalid)
};

class body_fields {
 public:
  /// A missing or non-object body reads as {} (every required field then fails).
  explicit body_fields(const http::request& req);

  /// The fields of a nested object; its failures are reported by `parent`,
  /// each message prefixed with `prefix` ("items.0."). `object` and `parent`
  /// must outlive this.
  body_fields(const boost::json::object& object, body_fields& parent, std::string prefix);

  body_fields(const body_fields&) = delete;
  body_fields& operator=(const body_fields&) = delete;

  /// True when the field is present, null included (a null then fails the
  /// type check of the method that reads it).
  bool has(std::string_view name) const { return object_->contains(name); }

  /// True when the field is present and null.
  bool is_null(std::string_view name) const;

  /// A required string of `min`..`max` characters (code points), without NUL.
  std::string text(std::string_view name, std::size_t min, std::size_t max);

  /// An optional string: nullopt when absent; validated like text() when
  /// present (null is not a string).
  std::optional<std::string> optional_text(std::string_view name, std::size_t min, std::size_t max);

  /// A required email address of at most `max` characters.
  std::string email(std::string_view name, std::size_t max);

  /// A required string that is one of `allowed`.
  std::string one_of(std::string_view name, std::initializer_list<std::string_view> allowed);

  /// An optional string that is one of `allowed` when present (null is not).
  std::optional<std::string> optional_one_of(std::string_view name, std::initializer_list<std::string_view> allowed);

  /// A required integer in `min`..`max`. A JSON number with a fraction, a
  /// string or a boolean is not an integer; 2.0 is (JavaScript's
  /// Number.isInteger). 0 when invalid.
  long long integer(std::string_view name, long long min, long long max);

  /// An optional ISO-8601 date-time string (see parse_iso8601_ms) or null;
  /// the value is milliseconds since the epoch.
  nullable_field<long long> nullable_date(std::string_view name);

  /// A required array of `min`..`max` objects: calls `each(fields, index)`
  /// with the fields of every element (messages prefixed "name.index.").
  /// Nothing is called when the array itself is invalid.
  template <class F>
  void objects(std::string_view name, std::size_t min, std::size_t max, F&& each);

  /// Throws http::http_error(400, messages) if any field failed.
  void finish() const;

 private:
  const boost::json::value* field(std::string_view name) const;
  const boost::json::array* array_of_objects(std::string_view name, std::size_t min, std::size_t max);
  std::string label(std::string_view name) const { return prefix_ + std::string(name); }
  void fail(std::string message) { sink_->emplace_back(message); }

  boost::json::object empty_;
  const boost::json::object* object_;
  boost::json::array messages_;
  boost::json::array* sink_;
  std::string prefix_;
};

template <class F>
void body_fields::objects(std::string_view name, std::size_t min, std::size_t max, F&& each) {
  const auto* list = array_of_objects(name, min, max);
  if (list == nullptr) return;
  for (std::size_t i = 0; i < list->size(); ++i) {
    body_fields item((*list)[i].get_object(), *this, label(name) + "." + std::to_string(i) + ".");
    each(item, i);
  }
}

/// True for a plausible email address (local@domain.tld, no spaces).
bool is_email(std::string_view text) noexcept;

/// Length in code points of UTF-8 text (as JavaScript's length counts, near enough).
std::size_t text_length(std::string_view utf8) noexcept;

/// Milliseconds since the epoch of an ISO-8601 date-time
/// `YYYY-MM-DDTHH:MM[:SS[.fraction]][Z|±HH:MM|±HHMM|±HH]` (no offset: UTC;
/// digits past milliseconds are cut), for instants in years 1..9999 UTC;
/// nullopt for anything else, including impossible dates (February 30th).
std::optional<long long> parse_iso8601_ms(std::string_view text) noexcept;

}  // namespace bakewind::app
