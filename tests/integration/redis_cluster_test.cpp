// redis::cluster and redis::service over a real 3-master + 3-replica Redis
// Cluster: each command reaches the master of its slot (checked with
// CLUSTER KEYSLOT / CLUSTER NODES through redis-cli), scripts and MGET with
// tagged keys run, keys across slots are refused before anything is sent,
// pipelines, per-slot markers, SCAN over every master, pub/sub from any node,
// and nothing of a client outlives it.

#include "redis/cluster_subscriber.hpp"
#include "redis/key_slot.hpp"
#include "redis_cluster_fixture.hpp"

#include <csignal>
#include <filesystem>
#include <set>

namespace bakewind::redis_test {
namespace {

class cluster_test : public redis_test {
 protected:
  static void SetUpTestSuite() {
    const auto began = clock::now();
    cluster_ = new test::redis_cluster();
    std::printf("cluster of 6 nodes ready in %lld ms\n", ms_since(began));
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }

  std::string key(const std::string& name) const {
    return std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + ":" + name;
  }

  static test::redis_cluster* cluster_;
  redis::cluster client_{io_.get_executor(), node_options(*cluster_), seeds_of(*cluster_)};
  redis::service svc_{client_};
};

test::redis_cluster* cluster_test::cluster_ = nullptr;

TEST_F(cluster_test, every_command_reaches_the_master_of_its_keys_slot) {
  std::vector<std::string> keys;
  for (int i = 0; i < 60; ++i) keys.push_back(key(std::to_string(i)));
  run([&]() -> asio::awaitable<void> {
    for (const auto& k : keys) co_await svc_.set(k, "value of " + k);
  }());
  std::set<std::uint16_t> masters_used;
  for (const auto& k : keys) {
    const int slot = cluster_->keyslot(k);
    ASSERT_EQ(slot, redis::key_slot(k)) << k;
    const auto owner = cluster_->master_of(slot);
    masters_used.insert(owner);
    // Asked without -c: the owner has it, it was not redirected there.
    EXPECT_EQ(test::redis_cli(owner, {"GET", k}), "value of " + k) << k << " in slot " << slot;
    const auto* routed = client_.map().master_of(static_cast<std::uint16_t>(slot));
    ASSERT_NE(routed, nullptr);
    EXPECT_EQ(routed->port, owner);
  }
  EXPECT_EQ(masters_used.size(), 3U) << "60 keys spread over the three masters";
  EXPECT_EQ(client_.figures().moved.load(), 0U) << "routed right the first time";
  EXPECT_EQ(client_.map().masters().size(), 3U);
  EXPECT_EQ(client_.map().covered(), redis::slot_count);
  const auto got = run(svc_.get(keys.back()));
  EXPECT_EQ(got, "value of " + keys.back());
}

TEST_F(cluster_test, scripts_and_mget_over_keys_that_share_a_tag_run_on_one_node) {
  static const redis::script both(R"(redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2])
return redis.call('MGET', KEYS[1], KEYS[2]))");
  const std::vector<std::string> keys{"order_lock:{bakery-7}:order-1", "locks:bakery:{bakery-7}"};
  const std::vector<std::string> args{"a", "b"};
  auto r = run(svc_.eval(both, keys, args));
  ASSERT_EQ(r.elements.size(), 2U);
  EXPECT_EQ(r.elements[0].text, "a");
  EXPECT_EQ(r.elements[1].text, "b");
  const auto again = run(svc_.eval(both, keys, args));  // by EVALSHA now
  EXPECT_EQ(again.elements[1].text, "b");
  const std::vector<std::string> mget{"MGET", keys[0], keys[1], "missing:{bakery-7}"};
  auto m = run(svc_.command(mget, redis::retry::idempotent));
  ASSERT_EQ(m.elements.size(), 3U);
  EXPECT_EQ(m.elements[0].text, "a");
  EXPECT_TRUE(m.elements[2].is_nil());
  const auto owner = cluster_->master_of(redis::key_slot("bakery-7"));
  EXPECT_EQ(test::redis_cli(owner, {"GET", keys[0]}), "a");
}

TEST_F(cluster_test, keys_in_different_slots_are_refused_before_anything_is_sent) {
  const std::vector<std::string> mget{"MGET", "plain-a", "plain-b"};
  ASSERT_NE(redis::key_slot("plain-a"), redis::key_slot("plain-b"));
  try {
    run(svc_.command(mget));
    FAIL() << "no CROSSSLOT";
  } catch (const redis::server_error& e) {
    EXPECT_EQ(e.code(), "CROSSSLOT");
  }
  static const redis::script s("return 1");
  const std::vector<std::string> keys{"plain-a", "plain-b"};
  const std::vector<std::string> none;
  EXPECT_THROW(run(svc_.eval(s, keys, none)), redis::server_error);
  EXPECT_EQ(client_.stats().commands.load(), 0U) << "nothing reached a node";
}

TEST_F(cluster_test, keyless_commands_go_to_any_master) {
  EXPECT_NO_THROW(run(svc_.ping()));
  const std::vector<std::string> info{"INFO", "memory"};
  const auto r = run(svc_.command(info, redis::retry::idempotent));
  EXPECT_NE(r.text.find("used_memory:"), std::string::npos);
  const auto delivered = run(svc_.publish(key("nobody"), "x"));
  EXPECT_EQ(delivered, 0);
}

TEST_F(cluster_test, a_pipeline_spreads_over_the_masters_and_answers_in_order) {
  std::vector<std::vector<std::string>> sets;
  std::vector<std::vector<std::string>> gets;
  for (int i = 0; i < 300; ++i) {
    sets.push_back({"SET", key(std::to_string(i)), std::to_string(i)});
    gets.push_back({"GET", key(std::to_string(i))});
  }
  const auto began = clock::now();
  const auto written = run(svc_.pipeline(sets, redis::retry::idempotent));
  const auto read = run(svc_.pipeline(gets, redis::retry::idempotent));
  std::printf("300 SETs + 300 GETs pipelined over 3 masters: %lld ms\n", ms_since(began));
  ASSERT_EQ(read.size(), 300U);
  for (int i = 0; i < 300; ++i) {
    EXPECT_EQ(written[static_cast<std::size_t>(i)].text, "OK");
    EXPECT_EQ(read[static_cast<std::size_t>(i)].text, std::to_string(i));
  }
}

TEST_F(cluster_test, a_marker_is_written_to_every_slot_and_found_beside_the_keys_it_vouches_for) {
  const std::string base = key("ready");
  const auto began = clock::now();
  run(svc_.begin_refill(base, "token"));
  ASSERT_TRUE(run(svc_.seal_refill(base, "token", "yes")));
  std::printf("16384 per-slot tokens and markers written in %lld ms\n", ms_since(began));
  std::size_t total = 0;
  for (const auto port : cluster_->master_ports()) {
    const auto listed = test::redis_cli(port, {"--scan", "--pattern", base + ":*"});
    const auto n = static_cast<std::size_t>(std::count(listed.begin(), listed.end(), '\n') + (listed.empty() ? 0 : 1));
    EXPECT_GT(n, 4000U) << "every master holds the markers of its own slots";
    total += n;
  }
  EXPECT_EQ(total, redis::slot_count);
  for (const std::string data : {"auth:revoked:{user-1}:jti", "locks:bakery:{b-9}", "untagged"}) {
    const auto marker = svc_.marker_for(base, data);
    EXPECT_EQ(redis::key_slot(marker), redis::key_slot(data)) << marker;
    EXPECT_EQ(test::redis_cli(cluster_->master_of(redis::key_slot(data)), {"GET", marker}), "yes");
  }
  EXPECT_FALSE(run(svc_.marker_missing(base)));

  run(svc_.drop_marker(base));
  for (const auto port : cluster_->master_ports()) {
    EXPECT_EQ(test::redis_cli(port, {"--scan", "--pattern", base + ":*"}), "") << "markers left on master " << port;
  }
  EXPECT_TRUE(run(svc_.marker_missing(base)));
}

TEST_F(cluster_test, a_refill_seals_no_marker_on_a_master_that_lost_its_data_meanwhile) {
  const std::string base = key("ready");
  run(svc_.begin_refill(base, "token-1"));
  const int lost_slot = 0;
  ASSERT_EQ(test::redis_cli(cluster_->master_of(lost_slot), {"FLUSHALL"}), "OK");
  EXPECT_FALSE(run(svc_.seal_refill(base, "token-1", "yes")));
  EXPECT_EQ(test::redis_cli(cluster_->master_of(lost_slot),
                            {"GET", svc_.marker_for(base, "{" + redis::tag_for_slot(lost_slot) + "}")}),
            "")
      << "no marker on the master that lost the refill's token";
  EXPECT_TRUE(run(svc_.marker_missing(base)));
  run(svc_.begin_refill(base, "token-2"));
  EXPECT_TRUE(run(svc_.seal_refill(base, "token-2", "yes")));
  EXPECT_FALSE(run(svc_.marker_missing(base)));
}

TEST_F(cluster_test, scan_all_finds_the_keys_of_every_master) {
  std::vector<std::vector<std::string>> sets;
  for (int i = 0; i < 200; ++i) sets.push_back({"SET", key(std::to_string(i)), "x", "EX", "60"});
  run(svc_.pipeline(sets));
  for (const auto port : cluster_->master_ports()) {
    EXPECT_FALSE(test::redis_cli(port, {"--scan", "--pattern", key("*")}).empty()) << "keys on master " << port;
  }
  const auto found = run(svc_.scan_all(key("*"), 25));
  EXPECT_EQ(found.size(), 200U);
  const auto nodes = run(client_.masters());
  EXPECT_EQ(nodes.size(), 3U);
}

TEST_F(cluster_test, a_subscriber_on_one_node_hears_what_is_published_on_another) {
  const auto ports = cluster_->ports();
  std::vector<std::string> heard;
  redis::cluster_subscriber sub(io_.get_executor(), node_options(*cluster_), seeds_of(*cluster_).seeds,
                                [&](std::string_view, std::string_view m) { heard.emplace_back(m); });
  const std::string channel = key("events");
  sub.subscribe(channel);
  ASSERT_TRUE(run_until(io_, [&] { return sub.subscribed(); }));
  EXPECT_EQ(sub.node().port, ports.front());
  // Published on every other node in turn, through the bus.
  for (std::size_t i = 1; i < ports.size(); ++i) {
    const auto before = heard.size();
    test::redis_cli(ports[i], {"PUBLISH", channel, "from " + std::to_string(ports[i])});
    ASSERT_TRUE(run_until(
        io_, [&] { return heard.size() > before; }, 2s))
        << "published on " << ports[i];
  }
  // And through the cluster client, which picks any master.
  const auto before = heard.size();
  run(svc_.publish(channel, "through the client"));
  ASSERT_TRUE(run_until(
      io_, [&] { return heard.size() > before; }, 2s));
  EXPECT_EQ(heard.back(), "through the client");
  sub.close();
}

/// How many descriptors this process holds open.
std::size_t open_descriptors() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

TEST_F(cluster_test, a_probe_closed_while_its_node_hangs_ends_with_the_cluster) {
  // The seed (a replica) is asked for the map by a probe, which is closed
  // (QUIT) two command deadlines later. With the node hung, QUIT is still
  // unanswered when the cluster and its loop are torn down: everything of
  // the probe must go with them. It once outlived them (its socket open,
  // memory LeakSanitizer reported), held only by its own waiting QUIT.
  std::uint16_t replica = 0;
  for (const auto& n : cluster_->nodes()) {
    if (!n.master && !n.failed) replica = n.port;
  }
  ASSERT_NE(replica, 0);
  const int pid = cluster_->node(replica).pid();
  ASSERT_GT(pid, 0);
  const auto before = open_descriptors();
  struct resume_node {
    int pid;
    ~resume_node() { ::kill(pid, SIGCONT); }
  } resume{pid};
  {
    asio::io_context io;
    redis::cluster c{io.get_executor(), node_options(*cluster_, 250ms), seeds_of(*cluster_, {replica})};
    redis::service svc{c};
    test::run(io, svc.set(key("k"), "v"));
    ASSERT_EQ(c.figures().refreshes.load(), 1U) << "the map was read through the seed's probe";
    ASSERT_EQ(::kill(pid, SIGSTOP), 0);
    ASSERT_TRUE(run_until(
        io, [&] { return c.figures().retired.load() > 0; }, 5s))
        << "the probe was never closed";
  }
  EXPECT_EQ(open_descriptors(), before) << "a socket of the cluster client outlived it";
}

TEST(cluster_unreachable, a_command_fails_by_its_deadline_when_no_seed_answers) {
  asio::io_context io;
  auto o = redis::parse_url("redis://127.0.0.1:1");
  o.command_timeout = 500ms;
  redis::cluster_options c;
  c.seeds = {{"127.0.0.1", test::free_port()}, {"127.0.0.1", test::free_port()}};
  redis::cluster cluster(io.get_executor(), o, c);
  redis::service svc(cluster);
  const auto began = clock::now();
  EXPECT_THROW(test::run(io, svc.get("k"), 5s), core::unavailable_error);
  const auto took = ms_since(began);
  std::printf("no seed up: unavailable after %lld ms (deadline 500 ms)\n", took);
  EXPECT_GE(took, 450);
  EXPECT_LT(took, 900);
  EXPECT_GT(cluster.figures().failed_refreshes.load(), 0U);
}

}  // namespace
}  // namespace bakewind::redis_test
