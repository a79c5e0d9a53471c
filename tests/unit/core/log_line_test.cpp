#include "core/clock.hpp"
#include "core/json.hpp"
#include "core/log.hpp"
#include "core/log_line.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <string>
#include <vector>

namespace bakewind::core {
namespace {

using std::chrono::milliseconds;
using std::chrono::system_clock;

const system_clock::time_point at = system_clock::time_point(milliseconds(1795799588123));  // 2026-11-27T17:13:08.123Z

std::string json_line(std::string_view message, std::initializer_list<log_field> fields,
                      log_level level = log_level::info) {
  std::string out;
  append_json_line(out, {at, level, message, {fields.begin(), fields.size()}});
  return out;
}

std::string text_line(std::string_view message, std::initializer_list<log_field> fields, bool colour = false,
                      log_level level = log_level::info) {
  std::string out;
  append_text_line(out, {at, level, message, {fields.begin(), fields.size()}}, colour);
  return out;
}

// What the line was before: a boost::json::object serialised by to_json.
std::string dom_line(std::string_view level, std::string_view message, const boost::json::object& fields) {
  boost::json::object line;
  line["time"] = iso8601_ms(at);
  line["level"] = level;
  line["msg"] = message;
  for (const auto& [k, v] : fields) line[k] = v;
  return to_json(line) + "\n";
}

TEST(log_line, json_puts_time_level_message_then_the_fields_in_order) {
  EXPECT_EQ(json_line("listening", {{"host", "127.0.0.1"}, {"port", 8080u}, {"threads", 2}}),
            R"({"time":"2026-11-27T17:13:08.123Z","level":"info","msg":"listening","host":"127.0.0.1","port":8080,"threads":2})"
            "\n");
}

// The line append_json_line writes for (key, value) pairs, and the one the
// DOM it replaces wrote for the same pairs.
template <class... Values>
std::pair<std::string, std::string> both_ways(std::string_view message, const std::pair<const char*, Values>&... fields) {
  const log_field list[] = {log_field(fields.first, fields.second)...};
  std::string line;
  append_json_line(line, {at, log_level::info, message, list});
  boost::json::object dom;
  ((dom[fields.first] = fields.second), ...);
  return {line, dom_line("info", message, dom)};
}

TEST(log_line, json_writes_every_field_kind_as_the_object_it_replaces_did) {
  const boost::json::value nested = boost::json::object{{"a", boost::json::array{1, "x", nullptr}}};
  const std::string owned = "owned";
  const auto [line, before] =
      both_ways("kinds", std::pair{"text", "t"}, std::pair{"string", std::string_view(owned)}, std::pair{"negative", -42},
                std::pair{"big", 18446744073709551615ull}, std::pair{"ms", 0.121}, std::pair{"whole", 3.0},
                std::pair{"tiny", 1e-7}, std::pair{"nan", std::nan("")}, std::pair{"yes", true},
                std::pair{"no", false}, std::pair{"nested", nested});
  EXPECT_EQ(line, before);
  EXPECT_NE(line.find(R"("ms":0.121,"whole":3,"tiny":1e-07,"nan":null,)"), std::string::npos) << line;
}

// A duration is written as the access log wrote it before, from a double:
// std::round(ms * 1000) / 1000 through the DOM (JavaScript's form), and
// "%.3f" in text.
TEST(log_line, durations_are_milliseconds_to_the_microsecond_as_before) {
  std::vector<long long> samples = {0, 1, 499, 500, 999, 1000, 1500, 120000, 290000, 1234567, 1000000, 999999999,
                                    60'000'000'000LL, -1500, -2'000'000};
  std::uint64_t x = 88172645463325252ULL;
  for (int i = 0; i < 20000; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    samples.push_back(static_cast<long long>(x % 100'000'000'000ULL) >> (i % 37));
  }
  for (const long long ns : samples) {
    const double ms = static_cast<double>(ns) / 1e6;
    const double rounded = std::round(ms * 1000) / 1000;
    // Exactly halfway in binary the two roundings may differ by the last
    // microsecond; those few are left out.
    if (std::abs(ms * 1000 - std::floor(ms * 1000) - 0.5) < 1e-6) continue;
    EXPECT_EQ(json_line("m", {{"durationMs", std::chrono::nanoseconds(ns)}}),
              dom_line("info", "m", {{"durationMs", rounded}}))
        << ns;
    char fixed[64];
    std::snprintf(fixed, sizeof fixed, "%.3f", rounded);
    EXPECT_EQ(text_line("m", {{"took", std::chrono::nanoseconds(ns)}}),
              std::string("2026-11-27T17:13:08.123Z info  m took=") + fixed + "\n")
        << ns;
  }
}

TEST(log_line, json_escapes_quotes_backslashes_and_control_characters) {
  const std::string hostile = std::string("a\"b\\c\nd\re\tf\bg\fh") + '\x01' + '\x1f' + '\0' + "i\x7f";
  const auto line = json_line(hostile, {{"k", hostile}});
  EXPECT_EQ(line, dom_line("info", hostile, {{"k", hostile}}));
  EXPECT_NE(line.find(R"("msg":"a\"b\\c\nd\re\tf\bg\fh\u0001\u001f\u0000i)"), std::string::npos) << line;
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "one line";
  const auto parsed = parse_json(line);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->at("msg").as_string(), hostile);
}

// Bytes from 0x80 up pass through as they did: they can be neither a quote,
// a backslash nor a newline, so the line stays one JSON line.
TEST(log_line, json_passes_utf8_and_invalid_bytes_through_as_before) {
  const std::string text = "caf\xc3\xa9 \xe2\x82\xac \xff\xfe \xc3 end";
  const auto line = json_line("bytes", {{"path", text}});
  EXPECT_EQ(line, dom_line("info", "bytes", {{"path", text}}));
  EXPECT_NE(line.find("\"path\":\"" + text + "\"}"), std::string::npos);
  EXPECT_EQ(line.find('\n'), line.size() - 1);
}

TEST(log_line, json_names_each_level_as_log_level_does) {
  EXPECT_NE(json_line("m", {}, log_level::warn).find(R"("level":"warn")"), std::string::npos);
  EXPECT_NE(json_line("m", {}, log_level::critical).find(R"("level":"critical")"), std::string::npos);
  for (const auto* name : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
    log_level level{};
    ASSERT_TRUE(parse_log_level(name, level)) << name;
    EXPECT_EQ(log_level_name(level), name);
  }
  log_level level{};
  EXPECT_FALSE(parse_log_level("warning", level));
  EXPECT_FALSE(parse_log_level("INFO", level));
}

TEST(log_line, text_keeps_the_terminal_form) {
  EXPECT_EQ(text_line("listening", {{"host", "h"}, {"port", 8080}, {"ms", 0.5}, {"ok", true}}),
            "2026-11-27T17:13:08.123Z info  listening host=h port=8080 ms=0.500 ok=true\n");
  EXPECT_EQ(text_line("slow", {}, false, log_level::warn), "2026-11-27T17:13:08.123Z warning slow\n");
  const boost::json::value nested = boost::json::array{1, 2};
  EXPECT_EQ(text_line("m", {{"list", nested}, {"raw", "a\"b"}}), "2026-11-27T17:13:08.123Z info  m list=[1,2] raw=a\"b\n");
}

TEST(log_line, text_colours_the_level_as_spdlog_did) {
  EXPECT_EQ(text_line("up", {}, true), "2026-11-27T17:13:08.123Z \033[32minfo \033[m up\n");
  EXPECT_EQ(text_line("bad", {}, true, log_level::error), "2026-11-27T17:13:08.123Z \033[31m\033[1merror\033[m bad\n");
}

// LOG_LEVEL: a line is written at its level and above, none with off.
TEST(log_line, the_level_filter_keeps_the_level_and_above) {
  init_logging(log_level::warn, log_format::json);
  EXPECT_FALSE(log_enabled(log_level::info));
  EXPECT_TRUE(log_enabled(log_level::warn));
  EXPECT_TRUE(log_enabled(log_level::critical));
  init_logging(log_level::off, log_format::json);
  EXPECT_FALSE(log_enabled(log_level::critical));
  init_logging(log_level::trace, log_format::json);
  EXPECT_TRUE(log_enabled(log_level::trace));
  init_logging(log_level::info, log_format::automatic);
  EXPECT_FALSE(log_enabled(log_level::debug));
  EXPECT_TRUE(log_enabled(log_level::info));
}

}  // namespace
}  // namespace bakewind::core
