// redis::cluster while the cluster changes under it: a slot migrated by hand
// (ASK while its keys move, TRYAGAIN for a command whose keys are split,
// MOVED once it is done), a reshard by redis-cli under continuous traffic
// with no error surfaced and no increment applied twice, and a master killed
// (its replica promoted; the client and the subscriber follow), or hung by
// SIGSTOP (commands fail by their deadline until the replica takes over).

#include "redis/cluster_subscriber.hpp"
#include "redis/key_slot.hpp"
#include "redis_cluster_fixture.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <signal.h>

namespace bakewind::redis_test {
namespace {

// A master other than `not_this`.
std::uint16_t other_master(test::redis_cluster& cluster, std::uint16_t not_this) {
  for (const auto port : cluster.master_ports()) {
    if (port != not_this) return port;
  }
  throw std::runtime_error("only one master");
}

TEST(cluster_migration, ask_tryagain_and_moved_are_followed_while_a_slot_moves) {
  test::redis_cluster cluster;
  asio::io_context io;
  // The split command below must outlast the migration this test does by
  // hand (redis-cli runs, each a process): 2 s was not enough on a machine
  // busy with other suites. What is tested is that it is followed, not how
  // fast; deadlines have tests of their own (cluster_failover).
  redis::cluster client(io.get_executor(), node_options(cluster, 10000ms), seeds_of(cluster));
  redis::service svc(client);
  const int slot = redis::key_slot("moving");
  const auto from = cluster.master_of(slot);
  const auto to = other_master(cluster, from);
  std::vector<std::string> keys;
  for (int i = 0; i < 20; ++i) keys.push_back("k:{moving}:" + std::to_string(i));
  test::run(io, [&]() -> asio::awaitable<void> {
    for (const auto& k : keys) co_await svc.set(k, "v" + k);
  }());

  cluster.begin_migration(slot, to);
  ASSERT_EQ(cluster.migrate_keys(slot, to, 10), 10U);
  // Half the keys are on the target now: the source answers ASK for them.
  auto values = test::run(io, [&]() -> asio::awaitable<std::vector<std::optional<std::string>>> {
    std::vector<std::optional<std::string>> out;
    for (const auto& k : keys) out.push_back(co_await svc.get(k));
    co_return out;
  }());
  for (std::size_t i = 0; i < keys.size(); ++i) EXPECT_EQ(values[i], "v" + keys[i]) << keys[i];
  EXPECT_GE(client.figures().asked.load(), 10U);
  EXPECT_EQ(client.figures().moved.load(), 0U) << "ASK leaves the map alone";

  // A command over keys on both sides gets TRYAGAIN until the slot is done:
  // it waits (within its deadline) and succeeds once the migration ends.
  const auto left = test::redis_cli(from, {"CLUSTER", "GETKEYSINSLOT", std::to_string(slot), "100"});
  std::string stayed;
  std::string went;
  for (const auto& k : keys) {
    const bool on_source = (left + "\n").find(k + "\n") != std::string::npos;
    (on_source ? stayed : went) = k;
  }
  ASSERT_FALSE(stayed.empty());
  ASSERT_FALSE(went.empty());
  const std::vector<std::string> split{"MGET", stayed, went};
  std::optional<redis::reply> mget;
  std::string failure;
  asio::co_spawn(io, svc.command(split, redis::retry::idempotent), [&](std::exception_ptr e, redis::reply r) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        failure = x.what();
      }
    }
    mget = std::move(r);
  });
  io.restart();
  io.run_for(200ms);
  EXPECT_FALSE(mget.has_value()) << "still waiting for the migration: " << failure;
  EXPECT_GT(client.figures().retried.load(), 0U) << "TRYAGAIN seen and retried";
  while (cluster.migrate_keys(slot, to, 10) > 0) {
  }
  cluster.end_migration(slot, to);
  ASSERT_TRUE(run_until(
      io, [&] { return mget.has_value(); }, 3s));
  ASSERT_EQ(failure, "");
  ASSERT_EQ(mget->elements.size(), 2U);
  EXPECT_EQ(mget->elements[0].text, "v" + stayed);
  EXPECT_EQ(mget->elements[1].text, "v" + went);

  // Done: the source answers MOVED once, and the map points at the target.
  values = test::run(io, [&]() -> asio::awaitable<std::vector<std::optional<std::string>>> {
    std::vector<std::optional<std::string>> out;
    for (const auto& k : keys) out.push_back(co_await svc.get(k));
    co_return out;
  }());
  for (std::size_t i = 0; i < keys.size(); ++i) EXPECT_EQ(values[i], "v" + keys[i]);
  EXPECT_EQ(cluster.master_of(slot), to);
  ASSERT_NE(client.map().master_of(static_cast<std::uint16_t>(slot)), nullptr);
  EXPECT_EQ(client.map().master_of(static_cast<std::uint16_t>(slot))->port, to);
  const auto moved = client.figures().moved.load();
  EXPECT_GE(moved, 1U);
  test::run(io, svc.get(keys.front()));
  EXPECT_EQ(client.figures().moved.load(), moved) << "no MOVED once the map is fixed";
  test::run(io, client.close());
}

