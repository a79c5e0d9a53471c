#pragma once
// How a log line is written, as pure functions over a string: the JSON form
// (one object per line) and the text form of a terminal. They append to the
// caller's buffer and allocate nothing beyond its growth.

#include "core/clock.hpp"
#include "core/log.hpp"

#include <chrono>
#include <span>
#include <string>
#include <string_view>

namespace bakewind::core {

/// One line as log() received it.
struct log_record {
  std::chrono::system_clock::time_point time;
  log_level level;
  std::string_view message;
  std::span<const log_field> fields;
};

/// The level's name in LOG_LEVEL and in the JSON form: "trace".."off".
std::string_view log_level_name(log_level level) noexcept;

/// Appends `r` as one JSON object and a newline:
/// {"time":"...","level":"info","msg":"...",<fields in order>}. Texts are
/// escaped as to_json escapes them (quote, backslash, control characters
/// as \uXXXX or their short form); bytes from 0x80 up, valid UTF-8 or not,
/// pass through, so a line never breaks. Numbers as to_json writes them.
void append_json_line(std::string& out, const log_record& r);

/// Appends `r` as text and a newline: "<time> <level> <msg> key=value ...",
/// the level named as before ("warning") and padded to 5 characters, in its
/// colour when `colour` (ANSI escapes); texts as they are, doubles with 3
/// decimals, structured values as JSON.
void append_text_line(std::string& out, const log_record& r, bool colour);

}  // namespace bakewind::core
