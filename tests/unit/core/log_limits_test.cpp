// core/log_limits.hpp: an episode is begun and ended once each; a throttle
// lets one caller through per period.

#include "core/log_limits.hpp"

#include <gtest/gtest.h>

namespace bakewind::core {
namespace {

TEST(log_limits, an_episode_starts_and_ends_once) {
  episode e;
  EXPECT_FALSE(e.ongoing());
  EXPECT_FALSE(e.end()) << "nothing to end";
  EXPECT_TRUE(e.begin());
  EXPECT_FALSE(e.begin()) << "already going on: not logged again";
  EXPECT_TRUE(e.ongoing());
  EXPECT_TRUE(e.end());
  EXPECT_FALSE(e.end());
  EXPECT_TRUE(e.begin()) << "a new episode";
}

TEST(log_limits, a_throttle_lets_one_through_per_period) {
  using namespace std::chrono_literals;
  throttle t(10s);
  const auto start = std::chrono::steady_clock::time_point(1h);
  EXPECT_TRUE(t.allow(start));
  EXPECT_FALSE(t.allow(start + 1s));
  EXPECT_FALSE(t.allow(start + 9s));
  EXPECT_TRUE(t.allow(start + 10s));
  EXPECT_FALSE(t.allow(start + 12s));
}

}  // namespace
}  // namespace bakewind::core
