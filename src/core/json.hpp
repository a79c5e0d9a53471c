#pragma once
// JSON helpers over Boost.JSON shared by every layer.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bakewind::core {

/// Parses untrusted text: nullopt when it is not one valid JSON document.
/// Nesting is bounded so that hostile input cannot exhaust the stack.
std::optional<boost::json::value> parse_json(std::string_view text) noexcept;

/// Compact serialisation, the way JavaScript's JSON.stringify writes it:
/// numbers in the shortest form that reads back the same, plain where
/// JavaScript uses plain notation (26.295, 0.121, 1e+21), never Boost.JSON's
/// 2.6295E1; NaN and infinities as null; strings escaped as JSON requires
/// (quote, backslash, control characters), UTF-8 passed through.
std::string to_json(const boost::json::value& v);
std::string to_json(const boost::json::object& o);  ///< without copying it into a value
std::string to_json(const boost::json::array& a);   ///< without copying it into a value

/// to_json appended to `out`.
void append_json(std::string& out, const boost::json::value& v);
void append_json(std::string& out, const boost::json::object& o);
void append_json(std::string& out, const boost::json::array& a);

/// `text` as a JSON string, quoted and escaped as to_json writes strings
/// (UTF-8 and any other byte from 0x80 up passed through), appended to `out`.
void append_json_string(std::string& out, std::string_view text);
/// `d` as to_json writes a double, appended to `out`.
void append_json_number(std::string& out, double d);
/// `n` as to_json writes an integer (plain decimal), appended to `out`.
void append_json_integer(std::string& out, long long n);

/// Whether one of the 8 bytes of `w` must be escaped in a JSON string: below
/// 0x20, a quote or a backslash. How JSON text is scanned eight bytes at a
/// time (append_json_string; the hand-off's reader). Each term is the
/// classic "some byte is zero (or below n)" bit trick, exact for that
/// question.
constexpr bool any_to_escape(std::uint64_t w) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101ULL;
  constexpr std::uint64_t highs = 0x8080808080808080ULL;
  const std::uint64_t quote = w ^ (ones * '"');
  const std::uint64_t backslash = w ^ (ones * '\\');
  return ((((w - ones * 0x20) & ~w) | ((quote - ones) & ~quote) | ((backslash - ones) & ~backslash)) & highs) != 0;
}

/// Writes one JSON object into `out` member by member, with no DOM, the
/// bytes to_json would write for the same members in the same order. Keys
/// are the caller's literals, written as they are (plain ASCII, nothing to
/// escape). close() ends the object; until then a writer can be handed
/// on (returned) for more members.
class object_writer {
 public:
  explicit object_writer(std::string& out) noexcept : out_(out) {}
  object_writer& string(std::string_view key, std::string_view value) {
    name(key);
    append_json_string(out_, value);
    return *this;
  }
  object_writer& integer(std::string_view key, long long value) {
    name(key);
    append_json_integer(out_, value);
    return *this;
  }
  /// A string, or null when there is none.
  object_writer& string_or_null(std::string_view key, const std::optional<std::string>& value) {
    return value ? string(key, *value) : raw(key, "null");
  }
  /// `json`, already JSON text (an array, null, a nested object).
  object_writer& raw(std::string_view key, std::string_view json) {
    name(key);
    out_.append(json);
    return *this;
  }
  /// The member's name and colon; the caller appends its value.
  std::string& member(std::string_view key) {
    name(key);
    return out_;
  }
  void close() {
    if (first_) out_ += '{';
    out_ += '}';
  }

 private:
  void name(std::string_view key) {
    out_ += first_ ? '{' : ',';
    first_ = false;
    out_ += '"';
    out_.append(key);
    out_.append("\":");
  }

  std::string& out_;
  bool first_ = true;
};

}  // namespace bakewind::core
