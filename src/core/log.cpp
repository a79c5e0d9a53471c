#include "core/log.hpp"

#include "core/log_line.hpp"
#include "core/log_writer.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>
#include <cstring>

namespace bakewind::core {
namespace {

// The process's log: the one mutable global of BakeWind. DESIGN.md wants
// none, but lines come from every layer and every thread, before the App
// exists and after it is gone (main's "fatal", destructors at exit), and a
// log handed down to each of them would be a parameter of every function
// for no gain: logging is process-wide by nature. Constant-initialised and
// never destroyed, so that it works in static constructors and destructors.
struct process_log {
  std::atomic<log_level> level{log_level::info};
  std::atomic<bool> json{false};
  std::atomic<bool> colour{false};
  // Made by the first init_logging and never deleted: a thread may still log
  // while the process exits, after the writer has stopped (its lines are
  // then written at once). Null before: lines go straight to stdout.
  std::atomic<log_writer*> writer{nullptr};
};
constinit process_log the_log;

// spdlog's rule for colours, kept: a terminal whose TERM says it has them.
bool colour_terminal() {
  if (std::getenv("COLORTERM") != nullptr) return true;
  const char* term = std::getenv("TERM");
  if (term == nullptr) return false;
  static constexpr std::array<const char*, 16> terms = {"ansi",  "color", "console", "cygwin", "gnome",  "konsole",
                                                        "kterm", "linux", "msys",    "putty",  "rxvt",   "screen",
                                                        "vt100", "xterm", "alacritty", "vt102"};
  return std::any_of(terms.begin(), terms.end(), [&](const char* t) { return std::strstr(term, t) != nullptr; });
}

void format_line(std::string& out, const log_record& r) {
  if (the_log.json.load(std::memory_order_relaxed)) {
    append_json_line(out, r);
  } else {
    append_text_line(out, r, the_log.colour.load(std::memory_order_relaxed));
  }
}

// What a thread whose lines were dropped (the output blocked) says once
// writing resumes, after its lines that were kept.
void report_drops(std::string& out, std::uint64_t n) {
  const log_field fields[] = {{"dropped", n}};
  format_line(out, {std::chrono::system_clock::now(), log_level::warn, "log lines dropped: the output was blocked", fields});
}

// Process exit: every line logged so far is written; a line logged later
// (another static destructor) goes straight out.
void stop_at_exit() {
  if (auto* w = the_log.writer.load()) w->stop(std::chrono::seconds(5));
}

}  // namespace

void init_logging(log_level level, log_format format, int fd) {
  const bool terminal = isatty(fd) != 0;
  the_log.json = format == log_format::json || (format == log_format::automatic && !terminal);
  the_log.colour = !the_log.json && terminal && colour_terminal();
  the_log.level = level;
  if (the_log.writer.load() != nullptr) return;
  log_writer_options options;
  options.report_drops = report_drops;
  the_log.writer = new log_writer(fd, std::move(options));
  std::atexit(stop_at_exit);
}

bool log_enabled(log_level level) noexcept {
  const auto threshold = the_log.level.load(std::memory_order_relaxed);
  return threshold != log_level::off && level >= threshold;
}

void log(log_level level, std::string_view message, std::initializer_list<log_field> fields) {
  if (!log_enabled(level)) return;
  const log_record r{std::chrono::system_clock::now(), level, message, {fields.begin(), fields.size()}};
  if (auto* w = the_log.writer.load(std::memory_order_acquire)) {
    w->write([&r](std::string& out) { format_line(out, r); });
    return;
  }
  std::string line;
  format_line(line, r);
  [[maybe_unused]] const auto n = ::write(STDOUT_FILENO, line.data(), line.size());
}

bool flush_logs(std::chrono::milliseconds timeout) {
  auto* w = the_log.writer.load();
  return w == nullptr || w->flush(timeout);
}

bool parse_log_level(std::string_view text, log_level& out) {
  for (int i = 0; i <= static_cast<int>(log_level::off); ++i) {
    if (text == log_level_name(static_cast<log_level>(i))) {
      out = static_cast<log_level>(i);
      return true;
    }
  }
  return false;
}

}  // namespace bakewind::core
