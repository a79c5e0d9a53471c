// The pg layer behind a real PgBouncer in transaction pooling mode, where
// client connections share a few server connections and nothing of a
// session survives a transaction: migrations, concurrent queries and
// transactions, and each transaction's statements staying on one server.

#include "pg/batcher.hpp"
#include "pg/migrate.hpp"
#include "pg_fixture.hpp"
#include "support/pgbouncer_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <array>
#include <future>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

namespace bakewind::pg_test {
namespace {

constexpr int server_connections = 2;

class pgbouncer_test : public pg_test {
 protected:
  pgbouncer_test()
      : bouncer_(test::postgres_server::shared().port(), server_connections),
        through_(bouncer_.url(url_.substr(url_.rfind('/') + 1))) {}

  /// Runs `make(i)` for i in [0, n) at once on io_ and waits for all of them;
  /// rethrows the first failure.
  template <class Make>
  void run_all(int n, Make make) {
    std::vector<std::future<void>> done;
    for (int i = 0; i < n; ++i) done.push_back(asio::co_spawn(io_, make(i), asio::use_future));
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    io_.restart();
    for (std::future<void>& f : done) {
      while (f.wait_for(0s) != std::future_status::ready) {
        if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("not finished in time");
        io_.run_one_for(10ms);
      }
    }
    for (std::future<void>& f : done) f.get();
  }

  test::pgbouncer_server bouncer_;
  std::string through_;  // this test's database, through PgBouncer

