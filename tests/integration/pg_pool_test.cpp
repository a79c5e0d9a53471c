// pg::pool: reuse, the bound, FIFO waiters, timeouts, transactions, close.

#include "core/error.hpp"
#include "pg/errors.hpp"
#include "pg_fixture.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <stdexcept>
#include <vector>

namespace bakewind::pg_test {
namespace {

using pool_test = pg_test;


TEST_F(pool_test, query_runs_and_the_connection_is_reused) {
  pg::pool pool(io_.get_executor(), url_, 4, 5s);
  const std::string first(run(pool.query("SELECT pg_backend_pid()")).value(0, 0));
  const std::string second(run(pool.query("SELECT pg_backend_pid()")).value(0, 0));
  EXPECT_EQ(first, second);
  EXPECT_EQ(pool.idle(), 1u);
  EXPECT_EQ(pool.in_use(), 0u);
}

TEST_F(pool_test, query_takes_parameters_built_at_run_time) {
  pg::pool pool(io_.get_executor(), url_, 2, 5s);
  const std::vector<pg::param> args = pg::params(20, 22);
  pg::result r = run(pool.query("SELECT $1::int + $2::int", args));
  EXPECT_EQ(r.value(0, 0), "42");
}

TEST_F(pool_test, at_max_size_the_next_acquire_waits_for_a_release) {
  pg::pool pool(io_.get_executor(), url_, 2, 5s);
  run([&]() -> asio::awaitable<void> {
    pg::pooled_connection a = co_await pool.acquire();
    pg::pooled_connection b = co_await pool.acquire();
    EXPECT_EQ(pool.in_use(), 2u);
    // Give one back 200 ms from now, while the third acquire waits.
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
          co_await sleep_for(200ms);
          a.reset();
        },
        asio::detached);
    const auto start = std::chrono::steady_clock::now();
    pg::pooled_connection c = co_await pool.acquire();
    EXPECT_GE(ms_since(start), 150);
    EXPECT_TRUE(static_cast<bool>(c));
    EXPECT_EQ(pool.in_use(), 2u);
    pg::result r = co_await c->query("SELECT 1", {}, in(5s));
    EXPECT_EQ(r.value(0, 0), "1");
  }());
  EXPECT_EQ(pool.idle(), 2u);
  EXPECT_EQ(pool.in_use(), 0u);
}

TEST_F(pool_test, a_waiter_gives_up_with_unavailable_after_the_timeout) {
  pg::pool pool(io_.get_executor(), url_, 1, 300ms);
  run([&]() -> asio::awaitable<void> {
    pg::pooled_connection held = co_await pool.acquire();
    const auto start = std::chrono::steady_clock::now();
    bool timed_out = false;
    try {
      pg::pooled_connection never = co_await pool.acquire();
    } catch (const core::unavailable_error&) {
      timed_out = true;
    }
    EXPECT_TRUE(timed_out);
    EXPECT_GE(ms_since(start), 250);
    EXPECT_LT(ms_since(start), 1000);
  }());
  EXPECT_EQ(pool.in_use(), 0u);
}

TEST_F(pool_test, waiters_are_served_in_arrival_order) {
  pg::pool pool(io_.get_executor(), url_, 1, 5s);
  std::vector<int> order;
  run([&]() -> asio::awaitable<void> {
    pg::pooled_connection held = co_await pool.acquire();
    int finished = 0;
    for (int i = 0; i < 4; ++i) {
      asio::co_spawn(
          io_,
          [&, i]() -> asio::awaitable<void> {
            pg::pooled_connection c = co_await pool.acquire();
            order.push_back(i);
            co_await sleep_for(10ms);
            ++finished;
          },
          asio::detached);
    }
    co_await sleep_for(50ms);
    held.reset();
    while (finished < 4) co_await sleep_for(10ms);
  }());
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
}

TEST_F(pool_test, a_broken_connection_is_discarded_and_its_slot_goes_to_a_waiter) {
  pg::pool pool(io_.get_executor(), url_, 1, 5s);
  run([&]() -> asio::awaitable<void> {
    pg::pooled_connection held = co_await pool.acquire();
    pg::result pid = co_await held->query("SELECT pg_backend_pid()", {}, in(5s));
    const std::string old_pid(pid.value(0, 0));
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
          co_await sleep_for(100ms);
          held->mark_broken();
          held.reset();
        },
        asio::detached);
    pg::pooled_connection fresh = co_await pool.acquire();
    pg::result now = co_await fresh->query("SELECT pg_backend_pid()", {}, in(5s));
    EXPECT_NE(std::string(now.value(0, 0)), old_pid);
  }());
  EXPECT_EQ(pool.idle(), 1u);
}

