#include "app/body.hpp"

#include "http/response.hpp"

#include <cmath>

namespace bakewind::app {

body_fields::body_fields(const http::request& req) : object_(&empty_), sink_(&messages_) {
  if (req.json && req.json->is_object()) object_ = &req.json->as_object();
}

body_fields::body_fields(const boost::json::object& object, body_fields& parent, std::string prefix)
    : object_(&object), sink_(parent.sink_), prefix_(parent.prefix_ + std::move(prefix)) {}

const boost::json::value* body_fields::field(std::string_view name) const {
  const auto* v = object_->if_contains(name);
  return v != nullptr && !v->is_null() ? v : nullptr;
}

bool body_fields::is_null(std::string_view name) const {
  const auto* v = object_->if_contains(name);
  return v != nullptr && v->is_null();
}

std::optional<std::string> body_fields::optional_text(std::string_view name, std::size_t min, std::size_t max) {
  if (!has(name)) return std::nullopt;
  return text(name, min, max);
}

std::string body_fields::text(std::string_view name, std::size_t min, std::size_t max) {
  const std::string n = label(name);
  const auto* v = field(name);
  if (v == nullptr || !v->is_string()) {
    fail(n + " must be a string");
    if (min > 0) fail(n + " should not be empty");
    return {};
  }
  std::string value(v->get_string());
  const auto length = text_length(value);
  if (min > 0 && length == 0) {
    fail(n + " should not be empty");
  } else if (length < min) {
    fail(n + " must be longer than or equal to " + std::to_string(min) + " characters");
  }
  if (length > max) fail(n + " must be shorter than or equal to " + std::to_string(max) + " characters");
  // PostgreSQL text cannot hold NUL: refuse it here rather than fail there.
  if (value.find('\0') != std::string::npos) fail(n + " must not contain NUL characters");
  return value;
}

std::string body_fields::email(std::string_view name, std::size_t max) {
  const std::string n = label(name);
  const auto* v = field(name);
  if (v == nullptr || !v->is_string()) {
    fail(n + " must be an email");
    return {};
  }
  std::string value(v->get_string());
  if (text_length(value) > max) fail(n + " must be shorter than or equal to " + std::to_string(max) + " characters");
  if (!is_email(value)) fail(n + " must be an email");
  return value;
}

std::string body_fields::one_of(std::string_view name, std::initializer_list<std::string_view> allowed) {
  const std::string n = label(name);
  const auto* v = field(name);
  if (v != nullptr && v->is_string()) {
    for (const auto a : allowed) {
      if (v->get_string() == a) return std::string(a);
    }
  }
  std::string list;
  for (const auto a : allowed) {
    if (!list.empty()) list += ", ";
    list += a;
  }
  fail(n + " must be one of the following values: " + list);
  return {};
}

std::optional<std::string> body_fields::optional_one_of(std::string_view name,
                                                        std::initializer_list<std::string_view> allowed) {
  if (!has(name)) return std::nullopt;
  return one_of(name, allowed);
}

long long body_fields::integer(std::string_view name, long long min, long long max) {
  const std::string n = label(name);
  const auto* v = field(name);
  // JSON numbers are JavaScript numbers: 2.0 is the integer 2, 2.5 is not one.
  if (v != nullptr && v->is_double()) {
    const double d = v->get_double();
    if (std::isfinite(d) && std::trunc(d) == d) {
      if (d < static_cast<double>(min)) {
        fail(n + " must not be less than " + std::to_string(min));
      } else if (d > static_cast<double>(max)) {
        fail(n + " must not be greater than " + std::to_string(max));
      } else {
        return static_cast<long long>(d);
      }
      return 0;
    }
  }
  if (v == nullptr || !(v->is_int64() || v->is_uint64())) {
    fail(n + " must be an integer number");
    return 0;
  }
  if (v->is_uint64() || v->get_int64() > max) {
    fail(n + " must not be greater than " + std::to_string(max));
    return 0;
  }
  if (v->get_int64() < min) {
    fail(n + " must not be less than " + std::to_string(min));
    return 0;
  }
  return v->get_int64();
}

nullable_field<long long> body_fields::nullable_date(std::string_view name) {
  nullable_field<long long> out;
  const auto* v = object_->if_contains(name);
  if (v == nullptr) return out;
  out.given = true;
  if (v->is_null()) return out;
  if (v->is_string()) out.value = parse_iso8601_ms(std::string_view(v->get_string()));
  if (!out.value) fail(label(name) + " must be a valid ISO 8601 date string");
  return out;
}

const boost::json::array* body_fields::array_of_objects(std::string_view name, std::size_t min, std::size_t max) {
  const std::string n = label(name);
  const auto* v = field(name);
  if (v == nullptr || !v->is_array()) {
    fail(n + " must be an array");
    return nullptr;
  }
  const auto& list = v->get_array();
  bool ok = true;
  if (list.size() < min) {
    fail(n + " must contain at least " + std::to_string(min) + " elements");
    ok = false;
  }
  if (list.size() > max) {
    fail(n + " must contain no more than " + std::to_string(max) + " elements");
    ok = false;
  }
  for (const auto& e : list) {
    if (!e.is_object()) {
      fail("each value in " + n + " must be an object");
      ok = false;
      break;
    }
  }
  return ok ? &list : nullptr;
}

void body_fields::finish() const {
  if (!sink_->empty()) throw http::http_error(400, *sink_);
}

bool is_email(std::string_view text) noexcept {
  const auto at = text.find('@');
  if (at == std::string_view::npos || at == 0 || at != text.rfind('@') || text.size() > 320) return false;
  const auto local = text.substr(0, at);
  const auto domain = text.substr(at + 1);
  if (local.size() > 64 || domain.size() < 3) return false;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F || c == '(' || c == ')' || c == ',' || c == ';' || c == ':' || c == '<' || c == '>' ||
        c == '[' || c == ']' || c == '\\' || c == '"') {
      return false;
    }
  }
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) return false;
  const auto dot = domain.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 2 > domain.size()) return false;
  if (domain.front() == '.' || domain.front() == '-' || domain.find("..") != std::string_view::npos) return false;
  const auto tld = domain.substr(dot + 1);
  for (const char c : tld) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return tld.size() >= 2;
}

