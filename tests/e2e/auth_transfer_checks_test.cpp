// Black-box tests of POST /api/v1/auth/transfer's checks (issue 20): both
// tokens' revocation checks and the session's SET leave for Redis together,
// and nothing of that shows: the answers and their order are as when each
// step waited for the one before, a refused hand-off leaves no session, and
// a Redis that lost its revocations is not believed.

#include "auth_helpers.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace bakewind::test::auth_e2e {
namespace {

using namespace std::chrono_literals;

std::size_t sessions_in_redis(const solo_service& s) {
  return redis_command(s.redis.port(), {"KEYS", "auth:transfer:*"}).items.size();
}

// A second login of the owner whose access token is logged out.
account logged_out_login(solo_service& s) {
  auto second = login(s.port(), s.owner.email, s.owner.password);
  if (authed(s.port(), "POST", "/api/v1/auth/logout", second.access).status != 204) throw std::runtime_error("logout");
  return second;
}

void wait_for_refill(const solo_service& s) {
  for (int i = 0; i < 50 && redis_command(s.redis.port(), {"EXISTS", k_revocation_marker}).integer == 0; ++i) {
    std::this_thread::sleep_for(100ms);
  }
}

TEST(auth_transfer_checks, a_revoked_access_token_is_told_before_a_bad_body_or_refresh_token) {
  solo_service s("transfer_order");
  const auto other = register_owner(s.port(), "transfer_order_other");
  const auto gone = logged_out_login(s);
  EXPECT_TRUE(is_revoked(transfer(s.port(), gone.access, s.owner.refresh))) << "a live refresh token";
  EXPECT_TRUE(is_revoked(transfer(s.port(), gone.access, gone.refresh))) << "its own refresh token";
  EXPECT_TRUE(is_revoked(transfer(s.port(), gone.access, "garbage")));
  EXPECT_TRUE(is_revoked(transfer(s.port(), gone.access, other.refresh))) << "another user's";
  EXPECT_TRUE(is_revoked(authed(s.port(), "POST", "/api/v1/auth/transfer", gone.access, "{}"))) << "no refreshToken";
  EXPECT_TRUE(is_bad_request(authed(s.port(), "POST", "/api/v1/auth/transfer", s.owner.access, "{}")))
      << "the same body with a live token";
  EXPECT_EQ(transfer(s.port(), s.owner.access, s.owner.refresh).status, 201);
}

TEST(auth_transfer_checks, a_refused_hand_off_leaves_no_session_in_redis) {
  solo_service s("transfer_nothing_left");
  const auto gone = logged_out_login(s);
  const auto rotated = login(s.port(), s.owner.email, s.owner.password);
  ASSERT_EQ(refresh(s.port(), rotated.refresh).status, 200);

  EXPECT_TRUE(is_revoked(transfer(s.port(), gone.access, s.owner.refresh)));
  EXPECT_TRUE(is_unauthorized(transfer(s.port(), s.owner.access, rotated.refresh), "Invalid refresh token"));
  EXPECT_EQ(sessions_in_redis(s), 0U) << "nothing stored by a refused hand-off";

  ASSERT_EQ(transfer(s.port(), s.owner.access, s.owner.refresh).status, 201);
  EXPECT_EQ(sessions_in_redis(s), 1U);
}

TEST(auth_transfer_checks, a_redis_that_lost_its_revocations_is_not_believed_for_either_token) {
  solo_service s("transfer_lost");
  const auto gone = logged_out_login(s);
  const auto rotated = login(s.port(), s.owner.email, s.owner.password);
  ASSERT_EQ(refresh(s.port(), rotated.refresh).status, 200);

  ASSERT_EQ(redis_command(s.redis.port(), {"FLUSHALL"}).text, "OK");
  EXPECT_TRUE(is_revoked(transfer(s.port(), gone.access, s.owner.refresh))) << "the record knows the logout";
  wait_for_refill(s);
  ASSERT_EQ(redis_command(s.redis.port(), {"FLUSHALL"}).text, "OK");
  EXPECT_TRUE(is_unauthorized(transfer(s.port(), s.owner.access, rotated.refresh), "Invalid refresh token"))
      << "the record knows the rotation";
  wait_for_refill(s);
  EXPECT_EQ(sessions_in_redis(s), 0U);
  EXPECT_EQ(transfer(s.port(), s.owner.access, s.owner.refresh).status, 201);
}

}  // namespace
}  // namespace bakewind::test::auth_e2e
