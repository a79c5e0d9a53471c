// Redis Cluster's slot function, checked against values Redis itself gives
// (CLUSTER KEYSLOT) and the hash-tag rules of the cluster specification.

#include "redis/key_slot.hpp"

#include <gtest/gtest.h>

namespace bakewind::redis {
namespace {

TEST(key_slot, crc16_is_xmodem) {
  EXPECT_EQ(crc16("123456789"), 0x31C3);  // the specification's check value
  EXPECT_EQ(crc16(""), 0);
}

TEST(key_slot, matches_redis_for_plain_keys) {
  EXPECT_EQ(key_slot("foo"), 12182);
  EXPECT_EQ(key_slot("bar"), 5061);
  EXPECT_EQ(key_slot("hello"), 866);
}

TEST(key_slot, hash_tags_follow_the_specification) {
  EXPECT_EQ(key_slot("{user1000}.following"), key_slot("user1000"));
  EXPECT_EQ(key_slot("{user1000}.followers"), key_slot("{user1000}.following"));
  EXPECT_EQ(key_slot("foo{}{bar}"), crc16("foo{}{bar}") % slot_count) << "an empty tag hashes the whole key";
  EXPECT_EQ(key_slot("foo{{bar}}zap"), key_slot("{bar")) << "the first { to the next }";
  EXPECT_EQ(key_slot("foo{bar}{zap}"), key_slot("bar")) << "only the first tag";
  EXPECT_EQ(key_slot("no{close"), crc16("no{close") % slot_count);
}

TEST(key_slot, every_slot_has_a_tag_that_lands_in_it) {
  for (std::uint16_t slot = 0; slot < slot_count; ++slot) {
    const auto& tag = tag_for_slot(slot);
    ASSERT_FALSE(tag.empty());
    ASSERT_EQ(key_slot("marker:{" + tag + "}"), slot) << tag;
  }
}

}  // namespace
}  // namespace bakewind::redis
