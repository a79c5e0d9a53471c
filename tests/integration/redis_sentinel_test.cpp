// redis::client and redis::subscriber against a real Sentinel deployment
// (tests/support/redis_sentinel_group: master, replica, three Sentinels):
// connecting through the Sentinels, following SENTINEL FAILOVER, a killed
// master and a frozen one, one Sentinel dead or frozen, all of them gone,
// the subscriber after a failover, and a wrong Sentinel password. Each
// prints what it measured.

#include "redis/subscriber.hpp"
#include "redis_fixture.hpp"
#include "support/net.hpp"
#include "support/redis_sentinel_group.hpp"

#include <iostream>

namespace bakewind::redis_test {
namespace {

using sentinel_test = redis_test;

redis::options through(const test::redis_sentinel_group& group, const std::string& password = {}) {
  redis::options o;
  for (auto port : group.sentinel_ports()) o.sentinels.push_back({"127.0.0.1", port});
  o.sentinel_master = group.name();
  o.sentinel_password = password;
  return o;
}

void report(const std::string& what, long long ms) { std::cout << "[ measured ] " << what << ": " << ms << " ms\n"; }

// The message of the unavailable_error `task` throws, or "" (and a failure).
template <class T>
std::string unavailable_message(asio::io_context& io, asio::awaitable<T> task) {
  try {
    test::run(io, std::move(task), 30s);
  } catch (const core::unavailable_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no unavailable_error";
  return {};
}

// What writing through the client looked like until a write was seen on the
// expected master.
struct follow {
  long long seen_after_ms = -1;  ///< since the start; -1: never
  int ok = 0;
  int unavailable = 0;
  int server_errors = 0;         ///< e.g. READONLY
  long long slowest_ms = 0;
};

// Whether the write of `value` landed on `port`: it holds the value and is a
// master, and `old` (when it can be asked) does not hold it, since a replica
// also holds what its master was given.
bool landed_on(const test::redis_sentinel_group& group, std::uint16_t port, const std::string& value,
               std::optional<std::uint16_t> old) {
  if (group.cli(port, {"GET", "follow"}) != value) return false;
  if (group.cli(port, {"ROLE"}).rfind("master", 0) != 0) return false;
  return !old || group.cli(*old, {"GET", "follow"}) != value;
}

// SETs a fresh value every 20 ms until it lands on `port` (see landed_on),
// or `limit` passes.
asio::awaitable<follow> write_until_seen_on(redis::service& svc, const test::redis_sentinel_group& group,
                                            std::uint16_t port, clock::time_point start,
                                            std::chrono::milliseconds limit,
                                            std::optional<std::uint16_t> old = std::nullopt) {
  follow f;
  for (int i = 0; ms_since(start) < limit.count(); ++i) {
    const auto value = "v" + std::to_string(i);
    const auto began = clock::now();
    bool written = false;
    try {
      co_await svc.set("follow", value);
      written = true;
      ++f.ok;
    } catch (const core::unavailable_error&) {
      ++f.unavailable;
    } catch (const redis::server_error&) {
      ++f.server_errors;
    }
    f.slowest_ms = std::max(f.slowest_ms, ms_since(began));
    if (written && landed_on(group, port, value, old)) {
      f.seen_after_ms = ms_since(start);
      co_return f;
    }
    co_await sleep_for(20ms);
  }
  co_return f;
}

TEST_F(sentinel_test, connects_through_the_sentinels_and_serves_get_and_set) {
  test::redis_sentinel_group group;
  const auto master = group.master_port();
  auto o = through(group);
  o.host = "127.0.0.1";
  o.port = test::free_port();  // REDIS_URL's address is not used in Sentinel mode
  redis::client c(io_.get_executor(), o);
  redis::service svc(c);
  run(svc.set("k", "v"));
  EXPECT_EQ(run(svc.get("k")), "v");
  EXPECT_EQ(cli(master, {"GET", "k"}), "v");
  EXPECT_EQ(client_ids(master).size(), 1u);
  // One +switch-master subscription, on one of the Sentinels.
  run_for(300ms);
  int watchers = 0;
  for (auto port : group.sentinel_ports()) {
    const auto list = group.cli(port, {"CLIENT", "LIST"});
    for (std::size_t at = list.find("name=bakewind"); at != std::string::npos; at = list.find("name=bakewind", at + 1)) {
      const auto line_end = list.find('\n', at);
      if (list.substr(at, line_end - at).find(" sub=1 ") != std::string::npos) ++watchers;
    }
  }
  EXPECT_EQ(watchers, 1);
}

TEST_F(sentinel_test, follows_sentinel_failover_within_5s_and_writes_land_on_the_new_master) {
  test::redis_sentinel_group group;
  const auto old_master = group.data_ports()[0];
  const auto new_master = group.data_ports()[1];
  redis::client c(io_.get_executor(), through(group));
  redis::service svc(c);
  run(svc.set("before", "1"));
  ASSERT_EQ(client_ids(old_master).size(), 1u);
  const auto start = clock::now();
  group.failover();
  const auto f = run(write_until_seen_on(svc, group, new_master, start, 8s, old_master), 12s);
  report("SENTINEL FAILOVER to a write seen on the new master", f.seen_after_ms);
  ASSERT_GE(f.seen_after_ms, 0) << group.logs();
  EXPECT_LT(f.seen_after_ms, 5000);
  EXPECT_EQ(f.server_errors, 0);
  EXPECT_LT(f.slowest_ms, 1500);
  EXPECT_EQ(cli(new_master, {"ROLE"}).substr(0, 6), "master");
  EXPECT_EQ(client_ids(new_master).size(), 1u);
  EXPECT_TRUE(client_ids(old_master).empty()) << "nothing of ours stays on the old master";
  EXPECT_GE(c.stats().reconnects.load(), 1u);
}

TEST_F(sentinel_test, follows_a_killed_master_once_the_sentinels_promote_the_replica) {
  test::redis_sentinel_group group;
  const auto old_master = group.data_ports()[0];
  const auto replica = group.data_ports()[1];
  redis::client c(io_.get_executor(), through(group));
  redis::service svc(c);
  run(svc.set("before", "1"));
  // Replication is asynchronous: without this the kill may come before the
  // replica has the write (what server_identity's refills are for), and the
  // last check below would test the race, not the client.
  ASSERT_EQ(run(svc.command({"WAIT", "1", "2000"})).integer, 1);
  const auto start = clock::now();
  group.kill(old_master);
  const auto f = run(write_until_seen_on(svc, group, replica, start, 15s), 20s);
  report("SIGKILL of the master to a write seen on the promoted replica", f.seen_after_ms);
  std::cout << "[ measured ] meanwhile: " << f.ok << " writes ok, " << f.unavailable
            << " unavailable, slowest " << f.slowest_ms << " ms\n";
  ASSERT_GE(f.seen_after_ms, 0) << group.logs();
  EXPECT_LT(f.seen_after_ms, 10000);
  EXPECT_GT(f.unavailable, 0) << "there was an outage, and it was reported";
  EXPECT_LT(f.slowest_ms, 1500) << "no command outlives its deadline";
  EXPECT_EQ(group.cli(replica, {"GET", "before"}), "1");
}

TEST_F(sentinel_test, a_frozen_master_is_dropped_by_silence_and_the_client_never_writes_to_it_when_it_thaws) {
  test::redis_sentinel_group group;
  const auto old_master = group.data_ports()[0];
  const auto replica = group.data_ports()[1];
  redis::client c(io_.get_executor(), through(group));
  redis::service svc(c);
  run(svc.set("before", "1"));
  ASSERT_TRUE(c.stats().connected.load());
  const auto start = clock::now();
  group.pause(old_master);
  // Whichever comes first drops it: silence (idle PING at 1 s, unanswered
  // for 2 s) or the +switch-master of a quick failover (down-after 1 s).
  run([&]() -> asio::awaitable<void> {
    while (c.stats().connected.load() && c.stats().reconnects.load() == 0 && ms_since(start) < 8000) {
      co_await sleep_for(5ms);
    }
  }());
  const auto dropped_after = ms_since(start);
  report("SIGSTOP of the master to our connection dropped", dropped_after);
  EXPECT_LT(dropped_after, 3500);

  const auto f = run(write_until_seen_on(svc, group, replica, start, 15s), 20s);
  report("SIGSTOP of the master to a write seen on the promoted replica", f.seen_after_ms);
  ASSERT_GE(f.seen_after_ms, 0) << group.logs();
  EXPECT_LT(f.slowest_ms, 1500);

  // Thawed, the old master believes it is still the master until the
  // Sentinels turn it into a replica (seconds later): nothing of ours goes there.
  group.resume(old_master);
  const auto thawed = clock::now();
  int written = 0;
  run([&]() -> asio::awaitable<void> {
    for (int i = 0; ms_since(thawed) < 2000; ++i) {
      try {
        co_await svc.set("after:" + std::to_string(i), "x");
        ++written;
      } catch (const core::unavailable_error&) {
      }
      co_await sleep_for(20ms);
    }
  }());
  EXPECT_GT(written, 50);
  EXPECT_TRUE(client_ids(old_master).empty());
  const auto role = cli(old_master, {"ROLE"});
  if (role.rfind("master", 0) == 0) {
    EXPECT_EQ(cli(old_master, {"EXISTS", "after:0", "after:10", "after:50"}), "0") << "a write reached the old master";
  }
  EXPECT_EQ(cli(replica, {"EXISTS", "after:0", "after:10", "after:50"}), "3");
}

TEST_F(sentinel_test, one_sentinel_down_does_not_matter_for_lookups_or_for_following) {
  test::redis_sentinel_group group;
  const auto sentinels = group.sentinel_ports();
  const auto old_master = group.data_ports()[0];
  const auto new_master = group.data_ports()[1];
  redis::client watched_first(io_.get_executor(), through(group));
  redis::service first(watched_first);
  run(first.set("k", "1"));
  run_for(300ms);  // its +switch-master subscription is on the first Sentinel
  group.kill(sentinels[0]);
  // A new client skips the dead Sentinel.
  redis::client later(io_.get_executor(), through(group));
  redis::service second(later);
  const auto looked_up = clock::now();
  EXPECT_EQ(run(second.get("k")), "1");
  report("first command of a new client with the first Sentinel dead", ms_since(looked_up));
  // Both follow a failover that the two remaining Sentinels carry out.
  const auto start = clock::now();
  group.failover();
  const auto f1 = run(write_until_seen_on(first, group, new_master, start, 8s, old_master), 12s);
  const auto f2 = run(write_until_seen_on(second, group, new_master, start, 8s, old_master), 12s);
  report("failover with one Sentinel dead, to a write of the first client on the new master", f1.seen_after_ms);
  ASSERT_GE(f1.seen_after_ms, 0) << group.logs();
  ASSERT_GE(f2.seen_after_ms, 0) << group.logs();
  EXPECT_LT(f1.seen_after_ms, 5000);
  EXPECT_LT(f2.seen_after_ms, 5000);
}

TEST_F(sentinel_test, a_frozen_sentinel_under_the_watch_is_left_and_a_failover_it_missed_is_still_followed) {
  test::redis_sentinel_group group;
  const auto sentinels = group.sentinel_ports();
  const auto old_master = group.data_ports()[0];
  const auto new_master = group.data_ports()[1];
  redis::client c(io_.get_executor(), through(group));
  redis::service svc(c);
  run(svc.set("k", "1"));
  run_for(300ms);  // the lookup and so the +switch-master watch are on the first Sentinel
  // It freezes: the watch hears nothing, not even the failover the others
  // carry out. Silence detection moves it to another Sentinel, which says
  // where the master is now.
  group.pause(sentinels[0]);
  const auto start = clock::now();
  group.failover();
  const auto f = run(write_until_seen_on(svc, group, new_master, start, 8s, old_master), 12s);
  report("failover missed by the watched (frozen) Sentinel, to a write on the new master", f.seen_after_ms);
  ASSERT_GE(f.seen_after_ms, 0) << group.logs();
  EXPECT_LT(f.seen_after_ms, 5000);
  group.resume(sentinels[0]);
}

TEST_F(sentinel_test, with_no_sentinel_reachable_commands_fail_within_their_deadline) {
  // Nothing listens: each lookup is refused at once, the retries end it.
  redis::options refused;
  for (int i = 0; i < 3; ++i) refused.sentinels.push_back({"127.0.0.1", test::free_port()});
  refused.sentinel_master = "mymaster";
  {
    redis::client c(io_.get_executor(), refused);
    redis::service svc(c);
    const auto start = clock::now();
    const auto message = unavailable_message(io_, svc.get("k"));
    const auto elapsed = ms_since(start);
    report("no Sentinel listening, to the command's failure", elapsed);
    EXPECT_LT(elapsed, 1000);
    EXPECT_NE(message.find("no Sentinel named master 'mymaster'"), std::string::npos) << message;
    EXPECT_NE(message.find("Sentinel unreachable"), std::string::npos) << message;
  }

  // Frozen Sentinels accept connections and say nothing: the deadline ends it.
  test::redis_sentinel_group group;
  redis::client connected(io_.get_executor(), through(group));
  redis::service connected_svc(connected);
  run(connected_svc.set("k", "v"));
  for (auto port : group.sentinel_ports()) group.pause(port);
  redis::client fresh(io_.get_executor(), through(group));
  redis::service fresh_svc(fresh);
  const auto start = clock::now();
  const auto message = unavailable_message(io_, fresh_svc.get("k"));
  const auto elapsed = ms_since(start);
  report("all Sentinels frozen, to the command's failure", elapsed);
  EXPECT_NE(message.find("timed out"), std::string::npos) << message;
  EXPECT_GE(elapsed, 900);
  EXPECT_LT(elapsed, 1400);
  // A client already on the master does not need the Sentinels.
  EXPECT_EQ(run(connected_svc.get("k")), "v");
  for (auto port : group.sentinel_ports()) group.resume(port);
}

TEST_F(sentinel_test, the_subscriber_hears_a_message_published_on_the_new_master_after_a_failover) {
  test::redis_sentinel_group group;
  const auto old_master = group.data_ports()[0];
  const auto new_master = group.data_ports()[1];
  std::vector<std::string> heard;
  redis::subscriber sub(io_.get_executor(), through(group),
                        [&](std::string_view, std::string_view message) { heard.emplace_back(message); });
  sub.subscribe("events");
  auto run_until = [&](auto done, std::chrono::milliseconds limit) {
    const auto deadline = clock::now() + limit;
    io_.restart();
    while (!done() && clock::now() < deadline) io_.run_for(20ms);
    return done();
  };
  // A subscription is confirmed a moment before the server delivers to it: publish until heard.
  auto publish_until_heard = [&](std::uint16_t port, const std::string& text, std::chrono::milliseconds limit) {
    const auto deadline = clock::now() + limit;
    while (clock::now() < deadline) {
      cli(port, {"PUBLISH", "events", text});
      if (run_until([&] { return !heard.empty() && heard.back() == text; }, 100ms)) return true;
    }
    return false;
  };
  ASSERT_TRUE(run_until([&] { return sub.subscribed(); }, 5s));
  ASSERT_TRUE(publish_until_heard(old_master, "before", 3s));
  const auto start = clock::now();
  group.failover();
  ASSERT_TRUE(publish_until_heard(new_master, "after", 8s)) << group.logs();
  report("SENTINEL FAILOVER to a message published on the new master heard", ms_since(start));
  EXPECT_EQ(cli(new_master, {"ROLE"}).substr(0, 6), "master");
  EXPECT_GE(sub.stats().reconnects.load(), 1u);
  sub.close();
}

TEST_F(sentinel_test, a_wrong_or_missing_sentinel_password_gives_a_clear_error) {
  test::sentinel_group_options options;
  options.sentinel_password = "sentinel-secret";
  test::redis_sentinel_group group(options);
  {
    redis::client c(io_.get_executor(), through(group, "wrong"));
    const auto message = unavailable_message(io_, redis::service(c).get("k"));
    EXPECT_NE(message.find("Sentinel authentication failed (WRONGPASS): check REDIS_SENTINEL_PASSWORD"),
              std::string::npos)
        << message;
  }
  {
    redis::client c(io_.get_executor(), through(group));
    const auto message = unavailable_message(io_, redis::service(c).get("k"));
    EXPECT_NE(message.find("Sentinel requires a password (NOAUTH): set REDIS_SENTINEL_PASSWORD"), std::string::npos)
        << message;
  }
  redis::client c(io_.get_executor(), through(group, "sentinel-secret"));
  redis::service svc(c);
  run(svc.set("k", "v"));
  EXPECT_EQ(cli(group.master_port(), {"GET", "k"}), "v");
}

}  // namespace
}  // namespace bakewind::redis_test
