// The Redis names of revocations (README "Redis keys"): compact, and every
// key of one user in one cluster slot.

#include "auth/revocation_keys.hpp"
#include "core/ids.hpp"
#include "redis/key_slot.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace bakewind::auth {
namespace {

constexpr const char* user_id = "123e4567-e89b-12d3-a456-426614174000";
constexpr const char* jti = "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b";

TEST(revocation_keys, uuids_are_written_as_their_bytes_in_base64url) {
  EXPECT_EQ(compact_id(user_id), "Ej5FZ-ibEtOkVkJmFBdAAA");
  EXPECT_EQ(compact_id("123E4567-E89B-12D3-A456-426614174000"), "Ej5FZ-ibEtOkVkJmFBdAAA") << "either case";
  EXPECT_EQ(compact_id("ffffffff-ffff-ffff-ffff-ffffffffffff"), "_____________________w");
  EXPECT_EQ(compact_id("user-1"), "user-1") << "not a UUID: kept whole";
}

TEST(revocation_keys, names_are_those_of_the_readme) {
  EXPECT_EQ(revoked_token_key(user_id, jti), "auth:revoked:{Ej5FZ-ibEtOkVkJmFBdAAA}:AZChssPUfl-Ka3yNng8aKw");
  EXPECT_EQ(cutoff_key(user_id), "auth:nbf:{Ej5FZ-ibEtOkVkJmFBdAAA}");
  EXPECT_EQ(revocation_tag(user_id), "{Ej5FZ-ibEtOkVkJmFBdAAA}");
}

TEST(revocation_keys, a_revocation_key_stays_within_60_characters) {
  // 60 characters keep MEMORY USAGE at 152 bytes; 61 take 168 (revocation_keys.hpp).
  const auto id = core::random_uuid();
  const auto token = core::random_uuid_v7(std::chrono::system_clock::now());
  EXPECT_EQ(revoked_token_key(id, token).size(), 60U);
}

TEST(revocation_keys, every_key_of_a_user_shares_the_cutoffs_slot) {
  const auto other = core::random_uuid_v7(std::chrono::system_clock::now());
  EXPECT_EQ(redis::key_slot(revoked_token_key(user_id, jti)), redis::key_slot(cutoff_key(user_id)));
  EXPECT_EQ(redis::key_slot(revoked_token_key(user_id, other)), redis::key_slot(cutoff_key(user_id)));
  EXPECT_EQ(redis::key_slot(cutoff_key(user_id)), redis::key_slot("Ej5FZ-ibEtOkVkJmFBdAAA"));
}

}  // namespace
}  // namespace bakewind::auth
