// The cluster's routing table read from CLUSTER SLOTS replies as Redis 7
// writes them, and MOVED / ASK error texts, without a server.

#include "redis/slot_map.hpp"
#include "replies.hpp"

#include <gtest/gtest.h>

namespace bakewind::redis {
namespace {

using namespace replies;

// [host, port, id, {metadata}] as CLUSTER SLOTS lists a node.
reply node(std::string host, long long port) {
  return array({text(std::move(host)), integer(port), text("0123456789abcdef"), array({})});
}

reply range(long long first, long long last, std::vector<reply> nodes) {
  std::vector<reply> e{integer(first), integer(last)};
  for (auto& n : nodes) e.push_back(std::move(n));
  return array(std::move(e));
}

const node_address asked{"10.0.0.9", 7000};

TEST(slot_map, routes_every_slot_to_the_master_of_its_range) {
  const auto r = array({range(0, 5460, {node("127.0.0.1", 7001), node("127.0.0.1", 7004)}),
                        range(5461, 10922, {node("127.0.0.1", 7002), node("127.0.0.1", 7005)}),
                        range(10923, 16383, {node("127.0.0.1", 7003), node("127.0.0.1", 7006)})});
  const auto map = slot_map::from_cluster_slots(r, asked);
  ASSERT_TRUE(map.has_value());
  EXPECT_EQ(map->covered(), 16384U);
  ASSERT_EQ(map->masters().size(), 3U);
  EXPECT_EQ(map->replicas().size(), 3U);
  EXPECT_EQ(map->master_of(0)->port, 7001);
  EXPECT_EQ(map->master_of(5460)->port, 7001);
  EXPECT_EQ(map->master_of(5461)->port, 7002);
  EXPECT_EQ(map->master_of(16383)->port, 7003);
  EXPECT_EQ(map->owner(10923), 2);
  EXPECT_EQ(map->master_of(key_slot("foo"))->port, 7003) << "foo is slot 12182";
}

TEST(slot_map, a_master_with_several_ranges_is_listed_once) {
  const auto r =
      array({range(0, 99, {node("a", 1)}), range(100, 199, {node("b", 2)}), range(200, 16383, {node("a", 1)})});
  const auto map = slot_map::from_cluster_slots(r, asked);
  ASSERT_TRUE(map.has_value());
  EXPECT_EQ(map->masters().size(), 2U);
  EXPECT_EQ(map->owner(0), map->owner(200));
}

TEST(slot_map, slots_without_a_range_are_not_routed) {
  const auto map = slot_map::from_cluster_slots(array({range(0, 99, {node("a", 1)})}), asked);
  ASSERT_TRUE(map.has_value());
  EXPECT_EQ(map->covered(), 100U);
  EXPECT_EQ(map->master_of(100), nullptr);
  EXPECT_EQ(map->owner(100), -1);
}

TEST(slot_map, an_empty_host_is_the_node_that_answered_and_an_unknown_one_is_skipped) {
  const auto map = slot_map::from_cluster_slots(
      array({range(0, 99, {node("", 7001)}), range(100, 199, {node("?", 7002), node("", 7005)})}), asked);
  ASSERT_TRUE(map.has_value());
  EXPECT_EQ(*map->master_of(0), (node_address{"10.0.0.9", 7001}));
  EXPECT_EQ(map->master_of(100), nullptr) << "a master whose address the cluster does not know";
  ASSERT_EQ(map->replicas().size(), 1U);
  EXPECT_EQ(map->replicas()[0], (node_address{"10.0.0.9", 7005}));
}

TEST(slot_map, anything_but_a_slots_reply_is_refused) {
  EXPECT_FALSE(slot_map::from_cluster_slots(text("ERR This instance has cluster support disabled"), asked));
  EXPECT_FALSE(slot_map::from_cluster_slots(array({integer(1)}), asked));
  EXPECT_FALSE(slot_map::from_cluster_slots(array({range(5, 2, {node("a", 1)})}), asked)) << "first > last";
  EXPECT_FALSE(slot_map::from_cluster_slots(array({range(0, 16384, {node("a", 1)})}), asked)) << "past the last slot";
  const auto none = slot_map::from_cluster_slots(array({}), asked);
  ASSERT_TRUE(none.has_value()) << "a cluster that serves nothing yet is still an answer";
  EXPECT_EQ(none->covered(), 0U);
}

TEST(slot_map, assign_moves_one_slot_and_a_promoted_replica_is_a_replica_no_more) {
  auto map = *slot_map::from_cluster_slots(array({range(0, 16383, {node("a", 1), node("b", 2)})}), asked);
  map.assign(42, node_address{"b", 2});
  EXPECT_EQ(map.master_of(42)->port, 2);
  EXPECT_EQ(map.master_of(41)->port, 1);
  EXPECT_EQ(map.masters().size(), 2U);
  EXPECT_TRUE(map.replicas().empty());
}

TEST(redirect, moved_and_ask_are_read) {
  const auto moved = parse_redirect("MOVED 3999 127.0.0.1:6381", asked);
  ASSERT_TRUE(moved.has_value());
  EXPECT_EQ(moved->type, redirect::kind::moved);
  EXPECT_EQ(moved->slot, 3999);
  EXPECT_EQ(moved->to, (node_address{"127.0.0.1", 6381}));
  const auto ask = parse_redirect("ASK 16383 redis-3.internal:7000", asked);
  ASSERT_TRUE(ask.has_value());
  EXPECT_EQ(ask->type, redirect::kind::ask);
  EXPECT_EQ(ask->slot, 16383);
  EXPECT_EQ(ask->to.host, "redis-3.internal");
}

TEST(redirect, an_empty_host_is_the_answering_node_and_ipv6_keeps_its_colons) {
  EXPECT_EQ(parse_redirect("MOVED 1 :7002", asked)->to, (node_address{"10.0.0.9", 7002}));
  EXPECT_EQ(parse_redirect("ASK 1 ::1:7002", asked)->to, (node_address{"::1", 7002}));
}

TEST(redirect, other_errors_and_malformed_redirects_are_not_redirects) {
  EXPECT_FALSE(parse_redirect("ERR unknown command", asked));
  EXPECT_FALSE(parse_redirect("TRYAGAIN Multiple keys request during rehashing of slot", asked));
  EXPECT_FALSE(parse_redirect("MOVED 16384 a:1", asked));
  EXPECT_FALSE(parse_redirect("MOVED x a:1", asked));
  EXPECT_FALSE(parse_redirect("MOVED 1 a", asked));
  EXPECT_FALSE(parse_redirect("MOVED 1 a:0", asked));
  EXPECT_FALSE(parse_redirect("MOVED 1 a:70000", asked));
  EXPECT_FALSE(parse_redirect("MOVED 1", asked));
}

}  // namespace
}  // namespace bakewind::redis