// One worker of the reshard traffic: GETs of prefilled keys, MGETs and a
// script over tagged pairs, INCRs (not idempotent: a silent re-send would
// show as one too many).
asio::awaitable<void> worker(redis::service& svc, traffic_counts& t, int id) {
  static const redis::script pair_script(R"(return {redis.call('GET', KEYS[1]), redis.call('GET', KEYS[2])})");
  ++t.running;
  for (int i = 0; !t.stop; ++i) {
    const int n = (id * 7919 + i * 31) % 3000;
    try {
      switch (i % 4) {
        case 0: {
          const auto v = co_await svc.get("pre:" + std::to_string(n));
          if (v == "v" + std::to_string(n)) {
            ++t.ok;
          } else {
            t.failed(t.wrong, "GET pre:" + std::to_string(n) + " answered " + v.value_or("(nil)"));
          }
          break;
        }
        case 1: {
          const std::string tag = "{pair" + std::to_string(n % 500) + "}";
          const std::vector<std::string> mget{"MGET", tag + ":a", tag + ":b"};
          const auto r = co_await svc.command(mget, redis::retry::idempotent);
          if (r.elements.size() == 2 && r.elements[0].text == "a" && r.elements[1].text == "b") {
            ++t.ok;
          } else {
            t.failed(t.wrong, "MGET " + tag + " answered " + r.text);
          }
          break;
        }
        case 2: {
          const std::string tag = "{pair" + std::to_string((n + 250) % 500) + "}";
          const std::vector<std::string> keys{tag + ":a", tag + ":b"};
          const std::vector<std::string> none;
          const auto r = co_await svc.eval(pair_script, keys, none, redis::retry::idempotent);
          if (r.elements.size() == 2 && r.elements[1].text == "b") {
            ++t.ok;
          } else {
            t.failed(t.wrong, "script over " + tag + " answered " + r.text);
          }
          break;
        }
        default: {
          const std::string counter = "incr:" + std::to_string(id) + ":" + std::to_string(n % 40);
          co_await svc.incr(counter);
          ++t.increments[counter];
          ++t.ok;
        }
      }
    } catch (const core::unavailable_error& e) {
      t.failed(t.unavailable, std::string("step ") + std::to_string(i % 4) + ": " + e.what());
    } catch (const redis::server_error& e) {
      t.failed(t.server_errors, std::string("step ") + std::to_string(i % 4) + ": " + e.what());
    }
  }
  --t.running;
}

