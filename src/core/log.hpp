#pragma once
// Process-wide logging: JSON lines when stdout is not a terminal (or
// LOG_FORMAT=json), readable text otherwise. Fields travel as key/value pairs
// so that the JSON form stays structured and nothing needs escaping by the
// caller. A line is formatted straight into its thread's buffer, and one
// writer thread writes the buffers out (log_writer.hpp): no lock is shared by
// the event loops per line and none of them ever waits on stdout.

#include <boost/json/value.hpp>

#include <chrono>
#include <concepts>
#include <initializer_list>
#include <string>
#include <string_view>
#include <unistd.h>

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

/// One structured field of a log line: a key and a text, number, bool or
/// (rarely) a JSON value. It refers to the caller's key, text and JSON value
/// without copying them, so build fields in the log call itself (temporaries
/// there live until the line is formatted); nothing is allocated per field.
///
/// The key is the caller's literal, plain ASCII with nothing to escape: it
/// is written as it is.
struct log_field {
  enum class kind : unsigned char { text, integer, unsigned_integer, real, boolean, json, millis };

  log_field(std::string_view k, std::string_view v) noexcept : key(k), type(kind::text), text(v) {}
  log_field(std::string_view k, const std::string& v) noexcept : log_field(k, std::string_view(v)) {}
  log_field(std::string_view k, const char* v) noexcept : log_field(k, std::string_view(v)) {}
  log_field(std::string_view k, bool v) noexcept : key(k), type(kind::boolean), boolean(v) {}
  template <std::signed_integral N>
  log_field(std::string_view k, N v) noexcept : key(k), type(kind::integer), integer(v) {}
  template <std::unsigned_integral N>
  log_field(std::string_view k, N v) noexcept : key(k), type(kind::unsigned_integer), unsigned_integer(v) {}
  template <std::floating_point N>
  log_field(std::string_view k, N v) noexcept : key(k), type(kind::real), real(v) {}
  /// A duration, written in milliseconds to the microsecond (1.234; JSON
  /// drops trailing zeros as JavaScript does, text keeps three decimals).
  log_field(std::string_view k, std::chrono::nanoseconds v) noexcept : key(k), type(kind::millis), nanoseconds(v.count()) {}
  /// A structured value (an object, an array): written as JSON in both formats.
  log_field(std::string_view k, const boost::json::value& v) noexcept : key(k), type(kind::json), json(&v) {}

  std::string_view key;
  kind type;
  union {
    std::string_view text;
    long long integer;
    unsigned long long unsigned_integer;
    double real;
    long long nanoseconds;
    bool boolean;
    const boost::json::value* json;
  };
};

/// Sets up the process's log: its level and format, written to `fd` (stdout
/// by default) by one writer thread started by the first call; later calls
/// change the level and format only (the first call's `fd` stays). Call it
/// before other threads log. Until it is called, lines at info and up are
/// written to stdout as text, one write(2) each. Also makes process exit
/// (return from main, std::exit) write out every line logged before it.
void init_logging(log_level level, log_format format, int fd = STDOUT_FILENO);

/// True when lines at `level` are written (to skip building costly fields).
bool log_enabled(log_level level) noexcept;

/// Formats one line (the time, the level, the message, then the fields in
/// order) into this thread's buffer; it reaches the output within 100 ms, in
/// order with this thread's other lines. Never waits for the output: when it
/// is blocked and the buffer is full, the line is dropped and counted, and
/// the count is logged once writing resumes.
void log(log_level level, std::string_view message, std::initializer_list<log_field> fields = {});

/// Writes out every line logged before the call: true once they are written,
/// false when the output stayed blocked for `timeout`. For the shutdown path;
/// blocks the caller, so never call it on an event loop.
bool flush_logs(std::chrono::milliseconds timeout = std::chrono::seconds(5));

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
