#pragma once
// JSON helpers over Boost.JSON shared by every layer.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

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

}  // namespace bakewind::core
