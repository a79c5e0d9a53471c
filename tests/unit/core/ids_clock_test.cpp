#include "core/clock.hpp"
#include "core/ids.hpp"

#include <gtest/gtest.h>

#include <set>

namespace bakewind::core {
namespace {

TEST(ids, uuid_is_canonical_version_4) {
  const auto id = random_uuid();
  ASSERT_EQ(id.size(), 36u);
  EXPECT_TRUE(is_uuid(id));
  EXPECT_EQ(id[14], '4');
  EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos);
}

TEST(ids, uuids_do_not_repeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) EXPECT_TRUE(seen.insert(random_uuid()).second);
}

TEST(ids, random_hex_has_two_chars_per_byte) {
  const auto h = random_hex(32);
  ASSERT_EQ(h.size(), 64u);
  EXPECT_EQ(h.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(random_hex(32), h);
}

TEST(ids, is_uuid_rejects_near_misses) {
  EXPECT_TRUE(is_uuid("123e4567-E89B-12d3-a456-426614174000"));
  EXPECT_FALSE(is_uuid(""));
  EXPECT_FALSE(is_uuid("123e4567e89b12d3a456426614174000"));
  EXPECT_FALSE(is_uuid("123e4567-e89b-12d3-a456-42661417400g"));
  EXPECT_FALSE(is_uuid("123e4567-e89b-12d3-a456-4266141740001"));
  EXPECT_FALSE(is_uuid("123e4567+e89b-12d3-a456-426614174000"));
}

TEST(ids, uuid_bytes_reads_either_case_and_refuses_the_rest) {
  const std::string want("\x12\x3e\x45\x67\xe8\x9b\x12\xd3\xa4\x56\x42\x66\x14\x17\x40\x00", 16);
  EXPECT_EQ(uuid_bytes("123e4567-e89b-12d3-a456-426614174000"), want);
  EXPECT_EQ(uuid_bytes("123E4567-E89B-12D3-A456-426614174000"), want);
  EXPECT_EQ(uuid_bytes("ffffffff-ffff-ffff-ffff-ffffffffffff"), std::string(16, '\xff'));
  EXPECT_FALSE(uuid_bytes("123e4567e89b12d3a456426614174000"));
  EXPECT_FALSE(uuid_bytes("user-1"));
  EXPECT_FALSE(uuid_bytes(""));
}

TEST(clock, iso8601_has_milliseconds_and_z) {
  using namespace std::chrono;
  EXPECT_EQ(iso8601_ms(system_clock::time_point{}), "1970-01-01T00:00:00.000Z");
  const auto t = system_clock::time_point{milliseconds(1795971788123)};
  EXPECT_EQ(iso8601_ms(t), "2026-11-29T17:03:08.123Z");
  EXPECT_EQ(iso8601_ms(system_clock::time_point{milliseconds(-1)}), "1969-12-31T23:59:59.999Z");
}


}  // namespace
}  // namespace bakewind::core