  // 64 concurrent inserts through a batcher on a pool through PgBouncer:
  // every answer right, some of them batched, all rows there.
  void write_batches(bool preparing);
};


TEST_F(pgbouncer_test, the_bundled_migrations_apply_through_it_and_leave_no_lock_behind) {
  pg::pool pool(io_.get_executor(), through_, 2, 20s);
  const std::size_t bundled = pg::bundled_migrations().size();
  EXPECT_EQ(run(pg::migrate(pool)), bundled);
  EXPECT_EQ(test::sql_value(url_, "SELECT count(*) FROM schema_migrations"), std::to_string(bundled));
  EXPECT_EQ(test::sql_value(url_, "SELECT count(*) FROM pg_tables WHERE tablename = 'order_locks'"), "1");
  // A session lock taken through PgBouncer can stay held on a server
  // connection (its unlock ran on another): the next run would then wait.
  EXPECT_EQ(test::sql_value(url_, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"), "0");
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(run(pg::migrate(pool)), 0u);
  EXPECT_LT(ms_since(start), 5000);
}

TEST_F(pgbouncer_test, overlapping_migration_runs_through_it_apply_each_migration_exactly_once) {
  const std::array<pg::migration, 2> all{{
      {1, "0001_first", "CREATE TABLE first (x int); SELECT pg_sleep(0.3);"},
      {2, "0002_second", "CREATE TABLE second (y int); SELECT pg_sleep(0.2);"},
  }};
  // Three runs, two server connections: one run also waits in PgBouncer's queue.
  // With a session advisory lock, two runs got it at once here (on two server
  // connections) and both created table "first".
  std::array<std::size_t, 3> applied{99, 99, 99};
  std::array<std::string, 3> failures;
  std::vector<std::thread> runs;
  for (std::size_t i = 0; i < applied.size(); ++i) {
    runs.emplace_back([&, i] {
      try {
        applied[i] = migrate_on_own_loop(through_, all);
      } catch (const std::exception& e) {
        failures[i] = e.what();
      }
    });
  }
  for (std::thread& t : runs) t.join();
  for (const std::string& f : failures) EXPECT_EQ(f, "");
  EXPECT_EQ(applied[0] + applied[1] + applied[2], 2u);
  EXPECT_EQ((applied[0] == 0) + (applied[1] == 0) + (applied[2] == 0), 2);
  EXPECT_EQ(test::sql_value(url_, "SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_migrations"),
            "1,2");
  EXPECT_EQ(test::sql_value(url_, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"), "0");
}

TEST_F(pgbouncer_test, concurrent_queries_from_many_pool_connections_share_its_server_connections) {
  pg::pool pool(io_.get_executor(), through_, 8, 20s);
  std::set<std::string> server_pids;
  int answered = 0;
  run_all(64, [&](int i) -> asio::awaitable<void> {
    const std::vector<pg::param> args = pg::params(i);
    pg::result r = co_await pool.query("SELECT $1::int * 2, pg_backend_pid() FROM pg_sleep(0.005)", args);
    if (r.value(0, 0) != std::to_string(i * 2)) throw std::runtime_error("wrong answer for " + std::to_string(i));
    server_pids.insert(std::string(r.value(0, 1)));
    ++answered;
  });
  EXPECT_EQ(answered, 64);
  EXPECT_GE(pool.idle(), 2u);  // several client connections were open at once...
  EXPECT_LE(server_pids.size(), static_cast<std::size_t>(server_connections));  // ...on at most two servers
}

TEST_F(pgbouncer_test, a_pool_left_preparing_statements_still_gets_every_answer_right) {
  // PG_PREPARED_STATEMENTS=on by mistake: names go missing or are found on
  // other server connections; each connection notices, stops preparing, and
  // no statement ever runs under another's name.
  pg::pool pool(io_.get_executor(), through_, 8, 20s);
  pool.prepare_statements(true);
  int answered = 0;
  run_all(96, [&](int i) -> asio::awaitable<void> {
    const std::vector<pg::param> args = pg::params(i);
    const bool tripled = i % 2 == 1;
    pg::result r = co_await pool.query(tripled ? "SELECT $1::int * 3 FROM pg_sleep(0.002)"
                                               : "SELECT $1::int * 2 FROM pg_sleep(0.002)",
                                       args);
    if (r.value(0, 0) != std::to_string(i * (tripled ? 3 : 2))) {
      throw std::runtime_error("wrong answer for " + std::to_string(i));
    }
    ++answered;
  });
  EXPECT_EQ(answered, 96);
}

TEST_F(pgbouncer_test, each_transaction_keeps_its_statements_together_while_the_pool_is_shared) {
  test::sql(url_, "CREATE TABLE t (id serial PRIMARY KEY, tag int NOT NULL)");
  pg::pool pool(io_.get_executor(), through_, 8, 20s);
  constexpr int committed = 40, rolled_back = 10;
  std::set<std::string> server_pids;
  run_all(committed + rolled_back, [&](int tag) -> asio::awaitable<void> {
    auto body = [&, tag](pg::connection& c) -> asio::awaitable<void> {
      const std::vector<pg::param> mine = pg::params(tag);
      pg::result first = co_await c.query("SELECT pg_backend_pid(), txid_current()");
      pg::result inserted = co_await c.query("INSERT INTO t (tag) VALUES ($1)", mine);
      co_await sleep_for(std::chrono::milliseconds(5 + tag % 7));  // others run meanwhile
      pg::result seen = co_await c.query("SELECT count(*) FROM t WHERE tag = $1", mine);
      pg::result last = co_await c.query("SELECT pg_backend_pid(), txid_current()");
      if (seen.value(0, 0) != "1") throw std::runtime_error("transaction does not see its own insert");
      if (first.value(0, 0) != last.value(0, 0) || first.value(0, 1) != last.value(0, 1)) {
        throw std::runtime_error("a transaction's statements ran on two server connections");
      }
      server_pids.insert(std::string(first.value(0, 0)));
      if (tag >= committed) throw std::domain_error("roll back");
    };
    try {
      co_await pool.transaction(body);
    } catch (const std::domain_error&) {
      // the rolled-back ones
    }
  });
  EXPECT_EQ(test::sql_value(url_, "SELECT count(*) FROM t"), std::to_string(committed));
  EXPECT_EQ(test::sql_value(url_, "SELECT count(*) FROM t WHERE tag >= " + std::to_string(committed)), "0");
  EXPECT_EQ(test::sql_value(url_, "SELECT count(DISTINCT tag) FROM t"), std::to_string(committed));
  EXPECT_LE(server_pids.size(), static_cast<std::size_t>(server_connections));
  EXPECT_EQ(pool.in_use(), 0u);
}

// Write batches are pipelines: one transaction, Parse/Bind/Execute for each
// statement and one Sync, which PgBouncer keeps on one server connection.
void pgbouncer_test::write_batches(bool preparing) {
  pg::pool pool(io_.get_executor(), through_, 8, 20s);
  pool.prepare_statements(preparing);
  run(pool.query("CREATE TABLE w (k int PRIMARY KEY, v text NOT NULL)"));
  pg::batcher batches(pool, 2, 32);
  int answered = 0;
  run_all(64, [&](int i) -> asio::awaitable<void> {
    const std::vector<pg::param> args = pg::params(i, "v" + std::to_string(i));
    pg::result r = co_await batches.query(std::to_string(i), "INSERT INTO w VALUES ($1::int, $2) RETURNING v", args);
    if (r.value(0, 0) != "v" + std::to_string(i)) throw std::runtime_error("wrong answer for " + std::to_string(i));
    ++answered;
  });
  EXPECT_EQ(answered, 64);
  EXPECT_GT(batches.batched_statements(), 1u) << "some went together";
  EXPECT_EQ(test::sql_value(url_, "SELECT count(*) FROM w"), "64");
}

TEST_F(pgbouncer_test, write_batches_run_through_it_with_every_answer_right) {
  write_batches(false);
}

TEST_F(pgbouncer_test, write_batches_left_preparing_statements_still_get_every_answer_right) {
  write_batches(true);
}

}  // namespace
}  // namespace bakewind::pg_test
