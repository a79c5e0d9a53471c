#pragma once
// Query parameters: text or SQL NULL, always sent in text format.

#include <concepts>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bakewind::pg {

/// One query parameter: text or SQL NULL, sent in PostgreSQL's text format.
/// Owns a copy of its text, so a `param` stays valid for as long as a query
/// that holds it is suspended. Constructors are implicit so that a call reads
/// `query(sql, {name, 42, nullptr})`.
class param {
 public:
  /// SQL NULL.
  param(std::nullptr_t) noexcept {}
  /// SQL NULL.
  param(std::nullopt_t) noexcept {}
  /// The text, copied.
  param(std::string_view text) : text_(std::in_place, text) {}
  /// The text, copied.
  param(const std::string& text) : text_(text) {}
  /// The text, moved in.
  param(std::string&& text) : text_(std::move(text)) {}
  /// The text, copied; a null pointer is SQL NULL.
  param(const char* text) {
    if (text != nullptr) text_.emplace(text);
  }
  /// "true" or "false".
  param(bool value) : text_(value ? "true" : "false") {}
  /// Decimal text of any integer type but `bool` and the character types.
  template <std::integral T>
    requires(!std::same_as<T, bool> && !std::same_as<T, char> && !std::same_as<T, char8_t> &&
             !std::same_as<T, char16_t> && !std::same_as<T, char32_t> && !std::same_as<T, wchar_t>)
  param(T value) : text_(std::to_string(value)) {}
  /// SQL NULL when empty, else whatever `param(*value)` gives.
  template <class T>
    requires std::constructible_from<param, const T&>
  param(const std::optional<T>& value) : param(nullptr) {
    if (value) *this = param(*value);
  }
  /// A character is ambiguous (a letter or a number?): convert explicitly.
  param(char) = delete;

  /// True for SQL NULL.
  bool is_null() const noexcept { return !text_.has_value(); }

  /// NUL-terminated text, or nullptr for NULL; valid while this param lives unchanged.
  const char* c_str() const noexcept { return text_ ? text_->c_str() : nullptr; }

 private:
  std::optional<std::string> text_;
};

/// The parameter list for a query, built from any values a `param` accepts:
/// `co_await pool.query("... $1, $2", pg::params(name, 42))`. Prefer it to a
/// braced list inside `co_await`: GCC 12 rejects a non-empty
/// std::initializer_list<param> there ("array used as initializer").
template <class... Args>
std::vector<param> params(Args&&... args) {
  std::vector<param> list;
  list.reserve(sizeof...(Args));
  (list.emplace_back(std::forward<Args>(args)), ...);
  return list;
}

}  // namespace bakewind::pg
