#include "core/clock.hpp"
#include "core/ids.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>
#include <set>
#include <string>

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

TEST(ids, every_byte_in_every_place_is_judged_as_the_grammar_says) {
  const std::string valid = "123e4567-e89b-12d3-a456-426614174000";
  for (std::size_t at = 0; at < valid.size(); ++at) {
    const bool dash_place = at == 8 || at == 13 || at == 18 || at == 23;
    for (int b = 0; b < 256; ++b) {
      std::string text = valid;
      text[at] = static_cast<char>(b);
      const char c = text[at];
      const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
      const bool want = dash_place ? c == '-' : hex;
      ASSERT_EQ(is_uuid(text), want) << "byte " << b << " at " << at;
      ASSERT_EQ(uuid_bytes(text).has_value(), want) << "byte " << b << " at " << at;
    }
  }
}

TEST(ids, uuid_bytes_reads_either_case_and_refuses_the_rest) {
  const std::array<unsigned char, 16> want{0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x12, 0xd3,
                                           0xa4, 0x56, 0x42, 0x66, 0x14, 0x17, 0x40, 0x00};
  EXPECT_EQ(uuid_bytes("123e4567-e89b-12d3-a456-426614174000"), want);
  EXPECT_EQ(uuid_bytes("123E4567-E89B-12D3-A456-426614174000"), want);
  std::array<unsigned char, 16> all_ones{};
  all_ones.fill(0xff);
  EXPECT_EQ(uuid_bytes("ffffffff-ffff-ffff-ffff-ffffffffffff"), all_ones);
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

// The C library's reading of the same instant, as the formatter once was.
std::string c_library_iso8601(long long ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  long long frac = ms % 1000;
  if (frac < 0) {
    frac += 1000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
  return buf;
}

TEST(clock, iso8601_agrees_with_the_c_library_on_every_kind_of_day) {
  for (const long long ms : {0LL, -1LL, 951782400000LL, 1709164800999LL, 1795799588123LL, 7258118399999LL,
                             -2208988800000LL, 4102444800000LL, -1000LL, 86399999LL, -62135596800000LL,
                             253402300799999LL, 32503680000000LL, 11017000000000LL}) {
    EXPECT_EQ(iso8601_ms(ms), c_library_iso8601(ms)) << ms;
    iso8601_text buf;
    EXPECT_EQ(format_iso8601_ms(buf, ms), c_library_iso8601(ms)) << ms;
  }
  // A day every 97 days and 1 ms across years 1 to 9999.
  for (long long ms = -62135596800000LL; ms < 253402300799999LL; ms += 97LL * 86400000 + 3601001) {
    ASSERT_EQ(iso8601_ms(ms), c_library_iso8601(ms)) << ms;
  }
}

TEST(clock, iso8601_prints_years_past_system_clocks_range) {
  // system_clock counts nanoseconds, which end in 2262; dueAt may be 9999.
  EXPECT_EQ(iso8601_ms(253402300799999LL), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(iso8601_ms(32503680000000LL), "3000-01-01T00:00:00.000Z");
  EXPECT_EQ(iso8601_ms(-62135596800000LL), "0001-01-01T00:00:00.000Z");
  EXPECT_EQ(iso8601_ms(253402300800000LL), "10000-01-01T00:00:00.000Z") << "no wrong four-digit year";
}


}  // namespace
}  // namespace bakewind::core