std::size_t text_length(std::string_view utf8) noexcept {
  std::size_t n = 0;
  for (const char c : utf8) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

namespace {

// Reads exactly `n` digits at `pos`; -1 when they are not all there.
int digits(std::string_view s, std::size_t& pos, std::size_t n) noexcept {
  if (pos + n > s.size()) return -1;
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  pos += n;
  return v;
}

bool is_leap(int y) noexcept {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int days_in_month(int y, int m) noexcept {
  static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
long long days_from_civil(long long y, unsigned m, unsigned d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long long>(doe) - 719468;
}

// What an ISO 8601 date-time says, field by field.
struct date_time {
  int year = 0;
  int month = 0;
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  int millis = 0;
  int offset_minutes = 0;  // east of UTC
};

// Each reader below takes its part at `p` and moves `p` past it; false when
// the text there is not that part.

// YYYY-MM-DD, a day that exists in that month.
bool read_date(std::string_view s, std::size_t& p, date_time& t) noexcept {
  t.year = digits(s, p, 4);
  if (t.year < 1 || p >= s.size() || s[p++] != '-') return false;
  t.month = digits(s, p, 2);
  if (t.month < 1 || t.month > 12 || p >= s.size() || s[p++] != '-') return false;
  t.day = digits(s, p, 2);
  return t.day >= 1 && t.day <= days_in_month(t.year, t.month);
}

// 1 to 9 digits of a second; the first three kept, as ms.
bool read_fraction(std::string_view s, std::size_t& p, int& millis) noexcept {
  std::size_t n = 0;
  for (; p < s.size() && s[p] >= '0' && s[p] <= '9'; ++p, ++n) {
    if (n < 3) millis = millis * 10 + (s[p] - '0');
  }
  if (n == 0 || n > 9) return false;
  for (; n < 3; ++n) millis *= 10;
  return true;
}

// Thh:mm, then optionally :ss and a fraction (after '.' or ',').
bool read_time(std::string_view s, std::size_t& p, date_time& t) noexcept {
  if (p >= s.size() || (s[p] != 'T' && s[p] != 't')) return false;
  ++p;
  t.hour = digits(s, p, 2);
  if (t.hour < 0 || t.hour > 23 || p >= s.size() || s[p++] != ':') return false;
  t.minute = digits(s, p, 2);
  if (t.minute < 0 || t.minute > 59) return false;
  if (p >= s.size() || s[p] != ':') return true;
  ++p;
  t.second = digits(s, p, 2);
  if (t.second < 0 || t.second > 59) return false;
  if (p >= s.size() || (s[p] != '.' && s[p] != ',')) return true;
  ++p;
  return read_fraction(s, p, t.millis);
}

// Z, +hh, +hh:mm or +hhmm (or -), or nothing at all (UTC).
bool read_offset(std::string_view s, std::size_t& p, int& offset_minutes) noexcept {
  if (p < s.size() && (s[p] == 'Z' || s[p] == 'z')) {
    ++p;
    return true;
  }
  if (p >= s.size() || (s[p] != '+' && s[p] != '-')) return true;
  const int sign = s[p++] == '-' ? -1 : 1;
  const int oh = digits(s, p, 2);
  if (oh < 0 || oh > 23) return false;
  int om = 0;
  if (p < s.size()) {
    if (s[p] == ':') ++p;
    om = digits(s, p, 2);
    if (om < 0 || om > 59) return false;
  }
  offset_minutes = sign * (oh * 60 + om);
  return true;
}

}  // namespace

std::optional<long long> parse_iso8601_ms(std::string_view s) noexcept {
  std::size_t p = 0;
  date_time t;
  if (!read_date(s, p, t) || !read_time(s, p, t) || !read_offset(s, p, t.offset_minutes) || p != s.size()) {
    return std::nullopt;
  }
  const long long days = days_from_civil(t.year, static_cast<unsigned>(t.month), static_cast<unsigned>(t.day));
  const long long ms =
      ((days * 24 + t.hour) * 60 + t.minute - t.offset_minutes) * 60000LL + t.second * 1000LL + t.millis;
  // Years 1..9999 in UTC, so that every stored instant prints as YYYY-...
  constexpr long long first_ms = -62135596800000LL;  // 0001-01-01T00:00:00.000Z
  constexpr long long last_ms = 253402300799999LL;   // 9999-12-31T23:59:59.999Z
  if (ms < first_ms || ms > last_ms) return std::nullopt;
  return ms;
}

}  // namespace bakewind::app