TEST_F(pool_test, a_query_timeout_discards_the_connection) {
  pg::pool pool(io_.get_executor(), url_, 2, 300ms);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(run(pool.query("SELECT pg_sleep(5)")), core::unavailable_error);
  EXPECT_LT(ms_since(start), 1500);
  EXPECT_EQ(pool.idle(), 0u);
  EXPECT_EQ(pool.in_use(), 0u);
  EXPECT_EQ(run(pool.query("SELECT 7")).value(0, 0), "7");
}

TEST_F(pool_test, a_rejected_statement_keeps_the_connection_in_the_pool) {
  pg::pool pool(io_.get_executor(), url_, 2, 5s);
  EXPECT_THROW(run(pool.query("SELECT * FROM no_such_table")), pg::query_error);
  EXPECT_EQ(pool.idle(), 1u);
}

TEST_F(pool_test, transaction_commits_and_returns_the_body_value) {
  pg::pool pool(io_.get_executor(), url_, 2, 5s);
  run(pool.query("CREATE TABLE items (name text)"));
  const int inserted = run(pool.transaction([](pg::connection& c) -> asio::awaitable<int> {
    pg::result a = co_await c.query("INSERT INTO items VALUES ($1)", pg::params("a"));
    pg::result b = co_await c.query("INSERT INTO items VALUES ('b')");
    co_return static_cast<int>(a.affected_rows() + b.affected_rows());
  }));
  EXPECT_EQ(inserted, 2);
  EXPECT_EQ(test::sql_value(url_, "SELECT count(*) FROM items"), "2");
  EXPECT_EQ(pool.idle(), 1u);
}

TEST_F(pool_test, transaction_rolls_back_when_the_body_throws) {
  pg::pool pool(io_.get_executor(), url_, 2, 5s);
  run(pool.query("CREATE TABLE items (name text)"));
  EXPECT_THROW(run(pool.transaction([](pg::connection& c) -> asio::awaitable<void> {
                 pg::result a = co_await c.query("INSERT INTO items VALUES ('a')");
                 throw std::runtime_error("changed my mind");
               })),
               std::runtime_error);
  EXPECT_EQ(test::sql_value(url_, "SELECT count(*) FROM items"), "0");
  EXPECT_EQ(pool.idle(), 1u);  // rolled back cleanly: still usable
  EXPECT_EQ(run(pool.query("SELECT 1")).value(0, 0), "1");
}

TEST_F(pool_test, transaction_refuses_to_commit_after_a_swallowed_error) {
  pg::pool pool(io_.get_executor(), url_, 2, 5s);
  run(pool.query("CREATE TABLE items (name text UNIQUE)"));
  std::string state;
  try {
    run(pool.transaction([](pg::connection& c) -> asio::awaitable<void> {
      pg::result a = co_await c.query("INSERT INTO items VALUES ('a')");
      try {
        pg::result again = co_await c.query("INSERT INTO items VALUES ('a')");
      } catch (const pg::query_error&) {
      }
    }));
  } catch (const pg::query_error& e) {
    state = e.sqlstate();
  }
  EXPECT_EQ(state, "25P02");
  EXPECT_EQ(test::sql_value(url_, "SELECT count(*) FROM items"), "0");
}

TEST_F(pool_test, ping_answers_within_its_timeout) {
  pg::pool pool(io_.get_executor(), url_, 1, 5s);
  EXPECT_NO_THROW(run(pool.ping(1s)));
}

TEST_F(pool_test, close_fails_waiters_and_later_acquires) {
  pg::pool pool(io_.get_executor(), url_, 1, 5s);
  run([&]() -> asio::awaitable<void> {
    pg::pooled_connection held = co_await pool.acquire();
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
          co_await sleep_for(100ms);
          pool.close();
        },
        asio::detached);
    const auto start = std::chrono::steady_clock::now();
    bool failed = false;
    try {
      pg::pooled_connection waiting = co_await pool.acquire();
    } catch (const core::unavailable_error&) {
      failed = true;
    }
    EXPECT_TRUE(failed);
    EXPECT_LT(ms_since(start), 1000);
  }());
  EXPECT_EQ(pool.in_use(), 0u);  // the held one closed on release
  EXPECT_EQ(pool.idle(), 0u);
  EXPECT_THROW(run(pool.acquire()), core::unavailable_error);
}

TEST_F(pool_test, connections_released_after_the_pool_is_gone_just_close) {
  pg::pooled_connection survivor;
  {
    pg::pool pool(io_.get_executor(), url_, 1, 5s);
    survivor = run(pool.acquire());
  }
  EXPECT_TRUE(static_cast<bool>(survivor));
  survivor.reset();
}

}  // namespace
}  // namespace bakewind::pg_test
