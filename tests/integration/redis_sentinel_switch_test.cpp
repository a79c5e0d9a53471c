// redis::client in Sentinel mode against real data nodes and a fake Sentinel
// that answers and announces on cue: a named node that is a replica is
// refused (ROLE), the Sentinel that answered is asked first next time, and
// a +switch-master drops the connection at once with the usual rules for
// what was in flight.

#include "fake_sentinel.hpp"
#include "redis_fixture.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

#include <future>

namespace bakewind::redis_test {
namespace {

using sentinel_switch_test = redis_test;

redis::server_address local(std::uint16_t port) { return {"127.0.0.1", port}; }

redis::options through(const std::vector<redis::server_address>& sentinels) {
  redis::options o;
  o.sentinels = sentinels;
  o.sentinel_master = "mymaster";
  return o;
}

// Runs `io` until `done()` holds or `limit` passes; whether it holds.
template <class Done>
bool run_until(asio::io_context& io, Done done, std::chrono::milliseconds limit = 5s) {
  const auto deadline = clock::now() + limit;
  io.restart();
  while (!done() && clock::now() < deadline) io.run_for(10ms);
  return done();
}

TEST_F(sentinel_switch_test, a_named_node_that_is_a_replica_is_refused_until_the_master_is_named) {
  test::redis_server master;
  test::redis_server replica({"--replicaof", "127.0.0.1", std::to_string(master.port())});
  fake_sentinel lagging(io_, "mymaster", local(replica.port()));
  redis::client c(io_.get_executor(), through({lagging.address()}));
  redis::service svc(c);
  try {
    run(svc.set("k", "v"));
    ADD_FAILURE() << "a write went through";
  } catch (const core::unavailable_error& e) {
    EXPECT_NE(std::string(e.what()).find("ROLE is slave, not master"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(client_ids(replica.port()).empty()) << "no connection is kept to the replica";
  EXPECT_EQ(c.stats().connects.load(), 0u);

  lagging.set_master(local(master.port()));
  ASSERT_TRUE(run_until(io_, [&] { return c.stats().connected.load(); }, 3s)) << "retried by itself";
  EXPECT_NO_THROW(run(svc.set("k", "v")));
  EXPECT_EQ(cli(master.port(), {"GET", "k"}), "v");
}

TEST_F(sentinel_switch_test, the_sentinel_that_answered_is_asked_first_next_time) {
  test::redis_server master;
  fake_sentinel stranger(io_, "othermaster", local(master.port()));  // does not know "mymaster"
  fake_sentinel second(io_, "mymaster", local(master.port()));
  fake_sentinel third(io_, "mymaster", local(master.port()));
  redis::client c(io_.get_executor(), through({stranger.address(), second.address(), third.address()}));
  redis::service svc(c);
  run(svc.set("k", "1"));
  EXPECT_EQ(stranger.lookups(), 1);
  EXPECT_EQ(third.lookups(), 0);
  // The +switch-master watch starts at the Sentinel that answered, too.
  ASSERT_TRUE(run_until(io_, [&] { return second.subscriptions_made() == 1; }));
  EXPECT_EQ(second.lookups(), 2);
  // Reconnect: the lookup starts at `second` and stops there.
  ASSERT_EQ(kill_our_connections(master.port()), 1);
  EXPECT_EQ(run(svc.get("k")), "1");
  EXPECT_EQ(stranger.lookups(), 1);
  EXPECT_EQ(second.lookups(), 3);
  EXPECT_EQ(third.lookups(), 0);
  EXPECT_EQ(stranger.subscriptions_made() + third.subscriptions_made(), 0);
}

TEST_F(sentinel_switch_test, switch_master_drops_the_connection_at_once_failing_writes_in_flight_resending_reads) {
  test::redis_server a;
  test::redis_server b;
  cli(a.port(), {"SET", "where", "a"});
  cli(b.port(), {"SET", "where", "b"});
  fake_sentinel sentinel(io_, "mymaster", local(a.port()));
  auto o = through({sentinel.address()});
  o.command_timeout = 4s;  // in-flight commands must end by the switch, not by their deadline
  redis::client c(io_.get_executor(), o);
  redis::service svc(c);
  EXPECT_EQ(run(svc.get("where")), "a");
  ASSERT_TRUE(run_until(io_, [&] { return sentinel.subscriptions_made() == 1; })) << "+switch-master is watched";

  // `a` holds every command: an INCR and an idempotent GET are sent, unanswered.
  cli(a.port(), {"CLIENT", "PAUSE", "3000", "ALL"});
  std::future<long long> incr;
  std::future<redis::reply> where;
  long long switched_after_ms = -1;
  run([&]() -> asio::awaitable<void> {
    incr = asio::co_spawn(io_, svc.incr("n"), asio::use_future);
    where = asio::co_spawn(io_, c.command(redis::retry::idempotent, "GET", "where"), asio::use_future);
    co_await sleep_for(200ms);
    EXPECT_EQ(incr.wait_for(0s), std::future_status::timeout);
    const auto switched_at = clock::now();
    sentinel.switch_master(local(b.port()));
    while ((incr.wait_for(0s) != std::future_status::ready || where.wait_for(0s) != std::future_status::ready) &&
           ms_since(switched_at) < 3000) {
      co_await sleep_for(5ms);
    }
    switched_after_ms = ms_since(switched_at);
  }());
  std::cout << "[ measured ] in-flight commands settled " << switched_after_ms << " ms after +switch-master\n";
  ASSERT_EQ(incr.wait_for(0s), std::future_status::ready);
  ASSERT_EQ(where.wait_for(0s), std::future_status::ready);
  EXPECT_LT(switched_after_ms, 500);
  try {
    incr.get();
    ADD_FAILURE() << "INCR succeeded";
  } catch (const core::unavailable_error& e) {
    EXPECT_NE(std::string(e.what()).find("connection lost"), std::string::npos) << e.what();
  }
  EXPECT_EQ(where.get().text, "b") << "the idempotent read was sent again, to the new master";
  EXPECT_NO_THROW(run(svc.set("k", "v")));
  EXPECT_EQ(cli(b.port(), {"GET", "k"}), "v");
  EXPECT_EQ(cli(b.port(), {"EXISTS", "n"}), "0") << "the INCR was not re-sent";
  cli(a.port(), {"CLIENT", "UNPAUSE"});
  EXPECT_EQ(c.stats().reconnects.load(), 1u);
}

TEST_F(sentinel_switch_test, switches_of_other_masters_and_malformed_messages_are_ignored) {
  test::redis_server a;
  test::redis_server b;
  fake_sentinel sentinel(io_, "mymaster", local(a.port()));
  redis::client c(io_.get_executor(), through({sentinel.address()}));
  redis::service svc(c);
  run(svc.ping());
  ASSERT_TRUE(run_until(io_, [&] { return sentinel.subscriptions_made() == 1; }));
  sentinel.publish("othermaster " + local(a.port()).text() + " " + local(b.port()).text());
  sentinel.publish("mymaster " + local(b.port()).text());
  sentinel.publish("mymaster 127.0.0.1 x 127.0.0.1 y");
  run_for(300ms);
  EXPECT_EQ(c.stats().reconnects.load(), 0u);
  EXPECT_EQ(client_ids(a.port()).size(), 1u);
  EXPECT_TRUE(client_ids(b.port()).empty());
  EXPECT_NO_THROW(run(svc.ping()));
}

}  // namespace
}  // namespace bakewind::redis_test
