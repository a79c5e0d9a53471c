// client::close(): QUIT, later commands fail as closed, and nothing is left
// on the io_context (it drains with no work guard).

#include "redis_fixture.hpp"
#include "support/net.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

#include <future>
#include <thread>

namespace bakewind::redis_test {
namespace {

class close_test : public redis_test {
 protected:
  // True when io_.run() returns by itself within `limit` (stopped otherwise).
  bool drains_within(std::chrono::milliseconds limit) {
    io_.restart();
    auto done = std::async(std::launch::async, [this] { io_.run(); });
    if (done.wait_for(limit) == std::future_status::ready) return true;
    io_.stop();
    done.wait();
    return false;
  }
};

TEST_F(close_test, close_sends_quit_fails_later_commands_as_closed_and_the_loop_drains) {
  test::redis_server server;
  redis::client c(io_.get_executor(), options_for(server));
  redis::service svc(c);
  run(svc.set("k", "v"));
  ASSERT_EQ(client_ids(server.port()).size(), 1u);
  run(c.close());
  // QUIT was sent: the server counts it and dropped our connection.
  const auto stats = cli(server.port(), {"INFO", "commandstats"});
  EXPECT_NE(stats.find("cmdstat_quit:calls=1"), std::string::npos) << stats;
  for (int i = 0; i < 50 && !client_ids(server.port()).empty(); ++i) std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(client_ids(server.port()).empty());
  try {
    run(svc.get("k"));
    ADD_FAILURE() << "a command after close() succeeded";
  } catch (const core::unavailable_error& e) {
    EXPECT_NE(std::string(e.what()).find("closed"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(drains_within(2s));
  EXPECT_FALSE(c.stats().connected.load());
  EXPECT_EQ(c.stats().connects.load(), 1u);
  EXPECT_EQ(c.stats().errors.load(), 0u) << "a clean QUIT is not a connection error";
}

TEST_F(close_test, close_of_a_client_that_never_connected_drains_at_once) {
  redis::options o;
  o.host = "127.0.0.1";
  o.port = test::free_port();
  redis::client c(io_.get_executor(), o);
  run(c.close());
  EXPECT_THROW(run(redis::service(c).ping()), core::unavailable_error);
  EXPECT_TRUE(drains_within(500ms));
}

TEST_F(close_test, close_while_reconnecting_to_a_dead_server_fails_queued_commands_and_drains) {
  test::redis_server server;
  redis::client c(io_.get_executor(), options_for(server));
  redis::service svc(c);
  run(svc.ping());
  server.stop();
  std::future<void> queued;
  run([&]() -> asio::awaitable<void> {
    co_await sleep_for(200ms);  // the client notices and starts reconnecting
    queued = asio::co_spawn(io_, svc.ping(), asio::use_future);
    co_await sleep_for(20ms);
    co_await c.close();
    co_await sleep_for(20ms);
  }());
  ASSERT_EQ(queued.wait_for(0s), std::future_status::ready);
  try {
    queued.get();
    ADD_FAILURE() << "PING succeeded with the server down";
  } catch (const core::unavailable_error& e) {
    EXPECT_NE(std::string(e.what()).find("closed"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(drains_within(2s));
}

TEST_F(close_test, close_with_commands_in_flight_answers_them_then_quits) {
  test::redis_server server;
  redis::client c(io_.get_executor(), options_for(server));
  redis::service svc(c);
  run(svc.ping());
  std::vector<std::future<long long>> incrs;
  run([&]() -> asio::awaitable<void> {
    for (int i = 0; i < 100; ++i) incrs.push_back(asio::co_spawn(io_, svc.incr("n"), asio::use_future));
    co_await c.close();
  }());
  // QUIT went out after them: every INCR was answered.
  long long sum = 0;
  for (auto& f : incrs) {
    ASSERT_EQ(f.wait_for(0s), std::future_status::ready);
    sum += f.get();
  }
  EXPECT_EQ(sum, 100 * 101 / 2);
  EXPECT_EQ(cli(server.port(), {"GET", "n"}), "100");
  EXPECT_TRUE(drains_within(2s));
}

TEST_F(close_test, destroying_a_client_with_commands_queued_fails_them_as_closed) {
  redis::options o;
  o.host = "127.0.0.1";
  o.port = test::free_port();
  o.command_timeout = 10s;
  std::future<void> pending;
  {
    redis::client c(io_.get_executor(), o);
    redis::service svc(c);
    pending = asio::co_spawn(io_, svc.ping(), asio::use_future);
    run_for(20ms);
  }
  run_for(50ms);
  ASSERT_EQ(pending.wait_for(0s), std::future_status::ready);
  EXPECT_THROW(pending.get(), core::unavailable_error);
  EXPECT_TRUE(drains_within(2s));
}

}  // namespace
}  // namespace bakewind::redis_test
