// Which command a RESP-encoded request is timed under.

#include "redis/stats.hpp"

#include <gtest/gtest.h>

namespace bakewind::redis {
namespace {

std::string_view name_of(std::string_view encoded) { return timed_commands[command_slot(encoded)]; }

TEST(command_slot, names_the_command_in_lower_case) {
  EXPECT_EQ(name_of("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"), "get");
  EXPECT_EQ(name_of("*3\r\n$7\r\nevalsha\r\n$40\r\n...\r\n"), "evalsha");
  EXPECT_EQ(name_of("*1\r\n$4\r\nPiNg\r\n"), "ping");
}

TEST(command_slot, anything_else_is_other) {
  EXPECT_EQ(name_of("*1\r\n$8\r\nFLUSHALL\r\n"), "other");
  EXPECT_EQ(name_of(""), "other");
  EXPECT_EQ(name_of("*1\r\n$3\r\nGE"), "other");
  EXPECT_EQ(name_of("*1\r\n$30\r\nAVERYLONGCOMMANDNAMETHATISNOTREAL\r\n"), "other");
  EXPECT_EQ(name_of("PING\r\n"), "other");
}

}  // namespace
}  // namespace bakewind::redis
