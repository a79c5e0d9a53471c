#include "core/log.hpp"

#include "core/clock.hpp"
#include "core/json.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <unistd.h>
#include <array>
#include <chrono>
#include <cstdio>

namespace bakewind::core {
namespace {

// Whether lines are JSON; fixed by init_logging before threads start.
bool json_lines = false;

constexpr std::array<std::string_view, 7> level_names = {"trace", "debug", "info", "warn", "error", "critical", "off"};

spdlog::level::level_enum to_spdlog(log_level level) {
  return static_cast<spdlog::level::level_enum>(static_cast<int>(level));
}

void append_text_value(std::string& out, const boost::json::value& v) {
  if (v.is_string()) {
    out.append(v.get_string().data(), v.get_string().size());
  } else if (v.is_double()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", v.get_double());
    out += buf;
  } else {
    append_json(out, v);
  }
}

}  // namespace

void init_logging(log_level level, log_format format) {
  json_lines = format == log_format::json || (format == log_format::automatic && isatty(STDOUT_FILENO) == 0);
  std::shared_ptr<spdlog::logger> logger;
  if (json_lines) {
    logger = std::make_shared<spdlog::logger>("bakewind", std::make_shared<spdlog::sinks::stdout_sink_mt>());
    logger->set_pattern("%v");
  } else {
    logger = std::make_shared<spdlog::logger>("bakewind", std::make_shared<spdlog::sinks::stdout_color_sink_mt>());
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%-5l%$ %v", spdlog::pattern_time_type::utc);
  }
  logger->set_level(to_spdlog(level));
  // Every line reaches the pipe at once: tests and log shippers read it live.
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(std::move(logger));
}

bool log_enabled(log_level level) noexcept {
  return spdlog::default_logger_raw()->should_log(to_spdlog(level));
}

void log(log_level level, std::string_view message, std::initializer_list<log_field> fields) {
  auto* logger = spdlog::default_logger_raw();
  if (!logger->should_log(to_spdlog(level))) return;
  if (json_lines) {
    boost::json::object line;
    line["time"] = iso8601_ms(std::chrono::system_clock::now());
    line["level"] = level_names[static_cast<int>(level)];
    line["msg"] = message;
    for (const auto& f : fields) line[f.key] = f.value;
    logger->log(to_spdlog(level), to_json(line));
    return;
  }
  std::string text(message);
  for (const auto& f : fields) {
    text += ' ';
    text += f.key;
    text += '=';
    append_text_value(text, f.value);
  }
  logger->log(to_spdlog(level), text);
}

bool parse_log_level(std::string_view text, log_level& out) {
  for (std::size_t i = 0; i < level_names.size(); ++i) {
    if (text == level_names[i]) {
      out = static_cast<log_level>(i);
      return true;
    }
  }
  return false;
}

}  // namespace bakewind::core
