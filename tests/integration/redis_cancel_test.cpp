// redis::client when its caller cancels: a command still waiting for a
// connection is withdrawn, one the server holds (a blocking BLPOP) is
// abandoned; either way the caller hears operation_aborted at once instead
// of waiting out the command's deadline, and the connection stays in step.

#include "redis_fixture.hpp"
#include "support/net.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>

#include <optional>

namespace bakewind::redis_test {
namespace {

using cancel_test = redis_test;
using namespace asio::experimental::awaitable_operators;

std::string encode(std::initializer_list<std::string_view> args) {
  std::string out;
  redis::append_command(out, args);
  return out;
}

TEST_F(cancel_test, a_command_the_server_holds_returns_at_once_when_its_awaiter_loses_a_race) {
  test::redis_server server;
  redis::client c(io_.get_executor(), options_for(server));
  run(c.command(redis::retry::never, "SET", "k", "v"));
  long long elapsed = -1;
  std::size_t winner = 0;
  run([&]() -> asio::awaitable<void> {
    asio::steady_timer timer(co_await asio::this_coro::executor, 100ms);
    const auto start = clock::now();
    // Blocks on the server until something is pushed: only cancellation ends it early.
    auto raced =
        co_await (c.command(redis::retry::never, "BLPOP", "list", "0") || timer.async_wait(asio::use_awaitable));
    winner = raced.index();
    elapsed = ms_since(start);
  }());
  EXPECT_EQ(winner, 1u);
  EXPECT_LT(elapsed, 500) << "the command deadline is 1000 ms";
  // The abandoned BLPOP's reply comes once the list has an element, and is
  // dropped: the next command gets its own reply.
  EXPECT_EQ(cli(server.port(), {"LPUSH", "list", "x"}), "1");
  const auto value = run(c.command(redis::retry::never, "GET", "k"));
  EXPECT_EQ(value.text, "v");
  EXPECT_EQ(cli(server.port(), {"LLEN", "list"}), "0");
  EXPECT_EQ(c.stats().reconnects.load(), 0u);
}

TEST_F(cancel_test, a_cancelled_coroutine_gets_operation_aborted_not_an_outage) {
  test::redis_server server;
  redis::client c(io_.get_executor(), options_for(server));
  run(c.command(redis::retry::never, "PING"));
  asio::cancellation_signal signal;
  std::optional<boost::system::error_code> thrown;
  auto task = [&]() -> asio::awaitable<void> {
    try {
      co_await c.command(redis::retry::never, "BLPOP", "list", "0");
    } catch (const boost::system::system_error& e) {
      thrown = e.code();
    }
  };
  asio::co_spawn(io_, task(), asio::bind_cancellation_slot(signal.slot(), asio::detached));
  run_for(100ms);
  EXPECT_FALSE(thrown);
  const auto start = clock::now();
  signal.emit(asio::cancellation_type::terminal);
  while (!thrown && ms_since(start) < 900) run_for(10ms);
  EXPECT_LT(ms_since(start), 500);
  EXPECT_EQ(thrown, asio::error::operation_aborted);
}

TEST_F(cancel_test, a_command_waiting_for_a_connection_is_withdrawn_and_the_slot_serves_the_next_one) {
  redis::options o;
  o.host = "127.0.0.1";
  o.port = test::free_port();
  o.max_retries_per_request = 1000;
  o.command_timeout = 5s;  // far beyond what the test waits
  redis::client c(io_.get_executor(), o);
  asio::cancellation_signal signal;
  std::optional<boost::system::error_code> first;
  c.async_send(
      encode({"PING"}), redis::retry::never,
      asio::bind_cancellation_slot(signal.slot(), [&](boost::system::error_code ec, redis::reply) { first = ec; }));
  run_for(200ms);
  ASSERT_FALSE(first);  // queued: nothing listens there
  const auto start = clock::now();
  signal.emit(asio::cancellation_type::total);  // nothing was written: any kind may withdraw it
  while (!first && ms_since(start) < 900) run_for(10ms);
  EXPECT_LT(ms_since(start), 100);
  EXPECT_EQ(first, asio::error::operation_aborted);

  // The same slot serves the next command, which ends the usual way.
  std::optional<boost::system::error_code> second;
  c.async_send(
      encode({"PING"}), redis::retry::never,
      asio::bind_cancellation_slot(signal.slot(), [&](boost::system::error_code ec, redis::reply) { second = ec; }));
  run(c.close());
  run_for(10ms);
  EXPECT_EQ(second, make_error_code(redis::error::closed));
  signal.emit(asio::cancellation_type::terminal);  // finds nothing: harmless
  run_for(10ms);
  EXPECT_EQ(first, asio::error::operation_aborted);
  EXPECT_EQ(second, make_error_code(redis::error::closed));
}

}  // namespace
}  // namespace bakewind::redis_test
