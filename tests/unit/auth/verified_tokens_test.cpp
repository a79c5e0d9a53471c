// auth/verified_tokens.hpp: what a loop remembers of the tokens it verified.

#include "auth/verified_tokens.hpp"

#include <gtest/gtest.h>

namespace bakewind::auth {
namespace {

claims access_until(long long exp) {
  claims c;
  c.sub = "user";
  c.jti = "jti";
  c.exp = exp;
  return c;
}

TEST(verified_tokens, only_the_exact_token_remembered_is_found) {
  verified_tokens cache(8);
  EXPECT_FALSE(cache.find("a.b.c", 100)) << "never verified";
  cache.remember("a.b.c", access_until(200));
  ASSERT_TRUE(cache.find("a.b.c", 100));
  EXPECT_EQ(cache.find("a.b.c", 100)->sub, "user");
  EXPECT_FALSE(cache.find("a.b.d", 100)) << "another signature is another token";
  EXPECT_FALSE(cache.find("a.b.c ", 100));
}

TEST(verified_tokens, expiry_is_checked_on_every_use) {
  verified_tokens cache(8);
  cache.remember("t", access_until(200));
  EXPECT_TRUE(cache.find("t", 199));
  EXPECT_FALSE(cache.find("t", 200)) << "expired at exp, as jwt_codec::verify says";
  EXPECT_EQ(cache.size(), 0u) << "an expired token is forgotten";
  EXPECT_FALSE(cache.find("t", 100)) << "and not found again, even at an earlier clock";
}

TEST(verified_tokens, a_full_cache_starts_again) {
  verified_tokens cache(2);
  cache.remember("one", access_until(200));
  cache.remember("two", access_until(200));
  EXPECT_EQ(cache.size(), 2u);
  cache.remember("three", access_until(200));
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_TRUE(cache.find("three", 100));
  EXPECT_FALSE(cache.find("one", 100));
  verified_tokens none(0);
  none.remember("one", access_until(200));
  EXPECT_FALSE(none.find("one", 100)) << "capacity 0 keeps nothing";
}

}  // namespace
}  // namespace bakewind::auth
