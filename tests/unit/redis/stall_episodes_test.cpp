// One episode for the process however many of its connections stop hearing
// Redis: counted when the first stalls, over when the last hears it again.

#include "redis/stall_episodes.hpp"

#include <gtest/gtest.h>

namespace bakewind::redis {
namespace {

using namespace std::chrono_literals;

TEST(stall_episodes, connections_that_stall_together_make_one_episode) {
  stall_episodes e;
  EXPECT_EQ(e.count(), 0u);
  e.began("a:1", 1000ms);
  e.began("a:1", 1000ms);  // a second loop's connection
  EXPECT_EQ(e.count(), 1u);
  e.ended("a:1");
  e.began("a:1", 1000ms);  // the first one again, while the second still waits
  EXPECT_EQ(e.count(), 1u);
  e.ended("a:1");
  e.ended("a:1");
  e.began("a:1", 1000ms);  // all had heard it: a new episode
  EXPECT_EQ(e.count(), 2u);
}

TEST(stall_episodes, an_end_without_a_beginning_changes_nothing) {
  stall_episodes e;
  e.ended("a:1");
  e.began("a:1", 1000ms);
  EXPECT_EQ(e.count(), 1u);
  e.ended("a:1");
  e.ended("a:1");
  e.began("a:1", 1000ms);
  EXPECT_EQ(e.count(), 2u);
}

}  // namespace
}  // namespace bakewind::redis
