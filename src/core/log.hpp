#pragma once
// Process-wide logging on spdlog: JSON lines when stdout is not a terminal
// (or LOG_FORMAT=json), readable text otherwise. Fields travel as key/value
// pairs so that the JSON form stays structured and nothing needs escaping by
// the caller.

#include <boost/json/value.hpp>

#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace bakewind::core {

enum class log_level { trace, debug, info, warn, error, critical, off };
enum class log_format { automatic, json, text };
/// ACCESS_LOG: one line per request (on), only for answers of 400 and up
/// (errors), or none (off).
enum class access_log { on, errors, off };

/// Whether ACCESS_LOG `mode` keeps a line for an answer with `status`.
constexpr bool access_logged(access_log mode, unsigned status) noexcept {
  return mode == access_log::on || (mode == access_log::errors && status >= 400);
}

/// One structured field of a log line: a key and a text, number, bool or JSON value.
struct log_field {
  log_field(std::string_view k, std::string_view v) : key(k), value(boost::json::string_view(v.data(), v.size())) {}
  log_field(std::string_view k, const std::string& v) : log_field(k, std::string_view(v)) {}
  log_field(std::string_view k, const char* v) : log_field(k, std::string_view(v)) {}
  log_field(std::string_view k, bool v) : key(k), value(v) {}
  template <class N>
  requires std::is_arithmetic_v<N> log_field(std::string_view k, N v) : key(k), value(v) {}
  log_field(std::string_view k, boost::json::value v) : key(k), value(std::move(v)) {}

  std::string_view key;
  boost::json::value value;
};

/// Sets up the default logger. Call once, before any thread logs.
void init_logging(log_level level, log_format format);

/// True when lines at `level` are written (to skip building costly fields).
bool log_enabled(log_level level) noexcept;

/// Writes one line: the message plus the fields, in order.
void log(log_level level, std::string_view message, std::initializer_list<log_field> fields = {});

inline void log_info(std::string_view m, std::initializer_list<log_field> f = {}) {
  log(log_level::info, m, f);
}
inline void log_warn(std::string_view m, std::initializer_list<log_field> f = {}) {
  log(log_level::warn, m, f);
}
inline void log_error(std::string_view m, std::initializer_list<log_field> f = {}) {
  log(log_level::error, m, f);
}
inline void log_debug(std::string_view m, std::initializer_list<log_field> f = {}) {
  log(log_level::debug, m, f);
}

/// Parses "trace".."off"; false when the text is none of them.
bool parse_log_level(std::string_view text, log_level& out);

}  // namespace bakewind::core
