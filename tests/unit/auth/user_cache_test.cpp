#include "auth/user_cache.hpp"

#include <gtest/gtest.h>

namespace bakewind::auth {
namespace {

user someone(std::string id, std::string name) {
  return user{std::move(id), "a@b.cd", std::move(name), "staff", "b", "t"};
}

TEST(user_cache, returns_a_fresh_row_and_forgets_a_stale_one) {
  user_cache fresh(std::chrono::seconds(60));
  fresh.put(someone("u1", "Ann"));
  ASSERT_TRUE(fresh.get("u1"));
  EXPECT_EQ(fresh.get("u1")->name, "Ann");
  EXPECT_FALSE(fresh.get("u2"));

  user_cache stale(std::chrono::seconds(0));
  stale.put(someone("u1", "Ann"));
  EXPECT_FALSE(stale.get("u1")) << "a row older than the TTL is not served";
}

TEST(user_cache, a_newer_row_replaces_the_old_one) {
  user_cache cache;
  cache.put(someone("u1", "Ann"));
  cache.put(someone("u1", "Anna"));
  EXPECT_EQ(cache.get("u1")->name, "Anna");
}

TEST(user_cache, stays_within_its_capacity) {
  user_cache cache(std::chrono::seconds(60), 2);
  cache.put(someone("u1", "A"));
  cache.put(someone("u2", "B"));
  cache.put(someone("u3", "C"));
  EXPECT_TRUE(cache.get("u3"));
  EXPECT_FALSE(cache.get("u1") && cache.get("u2")) << "full: older rows were dropped";
}

}  // namespace
}  // namespace bakewind::auth