TEST(cluster_migration, a_reshard_under_traffic_surfaces_no_error) {
  test::redis_cluster cluster;
  asio::io_context io;
  redis::cluster client(io.get_executor(), node_options(cluster), seeds_of(cluster));
  redis::service svc(client);
  std::vector<std::vector<std::string>> fill;
  for (int n = 0; n < 3000; ++n) fill.push_back({"SET", "pre:" + std::to_string(n), "v" + std::to_string(n)});
  for (int n = 0; n < 500; ++n) {
    const std::string tag = "{pair" + std::to_string(n) + "}";
    fill.push_back({"SET", tag + ":a", "a"});
    fill.push_back({"SET", tag + ":b", "b"});
  }
  test::run(io, svc.pipeline(fill, redis::retry::idempotent));

  const auto from = cluster.master_ports().front();
  const auto to = other_master(cluster, from);
  traffic_counts t;
  for (int id = 0; id < 8; ++id) asio::co_spawn(io, worker(svc, t, id), asio::detached);
  ASSERT_TRUE(run_until(io, [&] { return t.ok > 2000; }));

  const auto began = clock::now();
  test::child_options reshard;
  // One key per MIGRATE: each slot stays half-moved for a while, so that
  // traffic meets ASK and TRYAGAIN as well as MOVED.
  reshard.argv = {"redis-cli",
                  "--cluster",
                  "reshard",
                  "127.0.0.1:" + std::to_string(from),
                  "--cluster-from",
                  test::redis_cli(from, {"CLUSTER", "MYID"}),
                  "--cluster-to",
                  test::redis_cli(to, {"CLUSTER", "MYID"}),
                  "--cluster-slots",
                  "1000",
                  "--cluster-pipeline",
                  "1",
                  "--cluster-yes"};
  test::child_process resharding(std::move(reshard));
  const auto before = t.ok;
  run_until(
      io, [&] { return !resharding.running(); }, 120s);
  const auto reshard_ms = ms_since(began);
  ASSERT_FALSE(resharding.running()) << "reshard did not finish";
  ASSERT_EQ(resharding.wait_for_exit(1s), 0) << resharding.output();
  run_until(
      io, [&] { return false; }, 300ms);  // traffic over the new layout for a moment
  t.stop = true;
  ASSERT_TRUE(run_until(
      io, [&] { return t.running == 0; }, 5s));

  std::printf(
      "reshard of 1000 slots took %lld ms; during it %llu commands ok; moved %llu asked %llu retried %llu; "
      "errors: unavailable %llu, error replies %llu, wrong values %llu\n",
      reshard_ms, static_cast<unsigned long long>(t.ok - before),
      static_cast<unsigned long long>(client.figures().moved.load()),
      static_cast<unsigned long long>(client.figures().asked.load()),
      static_cast<unsigned long long>(client.figures().retried.load()), static_cast<unsigned long long>(t.unavailable),
      static_cast<unsigned long long>(t.server_errors), static_cast<unsigned long long>(t.wrong));
  EXPECT_EQ(t.errors(), 0U) << "the first: " << t.first_error;
  EXPECT_GT(client.figures().moved.load(), 0U) << "the traffic did meet moved slots";
  // Every INCR that answered counted once, and none that failed counted.
  for (const auto& [counter, n] : t.increments) {
    const auto stored = test::run(io, svc.get(counter));
    ASSERT_EQ(stored, std::to_string(n)) << counter;
  }
  EXPECT_GT(cluster.nodes().size(), 0U);
  test::run(io, client.close());
}

struct recovery {
  long long recovered_ms = -1;       ///< since `since`, when a write to the key succeeded again; -1: not in 15 s
  int failed = 0;                    ///< writes that failed before
  long long longest_failure_ms = 0;  ///< the longest a failed write took
};

// Writes `key` every 50 ms until a write succeeds (at most 15 s after `since`).
recovery write_until_served(asio::io_context& io, redis::service& svc, const std::string& key,
                            clock::time_point since) {
  recovery out;
  test::run(
      io,
      [&]() -> asio::awaitable<void> {
        while (ms_since(since) < 15000) {
          const auto began = clock::now();
          try {
            co_await svc.set(key, "after");
            out.recovered_ms = ms_since(since);
            co_return;
          } catch (const core::unavailable_error&) {
          } catch (const redis::server_error&) {
          }
          ++out.failed;
          out.longest_failure_ms = std::max(out.longest_failure_ms, ms_since(began));
          co_await sleep_for(50ms);
        }
      }(),
      20s);
  return out;
}

