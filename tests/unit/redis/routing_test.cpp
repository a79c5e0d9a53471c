// Which slot each command goes to in a cluster, and the CROSSSLOT check.

#include "redis/routing.hpp"
#include "redis/connection.hpp"
#include "redis/errors.hpp"
#include "redis/key_slot.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace bakewind::redis {
namespace {

int slot_of(std::vector<std::string_view> args) {
  return slot_of_command(args);
}

TEST(routing, a_single_key_command_goes_to_its_key) {
  EXPECT_EQ(slot_of({"GET", "foo"}), key_slot("foo"));
  EXPECT_EQ(slot_of({"set", "bar", "1", "EX", "10"}), key_slot("bar")) << "names in any case";
  EXPECT_EQ(slot_of({"GETDEL", "auth:transfer:ab"}), key_slot("auth:transfer:ab"));
}

TEST(routing, keyless_commands_go_anywhere) {
  EXPECT_EQ(slot_of({"PING"}), any_slot);
  EXPECT_EQ(slot_of({"INFO", "memory"}), any_slot);
  EXPECT_EQ(slot_of({"PUBLISH", "bakewind:events", "x"}), any_slot);
  EXPECT_EQ(slot_of({"SCAN", "0", "MATCH", "a*"}), any_slot);
  EXPECT_EQ(slot_of({"CLUSTER", "SLOTS"}), any_slot);
}

TEST(routing, mget_keys_must_share_a_slot) {
  EXPECT_EQ(slot_of({"MGET", "auth:revoked:{u1}:j", "auth:nbf:{u1}"}), key_slot("u1"));
  EXPECT_THROW(slot_of({"MGET", "foo", "bar"}), server_error);
  EXPECT_THROW(slot_of({"DEL", "{a}x", "{b}x"}), server_error);
  EXPECT_THROW(slot_of({"MSET", "{a}x", "1", "{b}x", "2"}), server_error);
  EXPECT_EQ(slot_of({"MSET", "{a}x", "1", "{a}y", "2"}), key_slot("a")) << "values are not keys";
}

TEST(routing, scripts_go_to_their_keys_and_all_keys_must_share_a_slot) {
  EXPECT_EQ(slot_of({"EVALSHA", "abc", "2", "order_lock:{b1}:o1", "locks:bakery:{b1}", "argv-not-a-key"}),
            key_slot("b1"));
  EXPECT_EQ(slot_of({"EVAL", "return 1", "0", "arg"}), any_slot);
  EXPECT_THROW(slot_of({"EVAL", "s", "2", "order_lock:o1", "locks:bakery:b1"}), server_error);
  EXPECT_EQ(slot_of({"EVAL", "s", "x"}), any_slot) << "a bad numkeys goes anywhere; the server says why";
  EXPECT_EQ(slot_of({"EVAL", "s", "5", "k"}), any_slot);
  EXPECT_EQ(slot_of({"EVAL", "s"}), any_slot);
}

TEST(routing, keys_of_a_span) {
  const std::vector<std::string_view> none;
  EXPECT_EQ(slot_of_keys(none), any_slot);
  const std::vector<std::string_view> tagged{"a:{t}", "b:{t}"};
  EXPECT_EQ(slot_of_keys(tagged), key_slot("t"));
}

}  // namespace
}  // namespace bakewind::redis
