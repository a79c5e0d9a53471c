// redis::client when the connection misbehaves: lazy connect, a dead port,
// a server killed and restarted mid-traffic, CLIENT KILL, a hung server
// (DEBUG SLEEP, SIGSTOP), a replica answering READONLY, and what happens to a
// command that was in flight when its connection died.

#include "redis_fixture.hpp"
#include "support/net.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_future.hpp>

#include <signal.h>

#include <functional>
#include <future>
#include <thread>

namespace bakewind::redis_test {
namespace {

using connection_test = redis_test;

redis::options dead_port_options() {
  redis::options o;
  o.host = "127.0.0.1";
  o.port = test::free_port();
  return o;
}

// SIGSTOPs `server` for the object's lifetime, or until resume(): a hung
// host, whose kernel still holds the connection while the server says nothing.
struct frozen {
  explicit frozen(const test::redis_server& s) : pid(s.pid()) { ::kill(pid, SIGSTOP); }
  ~frozen() { resume(); }
  void resume() const { ::kill(pid, SIGCONT); }
  int pid;
};

// Runs the loop until `holds` (checked every 10 ms) or `limit` has passed.
asio::awaitable<void> until(std::function<bool()> holds, std::chrono::milliseconds limit = 3s) {
  const auto start = clock::now();
  while (!holds() && clock::now() - start < limit) co_await sleep_for(10ms);
}

// A server of its own that allows DEBUG (SLEEP: a slow or hung server on
// cue), and a client and service of the test's loop on it.
struct own_server {
  explicit own_server(asio::io_context& io) : client(io.get_executor(), options_for(server)), svc(client) {}
  test::redis_server server{std::vector<std::string>{"--enable-debug-command", "yes"}};
  redis::client client;
  redis::service svc;
};

// The message of the unavailable_error `task` throws, or "" (and a failure).
template <class T>
std::string unavailable_message(asio::io_context& io, asio::awaitable<T> task) {
  try {
    test::run(io, std::move(task), 30s);
  } catch (const core::unavailable_error& e) {
    EXPECT_EQ(e.dependency(), "redis");
    return e.what();
  }
  ADD_FAILURE() << "no unavailable_error";
  return {};
}

// With `s.server` frozen: a GET waits out its timeout, and the client then
// holds the server as not answering (within a tick).
void held_as_not_answering(asio::io_context& io, own_server& s) {
  unavailable_message(io, s.svc.get("k"));
  test::run(io, until([&] { return s.client.stats().not_answering.load(); }), 5s);
  EXPECT_TRUE(s.client.stats().not_answering.load());
}

TEST_F(connection_test, constructing_a_client_connects_nothing_even_with_a_listener) {
  asio::ip::tcp::acceptor acceptor(io_, {asio::ip::make_address("127.0.0.1"), 0});
  redis::options o;
  o.host = "127.0.0.1";
  o.port = acceptor.local_endpoint().port();
  redis::client c(io_.get_executor(), o);
  std::this_thread::sleep_for(100ms);
  // Nothing was started: the loop has no work at all.
  io_.restart();
  EXPECT_EQ(io_.poll(), 0u);
  acceptor.non_blocking(true);
  boost::system::error_code ec;
  acceptor.accept(ec);
  EXPECT_EQ(ec, asio::error::would_block);
  EXPECT_EQ(c.stats().connects.load(), 0u);
  EXPECT_EQ(c.stats().errors.load(), 0u);
}

TEST_F(connection_test, constructing_a_client_with_nothing_listening_does_not_throw) {
  EXPECT_NO_THROW(redis::client(io_.get_executor(), dead_port_options()));
}

TEST_F(connection_test, first_command_on_a_dead_port_fails_after_the_retries_not_the_deadline) {
  auto o = dead_port_options();
  o.command_timeout = 10s;  // the retries must end it, long before this
  redis::client c(io_.get_executor(), o);
  redis::service svc(c);
  const auto start = clock::now();
  const auto message = unavailable_message(io_, svc.get("k"));
  const auto elapsed = ms_since(start);
  EXPECT_NE(message.find("reconnect attempts"), std::string::npos) << message;
  // 4 refused connects with 50 + 100 + 150 ms between them.
  EXPECT_GE(elapsed, 250);
  EXPECT_LT(elapsed, 1000);
  EXPECT_GE(c.stats().errors.load(), 4u);
  EXPECT_EQ(c.stats().connects.load(), 0u);
}

TEST_F(connection_test, first_command_on_a_dead_port_fails_at_its_deadline_when_retries_are_many) {
  auto o = dead_port_options();
  o.max_retries_per_request = 1000;
  redis::client c(io_.get_executor(), o);
  redis::service svc(c);
  const auto start = clock::now();
  const auto message = unavailable_message(io_, svc.get("k"));
  const auto elapsed = ms_since(start);
  EXPECT_NE(message.find("timed out"), std::string::npos) << message;
  EXPECT_GE(elapsed, 950);
  EXPECT_LT(elapsed, 1500);
}

// Workers that SET and GET their own keys in a loop, tallying per phase.
struct traffic {
  enum phase { up, down, restarted };
  int ok[3] = {};
  int failed[3] = {};
  int wrong_values = 0;
  int other_errors = 0;
  long long slowest_ms = 0;
  phase now = up;
  bool stop = false;
  std::optional<clock::time_point> first_ok_after_restart;
};

asio::awaitable<void> worker(redis::service& svc, traffic& t, int id) {
  for (int i = 0; !t.stop; ++i) {
    const auto key = "w" + std::to_string(id);
    const auto value = std::to_string(i);
    const auto started = clock::now();
    const auto phase = t.now;
    try {
      co_await svc.set(key, value);
      auto got = co_await svc.get(key);
      if (got != value) ++t.wrong_values;
      ++t.ok[phase];
      if (phase == traffic::restarted && !t.first_ok_after_restart) t.first_ok_after_restart = clock::now();
    } catch (const core::unavailable_error&) {
      ++t.failed[phase];
    } catch (...) {
      ++t.other_errors;
    }
    t.slowest_ms = std::max(t.slowest_ms, ms_since(started));
    if (t.failed[phase] > 0) co_await sleep_for(20ms);
  }
}

TEST_F(connection_test, server_stopped_mid_traffic_fails_callers_in_time_and_traffic_resumes_after_restart) {
  test::redis_server server;
  redis::client c(io_.get_executor(), options_for(server));
  redis::service svc(c);
  traffic t;
  std::vector<std::future<void>> workers;
  for (int i = 0; i < 8; ++i) workers.push_back(asio::co_spawn(io_, worker(svc, t, i), asio::use_future));
  clock::time_point restarted_at;
  run([&]() -> asio::awaitable<void> {
    co_await sleep_for(300ms);
    t.now = traffic::down;
    server.stop();
    co_await sleep_for(1500ms);
    t.now = traffic::restarted;
    server.start();
    restarted_at = clock::now();
    for (int i = 0; i < 40 && !t.first_ok_after_restart; ++i) co_await sleep_for(100ms);
    co_await sleep_for(300ms);
    t.stop = true;
    co_await sleep_for(1200ms);
  }());
  for (auto& w : workers) EXPECT_EQ(w.wait_for(0s), std::future_status::ready);
  EXPECT_GT(t.ok[traffic::up], 10);
  EXPECT_GT(t.failed[traffic::down], 0);
  EXPECT_EQ(t.ok[traffic::down], 0);
  EXPECT_EQ(t.other_errors, 0);
  EXPECT_EQ(t.wrong_values, 0);
  // No caller waits longer than the two commands' deadlines.
  EXPECT_LT(t.slowest_ms, 2 * 1000 + 300);
  ASSERT_TRUE(t.first_ok_after_restart.has_value()) << "traffic did not resume by itself";
  EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(*t.first_ok_after_restart - restarted_at).count(),
            2500);
  EXPECT_GT(t.ok[traffic::restarted], 10);
  EXPECT_EQ(c.stats().reconnects.load(), 1u);
  EXPECT_EQ(c.stats().connects.load(), 2u);
  EXPECT_GT(c.stats().errors.load(), 0u);
  EXPECT_TRUE(c.stats().connected.load());
}

TEST_F(connection_test, client_kill_of_our_connection_reconnects_and_the_next_command_succeeds) {
  test::redis_server server;
  redis::client c(io_.get_executor(), options_for(server));
  redis::service svc(c);
  run(svc.ping());
  const auto before = client_ids(server.port());
  ASSERT_EQ(before.size(), 1u);
  EXPECT_EQ(cli(server.port(), {"CLIENT", "KILL", "TYPE", "normal"}), "1");
  run_for(300ms);
  EXPECT_EQ(c.stats().reconnects.load(), 1u);
  const auto after = client_ids(server.port());
  ASSERT_EQ(after.size(), 1u);
  EXPECT_NE(after[0], before[0]);
  EXPECT_NO_THROW(run(svc.set("k", "v")));
  EXPECT_EQ(cli(server.port(), {"GET", "k"}), "v");
}

TEST_F(connection_test, a_read_issued_right_after_client_kill_succeeds) {
  test::redis_server server;
  redis::client c(io_.get_executor(), options_for(server));
  redis::service svc(c);
  run(svc.set("k", "v"));
  // The loop does not run while we kill: the client learns of it only now.
  ASSERT_EQ(kill_our_connections(server.port()), 1);
  EXPECT_EQ(run(svc.get("k")), "v");
  EXPECT_EQ(c.stats().reconnects.load(), 1u);
}

TEST_F(connection_test, a_write_in_flight_when_the_connection_dies_fails_and_is_not_resent) {
  test::redis_server server;
  redis::client c(io_.get_executor(), options_for(server));
  redis::service svc(c);
  run(svc.ping());
  // The server holds writes: our INCR is sent but gets no reply until we kill it.
  cli(server.port(), {"CLIENT", "PAUSE", "5000", "WRITE"});
  std::future<long long> incr;
  long long failed_after_ms = -1;
  run([&]() -> asio::awaitable<void> {
    incr = asio::co_spawn(io_, svc.incr("n"), asio::use_future);
    co_await sleep_for(200ms);
    EXPECT_EQ(incr.wait_for(0s), std::future_status::timeout);
    const auto killed_at = clock::now();
    EXPECT_EQ(kill_our_connections(server.port()), 1);
    for (int i = 0; i < 100 && incr.wait_for(0s) != std::future_status::ready; ++i) co_await sleep_for(10ms);
    failed_after_ms = ms_since(killed_at);
  }());
  ASSERT_EQ(incr.wait_for(0s), std::future_status::ready);
  try {
    incr.get();
    ADD_FAILURE() << "INCR succeeded";
  } catch (const core::unavailable_error& e) {
    EXPECT_NE(std::string(e.what()).find("connection lost"), std::string::npos) << e.what();
  }
  EXPECT_LT(failed_after_ms, 500);  // at once, not at the deadline
  cli(server.port(), {"CLIENT", "UNPAUSE"});
  run_for(500ms);  // a re-sent INCR would run now
  EXPECT_EQ(cli(server.port(), {"EXISTS", "n"}), "0");
  EXPECT_EQ(run(svc.incr("n")), 1);
}

TEST_F(connection_test, an_idempotent_command_in_flight_when_the_connection_dies_is_resent) {
  test::redis_server server;
  auto o = options_for(server);
  o.command_timeout = 4s;
  redis::client c(io_.get_executor(), o);
  run(redis::service(c).ping());
  std::future<redis::reply> popped;
  run([&]() -> asio::awaitable<void> {
    popped = asio::co_spawn(io_, c.command(redis::retry::idempotent, "BLPOP", "list", "3"), asio::use_future);
    co_await sleep_for(200ms);
    EXPECT_EQ(kill_our_connections(server.port()), 1);
    co_await sleep_for(400ms);  // reconnected and BLPOP sent again
    EXPECT_EQ(cli(server.port(), {"LPUSH", "list", "x"}), "1");
    for (int i = 0; i < 100 && popped.wait_for(0s) != std::future_status::ready; ++i) co_await sleep_for(10ms);
  }());
  ASSERT_EQ(popped.wait_for(0s), std::future_status::ready);
  const auto r = popped.get();
  ASSERT_EQ(r.type, redis::reply::kind::array);
  ASSERT_EQ(r.elements.size(), 2u);
  EXPECT_EQ(r.elements[1].text, "x");
  EXPECT_EQ(c.stats().reconnects.load(), 1u);
}

TEST_F(connection_test, a_hung_server_gives_deadline_errors_then_recovers_without_restart) {
  own_server s(io_);
  auto& svc = s.svc;
  run(svc.set("k", "v"));
  const auto slept_at = clock::now();
  auto sleeper = cli_in_background(s.server.port(), {"DEBUG", "SLEEP", "3"});
  std::this_thread::sleep_for(150ms);
  const auto start = clock::now();
  const auto message = unavailable_message(io_, svc.get("k"));
  const auto elapsed = ms_since(start);
  EXPECT_NE(message.find("timed out"), std::string::npos) << message;
  EXPECT_GE(elapsed, 950);
  EXPECT_LT(elapsed, 1400);
  // Keep asking: answers come back after the sleep, on their own.
  std::optional<std::string> value;
  int failures = 0;
  run(
      [&]() -> asio::awaitable<void> {
        while (!value) {
          try {
            value = co_await svc.get("k");
          } catch (const core::unavailable_error&) {
            ++failures;
          }
          if (!value) co_await sleep_for(100ms);
        }
      }(),
      10s);
  const auto recovered_after = ms_since(slept_at);
  EXPECT_EQ(value, "v");
  EXPECT_GE(recovered_after, 2900);
  EXPECT_LT(recovered_after, 6000);
  EXPECT_GT(failures, 0);
  EXPECT_TRUE(sleeper.wait_for_exit(2s).has_value());
}

TEST_F(connection_test, an_idle_connection_to_a_frozen_server_is_dropped_within_seconds) {
  test::redis_server server;
  redis::client c(io_.get_executor(), options_for(server));
  redis::service svc(c);
  run(svc.ping());
  ASSERT_TRUE(c.stats().connected.load());
  // SIGSTOP: the kernel still holds the TCP connection, the server says nothing (half-open).
  frozen freeze(server);
  const auto stopped_at = clock::now();
  run(
      [&]() -> asio::awaitable<void> {
        while (c.stats().connected.load() && ms_since(stopped_at) < 6000) co_await sleep_for(50ms);
      }(),
      10s);
  const auto detected_after = ms_since(stopped_at);
  EXPECT_FALSE(c.stats().connected.load());
  // Idle PING after 1 s, dropped 2 s after it went unanswered.
  EXPECT_GE(detected_after, 1500);
  EXPECT_LT(detected_after, 4500);
  freeze.resume();
  const auto resumed_at = clock::now();
  run(
      [&]() -> asio::awaitable<void> {
        while (ms_since(resumed_at) < 5000) {
          try {
            co_await svc.ping();
            co_return;
          } catch (const core::unavailable_error&) {
          }
          co_await sleep_for(100ms);
        }
      }(),
      10s);
  EXPECT_NO_THROW(run(svc.ping()));
  EXPECT_GE(c.stats().reconnects.load(), 1u);
}

// SIGSTOP: the connection owes a reply and hears nothing for the command
// timeout, so the client holds the server as not answering: what waits
// fails, new commands fail unsent at once, and the first reply after SIGCONT
// ends it.
TEST_F(connection_test, a_frozen_server_is_held_as_not_answering_and_asked_again_once_it_answers) {
  own_server s(io_);
  auto& c = s.client;
  auto& svc = s.svc;
  run(svc.set("k", "v"));
  frozen freeze(s.server);
  auto start = clock::now();
  unavailable_message(io_, svc.get("k"));
  EXPECT_GE(ms_since(start), 950);
  EXPECT_LT(ms_since(start), 1200);
  run(until([&] { return c.stats().not_answering.load(); }));
  ASSERT_TRUE(c.stats().not_answering.load());
  EXPECT_LT(ms_since(start), 1200) << "declared within a tick of the timeout";
  start = clock::now();
  const auto message = unavailable_message(io_, svc.get("k"));
  EXPECT_LT(ms_since(start), 50) << "a command while not answering is refused, not sent";
  EXPECT_NE(message.find("not answering"), std::string::npos) << message;
  EXPECT_EQ(c.stats().refused.load(), 1u);
  freeze.resume();
  start = clock::now();
  run(until([&] { return !c.stats().not_answering.load(); }));
  EXPECT_LT(ms_since(start), 500) << "the replies it owed end it";
  EXPECT_EQ(run(svc.get("k")), "v");
  EXPECT_EQ(c.stats().not_answering_episodes.load(), 1u);
}

// A request's calls share one deadline: the first that gets no reply in time
// spends the budget, and the next one throws without asking.
TEST_F(connection_test, the_calls_of_one_budget_end_by_its_deadline_and_not_after_it_failed) {
  own_server s(io_);
  auto& svc = s.svc;
  run(svc.set("k", "v"));
  auto sleeper = cli_in_background(s.server.port(), {"DEBUG", "SLEEP", "0.6"});
  std::this_thread::sleep_for(100ms);
  redis::budget budget(300ms);
  auto start = clock::now();
  unavailable_message(io_, svc.get("k", &budget));
  EXPECT_GE(ms_since(start), 150);
  EXPECT_LT(ms_since(start), 400) << "the budget's deadline, not the command's 1 s";
  EXPECT_TRUE(budget.spent());
  start = clock::now();
  const auto message = unavailable_message(io_, svc.get("k", &budget));
  EXPECT_LT(ms_since(start), 20);
  EXPECT_NE(message.find("budget"), std::string::npos) << message;
  EXPECT_TRUE(sleeper.wait_for_exit(2s).has_value());
  redis::budget fresh(1s);
  EXPECT_EQ(run(svc.get("k", &fresh)), "v");
  EXPECT_FALSE(fresh.spent());
  EXPECT_EQ(s.client.stats().not_answering_episodes.load(), 0u) << "a 0.6 s command is slow, not a server that stopped";
}

// A write the record already holds (retry::deliver) is written even when its
// caller gave up on it, so a frozen server runs it before anything asked of
// it later, from any connection.
TEST_F(connection_test, a_write_to_deliver_reaches_a_frozen_server_before_anything_asked_later) {
  own_server s(io_);
  run(s.svc.set("k", "old"));
  frozen freeze(s.server);
  held_as_not_answering(io_, s);
  // A spent budget, and a server not answering: a plain command is not even sent.
  redis::budget budget(100ms);
  budget.spend();
  unavailable_message(io_, s.svc.command({"SET", "k", "never"}, redis::retry::never, &budget));
  unavailable_message(io_, s.svc.command({"SET", "k", "new"}, redis::retry::deliver, &budget));
  run_for(50ms);  // the client's loop runs only when the test runs it
  freeze.resume();
  redis::client other(io_.get_executor(), options_for(s.server));
  redis::service later(other);
  EXPECT_EQ(run(later.get("k")), "new");
}

TEST_F(connection_test, a_replica_answering_readonly_throws_server_error_and_the_client_reconnects) {
  test::redis_server master;
  test::redis_server replica({"--replicaof", "127.0.0.1", std::to_string(master.port())});
  redis::client c(io_.get_executor(), options_for(replica));
  redis::service svc(c);
  run(svc.ping());
  EXPECT_EQ(c.stats().connects.load(), 1u);
  try {
    run(svc.set("k", "v"));
    ADD_FAILURE() << "a write on a replica succeeded";
  } catch (const redis::server_error& e) {
    EXPECT_EQ(e.code(), "READONLY");
  }
  // Reads still work, on a new connection.
  EXPECT_NO_THROW(run(svc.get("k")));
  EXPECT_EQ(c.stats().reconnects.load(), 1u);
  EXPECT_EQ(client_ids(replica.port()).size(), 1u);
}

TEST_F(connection_test, a_server_that_refuses_us_after_accepting_is_retried_with_backoff_not_every_50ms) {
  // maxclients 1, taken by redis-cli: the server accepts, answers our
  // handshake with "-ERR max number of clients reached" and closes.
  test::redis_server server({"--maxclients", "1"});
  auto holder = cli_in_background(server.port(), {"SUBSCRIBE", "hold"});
  std::this_thread::sleep_for(300ms);
  redis::client c(io_.get_executor(), options_for(server));
  redis::service svc(c);
  EXPECT_THROW(run(svc.ping()), core::unavailable_error);
  run_for(2000ms);
  // A refused handshake is a failed connect, not a connection that was ready.
  EXPECT_EQ(c.stats().connects.load(), 0u);
  EXPECT_LE(c.stats().errors.load(), 15u);
}

}  // namespace
}  // namespace bakewind::redis_test