TEST(cluster_failover, a_killed_master_is_replaced_by_its_replica_and_the_client_and_subscriber_follow) {
  test::redis_cluster cluster;
  asio::io_context io;
  redis::cluster client(io.get_executor(), node_options(cluster), seeds_of(cluster));
  redis::service svc(client);
  const std::string key = "victim";
  const int slot = redis::key_slot(key);
  const auto victim = cluster.master_of(slot);
  test::run(io, svc.set(key, "before"));

  // The subscriber starts on the master about to die.
  std::vector<std::uint16_t> seed_ports{victim};
  for (const auto p : cluster.ports()) {
    if (p != victim) seed_ports.push_back(p);
  }
  std::vector<std::string> heard;
  redis::cluster_subscriber sub(
      io.get_executor(), node_options(cluster), seeds_of(cluster, seed_ports).seeds,
      [&](std::string_view, std::string_view m) { heard.emplace_back(m); },
      [&client] { return client.map().replicas(); });
  sub.subscribe("failover-events");
  ASSERT_TRUE(run_until(io, [&] { return sub.subscribed(); }));
  ASSERT_EQ(sub.node().port, victim);

  cluster.node(victim).kill();
  const auto killed = clock::now();
  // Commands to the dead master's slots fail by their deadline until the
  // replica takes over; then they succeed on the new master.
  const auto outcome = write_until_served(io, svc, key, killed);
  ASSERT_GE(outcome.recovered_ms, 0) << cluster.logs();
  std::printf(
      "master killed: writes to its slot answered again after %lld ms (%d attempts failed meanwhile, "
      "the longest took %lld ms)\n",
      outcome.recovered_ms, outcome.failed, outcome.longest_failure_ms);
  EXPECT_LT(outcome.recovered_ms, 10000);
  EXPECT_LE(outcome.longest_failure_ms, 1200) << "no command outlives its deadline (1000 ms)";
  const auto promoted = cluster.master_of(slot);
  EXPECT_NE(promoted, victim);
  ASSERT_NE(client.map().master_of(static_cast<std::uint16_t>(slot)), nullptr);
  EXPECT_EQ(client.map().master_of(static_cast<std::uint16_t>(slot))->port, promoted);
  EXPECT_EQ(test::redis_cli(promoted, {"GET", key}), "after");

  // Every slot is served again: a burst over all of them sees no error.
  int errors = 0;
  test::run(io, [&]() -> asio::awaitable<void> {
    for (int i = 0; i < 300; ++i) {
      try {
        co_await svc.set("after:" + std::to_string(i), "x");
      } catch (const std::exception&) {
        ++errors;
      }
    }
  }());
  EXPECT_EQ(errors, 0);

  // The subscriber left the dead node and hears events again.
  ASSERT_TRUE(run_until(
      io, [&] { return sub.subscribed() && sub.node().port != victim; }, 10s));
  const auto moved_after = ms_since(killed);
  const auto before = heard.size();
  for (int i = 0; i < 20 && heard.size() == before; ++i) {
    test::run(io, svc.publish("failover-events", "hello"));
    run_until(
        io, [&] { return heard.size() > before; }, 200ms);
  }
  EXPECT_GT(heard.size(), before);
  std::printf("subscriber moved from %u to %u within %lld ms of the kill\n", victim, sub.node().port, moved_after);
  sub.close();
  test::run(io, client.close());
}

TEST(cluster_failover, a_hung_master_fails_commands_by_their_deadline_until_its_replica_takes_over) {
  test::redis_cluster cluster;
  asio::io_context io;
  redis::cluster client(io.get_executor(), node_options(cluster), seeds_of(cluster));
  redis::service svc(client);
  const std::string key = "hung";
  const int slot = redis::key_slot(key);
  const auto victim = cluster.master_of(slot);
  test::run(io, svc.set(key, "before"));
  ::kill(cluster.node(victim).pid(), SIGSTOP);  // a hung server: connections stay open, nothing answers
  const auto stopped = clock::now();
  const auto outcome = write_until_served(io, svc, key, stopped);
  ::kill(cluster.node(victim).pid(), SIGCONT);
  ASSERT_GE(outcome.recovered_ms, 0) << cluster.logs();
  std::printf(
      "master stopped (SIGSTOP): writes to its slot answered again after %lld ms (%d attempts failed, "
      "the longest took %lld ms)\n",
      outcome.recovered_ms, outcome.failed, outcome.longest_failure_ms);
  EXPECT_LT(outcome.recovered_ms, 10000);
  EXPECT_LE(outcome.longest_failure_ms, 1200) << "no command outlives its deadline (1000 ms)";
  EXPECT_NE(cluster.master_of(slot), victim) << "its replica took over";
  const auto value = test::run(io, svc.get(key));
  EXPECT_EQ(value, "after");
  test::run(io, client.close());
}

}  // namespace
}  // namespace bakewind::redis_test
