#include "core/json.hpp"

#include <boost/json/parse.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace bakewind::core {

namespace {

void append_escaped(std::string& out, unsigned char c) {
  static constexpr char hex[] = "0123456789abcdef";
  switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\b': out += "\\b"; break;
    case '\f': out += "\\f"; break;
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    case '\t': out += "\\t"; break;
    default:
      out += "\\u00";
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0xF]);
  }
}

bool to_escape(unsigned char c) noexcept { return c < 0x20 || c == '"' || c == '\\'; }

// How many bytes of `s` come before the first one JSON must escape (all of
// them when none): eight at a time, and the last few as one word padded
// with plain bytes, so that plain text (nearly all of it: every access-log
// line and response goes through here) costs no loop per byte.
std::size_t plain_prefix(std::string_view s) noexcept {
  std::size_t i = 0;
  std::uint64_t word = 0;
  for (; s.size() - i >= 8; i += 8) {
    std::memcpy(&word, s.data() + i, 8);
    if (any_to_escape(word)) break;
  }
  if (s.size() - i < 8) {
    if (i == s.size()) return i;
    word = 0x6161616161616161ULL;  // "aaaaaaaa"
    std::memcpy(&word, s.data() + i, s.size() - i);
    if (!any_to_escape(word)) return s.size();
  }
  while (!to_escape(static_cast<unsigned char>(s[i]))) ++i;  // the word holds one
  return i;
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  std::size_t plain = plain_prefix(s);
  if (plain == s.size()) {
    // One resize instead of three appends.
    const std::size_t at = out.size();
    out.resize(at + s.size() + 2);
    char* d = out.data() + at;
    d[0] = '"';
    if (!s.empty()) std::memcpy(d + 1, s.data(), s.size());
    d[s.size() + 1] = '"';
    return;
  }
  out.push_back('"');
  for (std::size_t from = 0;;) {
    out.append(s.data() + from, plain - from);
    if (plain == s.size()) break;
    append_escaped(out, static_cast<unsigned char>(s[plain]));
    from = plain + 1;
    plain = from + plain_prefix(s.substr(from));
  }
  out.push_back('"');
}

namespace {

template <class Integer>
void append_integer(std::string& out, Integer n) {
  char buf[24];
  out.append(buf, std::to_chars(buf, buf + sizeof buf, n).ptr);
}

}  // namespace

void append_json_integer(std::string& out, long long n) {
  append_integer(out, n);
}

// The shortest text that reads back as the same double, in plain notation
// where JavaScript uses it (1e-6 <= |d| < 1e21): 26.295 and 1000000, not
// 2.6295E1 (Boost.JSON) or 1e+06 (to_chars' shortest). JSON has no NaN or
// infinity: null, as JSON.stringify writes them.
void append_json_number(std::string& out, double d) {
  if (!std::isfinite(d)) {
    out += "null";
    return;
  }
  const double a = std::fabs(d);
  const auto format = a == 0 || (a >= 1e-6 && a < 1e21) ? std::chars_format::fixed : std::chars_format::scientific;
  char buf[64];
  out.append(buf, std::to_chars(buf, buf + sizeof buf, d, format).ptr);
}

namespace {

void append_value(std::string& out, const boost::json::value& v);

void append_array(std::string& out, const boost::json::array& a) {
  out.push_back('[');
  bool first = true;
  for (const auto& e : a) {
    if (!first) out.push_back(',');
    first = false;
    append_value(out, e);
  }
  out.push_back(']');
}

void append_object(std::string& out, const boost::json::object& o) {
  out.push_back('{');
  bool first = true;
  for (const auto& [key, e] : o) {
    if (!first) out.push_back(',');
    first = false;
    append_json_string(out, key);
    out.push_back(':');
    append_value(out, e);
  }
  out.push_back('}');
}

void append_value(std::string& out, const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null: out += "null"; break;
    case boost::json::kind::bool_: out += v.get_bool() ? "true" : "false"; break;
    case boost::json::kind::int64: append_integer(out, v.get_int64()); break;
    case boost::json::kind::uint64: append_integer(out, v.get_uint64()); break;
    case boost::json::kind::double_: append_json_number(out, v.get_double()); break;
    case boost::json::kind::string: append_json_string(out, v.get_string()); break;
    case boost::json::kind::array: append_array(out, v.get_array()); break;
    case boost::json::kind::object: append_object(out, v.get_object()); break;
  }
}

}  // namespace

std::optional<boost::json::value> parse_json(std::string_view text) noexcept {
  boost::json::parse_options options;
  options.max_depth = 64;
  boost::system::error_code ec;
  try {
    auto v = boost::json::parse(text, ec, {}, options);
    if (ec) return std::nullopt;
    return v;
  } catch (...) {  // allocation failure on absurd input
    return std::nullopt;
  }
}

void append_json(std::string& out, const boost::json::value& v) {
  append_value(out, v);
}

void append_json(std::string& out, const boost::json::object& o) {
  append_object(out, o);
}

void append_json(std::string& out, const boost::json::array& a) {
  append_array(out, a);
}

std::string to_json(const boost::json::value& v) {
  std::string out;
  append_value(out, v);
  return out;
}

std::string to_json(const boost::json::object& o) {
  std::string out;
  append_object(out, o);
  return out;
}

std::string to_json(const boost::json::array& a) {
  std::string out;
  append_array(out, a);
  return out;
}

}  // namespace bakewind::core
