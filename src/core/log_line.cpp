#include "core/log_line.hpp"

#include "core/json.hpp"

#include <array>
#include <charconv>

namespace bakewind::core {
namespace {

// The JSON form's level names, and the text form's: spdlog's, which that
// form used before ("warning"), padded as its "%-5l" padded them.
constexpr std::array<std::string_view, 7> json_names = {"trace", "debug", "info", "warn", "error", "critical", "off"};
constexpr std::array<std::string_view, 7> text_names = {"trace", "debug",   "info ",   "warning",
                                                        "error", "critical", "off  "};
// spdlog's colours for each level, kept so that a terminal looks the same.
constexpr std::array<std::string_view, 7> colours = {"\033[37m",        "\033[36m",        "\033[32m", "\033[33m\033[1m",
                                                     "\033[31m\033[1m", "\033[1m\033[41m", "\033[m"};
constexpr std::string_view reset = "\033[m";

std::size_t index_of(log_level level) noexcept {
  const auto i = static_cast<std::size_t>(level);
  return i < json_names.size() ? i : json_names.size() - 1;
}

template <class Number>
void append_number(std::string& out, Number n) {
  char buf[32];
  out.append(buf, std::to_chars(buf, buf + sizeof buf, n).ptr);
}

// A duration in milliseconds to the microsecond, rounded half up, from
// integers (no floating point on the access log's path): whole
// milliseconds, then three decimals, less their trailing zeros when `trim`
// (JavaScript's way with 1.5 and 2: JSON), else all three ("%.3f": text).
void append_millis(std::string& out, long long nanoseconds, bool trim) {
  if (nanoseconds < 0) {
    out += '-';
    nanoseconds = -nanoseconds;
  }
  const long long micros = (nanoseconds + 500) / 1000;
  append_number(out, micros / 1000);
  auto frac = static_cast<unsigned>(micros % 1000);
  int digits = 3;
  while (trim && digits > 0 && frac % 10 == 0) {
    frac /= 10;
    --digits;
  }
  if (digits == 0) return;
  char buf[4] = {'.', '0', '0', '0'};
  for (int i = digits; i > 0; --i, frac /= 10) buf[i] = static_cast<char>('0' + frac % 10);
  out.append(buf, static_cast<std::size_t>(digits) + 1);
}

void append_json_value(std::string& out, const log_field& f) {
  switch (f.type) {
    case log_field::kind::text: append_json_string(out, f.text); break;
    case log_field::kind::integer: append_number(out, f.integer); break;
    case log_field::kind::unsigned_integer: append_number(out, f.unsigned_integer); break;
    case log_field::kind::real: append_json_number(out, f.real); break;
    case log_field::kind::boolean: out += f.boolean ? "true" : "false"; break;
    case log_field::kind::json: append_json(out, *f.json); break;
    case log_field::kind::millis: append_millis(out, f.nanoseconds, true); break;
  }
}

void append_text_value(std::string& out, const log_field& f) {
  switch (f.type) {
    case log_field::kind::text: out += f.text; break;
    case log_field::kind::real: {
      // As "%.3f" wrote it.
      char buf[352];
      out.append(buf, std::to_chars(buf, buf + sizeof buf, f.real, std::chars_format::fixed, 3).ptr);
      break;
    }
    case log_field::kind::millis: append_millis(out, f.nanoseconds, false); break;
    default: append_json_value(out, f);
  }
}

}  // namespace

std::string_view log_level_name(log_level level) noexcept {
  return json_names[index_of(level)];
}

void append_json_line(std::string& out, const log_record& r) {
  iso8601_text time;
  out += R"({"time":")";
  out += format_iso8601_ms(time, r.time);
  out += R"(","level":")";
  out += log_level_name(r.level);
  out += R"(","msg":)";
  append_json_string(out, r.message);
  for (const auto& f : r.fields) {
    out += ",\"";
    out += f.key;  // a literal with nothing to escape (log_field)
    out += "\":";
    append_json_value(out, f);
  }
  out += "}\n";
}

void append_text_line(std::string& out, const log_record& r, bool colour) {
  iso8601_text time;
  out += format_iso8601_ms(time, r.time);
  out += ' ';
  const auto level = index_of(r.level);
  if (colour) out += colours[level];
  out += text_names[level];
  if (colour) out += reset;
  out += ' ';
  out += r.message;
  for (const auto& f : r.fields) {
    out += ' ';
    out += f.key;
    out += '=';
    append_text_value(out, f);
  }
  out += '\n';
}

}  // namespace bakewind::core
