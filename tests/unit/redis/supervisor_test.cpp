// The supervisor's decisions without a connection: the silence rule shared
// by the client and the subscriber, and the reconnect attempt count.

#include "redis/detail/supervisor.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>

namespace bakewind::redis::detail {
namespace {

using namespace std::chrono_literals;

struct silence_case {
  const char* what;
  std::chrono::milliseconds last_read;             ///< before now
  std::chrono::milliseconds last_write;            ///< before now
  std::optional<std::chrono::milliseconds> asked;  ///< before now; nullopt: no reply awaited
  silence expected;
};

TEST(judge_silence, pings_an_idle_connection_stalls_a_silent_one_and_drops_one_that_stays_silent) {
  // Defaults of production: idle_ping 1 s, command_timeout 1 s, read_timeout 2 s.
  const options o;
  const silence_case cases[] = {
      {"just used", 10ms, 10ms, std::nullopt, silence::fine},
      {"read recently, written long ago", 500ms, 5000ms, std::nullopt, silence::fine},
      {"written recently, read long ago", 5000ms, 500ms, std::nullopt, silence::fine},
      {"idle just under idle_ping", 999ms, 999ms, std::nullopt, silence::fine},
      {"idle for idle_ping", 1000ms, 1000ms, std::nullopt, silence::ping},
      {"idle for long", 60000ms, 60000ms, std::nullopt, silence::ping},
      {"awaited, asked just now after a long quiet", 60000ms, 0ms, 0ms, silence::fine},
      {"awaited, asked just under command_timeout ago", 60000ms, 999ms, 999ms, silence::fine},
      {"awaited, asked command_timeout ago", 60000ms, 1000ms, 1000ms, silence::stalled},
      {"awaited, asked read_timeout ago", 60000ms, 2000ms, 2000ms, silence::stalled},
      {"awaited, asked over read_timeout ago", 60000ms, 2001ms, 2001ms, silence::drop},
      {"awaited long, but bytes keep coming", 100ms, 5000ms, 5000ms, silence::fine},
      // One slow command ahead of ours: its reply ends the silence.
      {"awaited long, a reply came 999 ms ago", 999ms, 5000ms, 5000ms, silence::fine},
      {"awaited long, last byte command_timeout ago", 1000ms, 5000ms, 5000ms, silence::stalled},
      {"awaited long, last byte over read_timeout ago", 2001ms, 5000ms, 5000ms, silence::drop},
  };
  const auto now = clock::time_point() + 1h;
  for (const auto& c : cases) {
    std::optional<clock::time_point> since;
    if (c.asked) since = now - *c.asked;
    EXPECT_EQ(judge_silence(now, now - c.last_read, now - c.last_write, since, o), c.expected) << c.what;
  }
}

TEST(judge_silence, follows_the_configured_times) {
  options o;
  o.idle_ping = 50ms;
  o.command_timeout = 70ms;
  o.read_timeout = 100ms;
  const auto now = clock::time_point() + 1h;
  EXPECT_EQ(judge_silence(now, now - 50ms, now - 50ms, std::nullopt, o), silence::ping);
  EXPECT_EQ(judge_silence(now, now - 69ms, now - 69ms, now - 69ms, o), silence::fine);
  EXPECT_EQ(judge_silence(now, now - 70ms, now - 70ms, now - 70ms, o), silence::stalled);
  EXPECT_EQ(judge_silence(now, now - 101ms, now - 101ms, now - 101ms, o), silence::drop);
  // A command timeout longer than the read timeout: dropped, never stalled first.
  o.command_timeout = 500ms;
  EXPECT_EQ(judge_silence(now, now - 101ms, now - 101ms, now - 101ms, o), silence::drop);
  EXPECT_EQ(judge_silence(now, now - 99ms, now - 99ms, now - 99ms, o), silence::fine);
}

TEST(attempt_after, a_connection_that_served_a_second_restarts_the_backoff_and_a_shorter_one_grows_it) {
  EXPECT_EQ(attempt_after(0, 1s), 1);
  EXPECT_EQ(attempt_after(7, 1s), 1);
  EXPECT_EQ(attempt_after(7, 1h), 1);
  EXPECT_EQ(attempt_after(0, 999ms), 1);
  EXPECT_EQ(attempt_after(7, 999ms), 8);
  EXPECT_EQ(attempt_after(7, 0ms), 8);
}

}  // namespace
}  // namespace bakewind::redis::detail
