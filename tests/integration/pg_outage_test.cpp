// pg::pool while PostgreSQL goes away and comes back: fail fast, recover
// without being re-created. Uses its own server so other tests never see it down.

#include "core/error.hpp"
#include "pg_fixture.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

#include <thread>

namespace bakewind::pg_test {
namespace {

class outage_test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new test::postgres_server(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override { server_->start(); }

  template <class T>
  T run(asio::awaitable<T> task) {
    return test::run(io_, std::move(task));
  }

  static test::postgres_server* server_;
  asio::io_context io_;
};

test::postgres_server* outage_test::server_ = nullptr;

TEST_F(outage_test, stopped_server_fails_fast_and_the_same_pool_recovers_after_restart) {
  pg::pool pool(io_.get_executor(), server_->url(), 4, 2s);
  EXPECT_EQ(run(pool.query("SELECT 1")).value(0, 0), "1");
  EXPECT_EQ(pool.idle(), 1u);

  server_->stop();
  auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(run(pool.ping(1s)), core::unavailable_error);
  EXPECT_LT(ms_since(start), 1500);
  start = std::chrono::steady_clock::now();
  EXPECT_THROW(run(pool.query("SELECT 1")), core::unavailable_error);
  EXPECT_LT(ms_since(start), 2500);
  EXPECT_EQ(pool.idle(), 0u);
  EXPECT_EQ(pool.in_use(), 0u);

  server_->start();
  EXPECT_NO_THROW(run(pool.ping(2s)));
  EXPECT_EQ(run(pool.query("SELECT 2")).value(0, 0), "2");
}

TEST_F(outage_test, a_query_in_flight_when_the_server_stops_fails_promptly) {
  pg::pool pool(io_.get_executor(), server_->url(), 2, 30s);
  EXPECT_EQ(run(pool.query("SELECT 1")).value(0, 0), "1");
  std::future<pg::result> slow = asio::co_spawn(io_, pool.query("SELECT pg_sleep(20)"), asio::use_future);
  std::thread stopper([] {
    std::this_thread::sleep_for(300ms);
    server_->stop();
  });
  const auto start = std::chrono::steady_clock::now();
  io_.restart();
  while (slow.wait_for(0s) != std::future_status::ready && ms_since(start) < 10000) io_.run_one_for(100ms);
  stopper.join();
  EXPECT_THROW(slow.get(), core::unavailable_error);
  EXPECT_LT(ms_since(start), 5000);
  EXPECT_EQ(pool.in_use(), 0u);
  server_->start();
  EXPECT_EQ(run(pool.query("SELECT 3")).value(0, 0), "3");
}

TEST_F(outage_test, pool_starts_while_the_server_is_down_and_serves_once_it_is_up) {
  server_->stop();
  pg::pool pool(io_.get_executor(), server_->url(), 2, 1s);
  EXPECT_THROW(run(pool.query("SELECT 1")), core::unavailable_error);
  EXPECT_EQ(pool.in_use(), 0u);
  server_->start();
  EXPECT_EQ(run(pool.query("SELECT 4")).value(0, 0), "4");
}

}  // namespace
}  // namespace bakewind::pg_test
