// Statements run together: pg::connection::pipeline (one transaction, one
// round trip, all or nothing) and pg::batcher (concurrent callers' writes
// share a commit, each caller gets its own answer or its own error).

#include "core/error.hpp"
#include "pg/batcher.hpp"
#include "pg/errors.hpp"
#include "pg_fixture.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <memory>
#include <string>
#include <vector>

namespace bakewind::pg_test {
namespace {

using batch_test = pg_test;

constexpr const char* insert_row = "INSERT INTO t (k, v) VALUES ($1::int, $2) RETURNING v";

asio::awaitable<std::unique_ptr<pg::connection>> open_with_table(asio::io_context& io, const std::string& url) {
  std::unique_ptr<pg::connection> c = co_await pg::connection::connect(io.get_executor(), url, in(5s));
  c->set_prepare_statements(true);
  co_await c->execute_script("CREATE TABLE t (k int PRIMARY KEY, v text NOT NULL)", in(5s));
  co_return c;
}

asio::awaitable<std::string> rows_of(pg::connection& c) {
  pg::result r = co_await c.query("SELECT coalesce(string_agg(k::text, ',' ORDER BY k), '') FROM t", {}, in(5s));
  co_return std::string(r.value(0, 0));
}

// The one value `sql` gives, read through the pool.
asio::awaitable<std::string> value_of(pg::pool& pool, std::string sql) {
  pg::result r = co_await pool.query(sql);
  co_return std::string(r.value(0, 0));
}

pg::statement insert(int k) {
  return {insert_row, pg::params(k, "v" + std::to_string(k))};
}

TEST_F(batch_test, a_pipeline_answers_each_statement_in_order_in_one_transaction) {
  run([&]() -> asio::awaitable<void> {
    auto c = co_await open_with_table(io_, url_);
    std::vector<pg::statement> statements{insert(1), insert(2), {"SELECT count(*) FROM t", {}}, insert(3)};
    std::vector<pg::result> results = co_await c->pipeline(std::move(statements), in(5s));
    EXPECT_EQ(results.size(), 4u);
    EXPECT_EQ(results[0].value(0, 0), "v1");
    EXPECT_EQ(results[1].value(0, 0), "v2");
    EXPECT_EQ(results[2].value(0, 0), "2") << "a later statement sees the earlier ones";
    EXPECT_EQ(results[3].value(0, 0), "v3");
    EXPECT_EQ(co_await rows_of(*c), "1,2,3");
    EXPECT_FALSE(c->in_transaction()) << "committed at the Sync";
  }());
}

TEST_F(batch_test, a_rejected_statement_undoes_the_whole_pipeline_and_the_connection_stays_usable) {
  run([&]() -> asio::awaitable<void> {
    auto c = co_await open_with_table(io_, url_);
    std::string state;
    try {
      std::vector<pg::statement> statements{insert(1), insert(2), insert(1), insert(4)};
      std::vector<pg::result> ignored = co_await c->pipeline(std::move(statements), in(5s));
    } catch (const pg::query_error& e) {
      state = e.sqlstate();
    }
    EXPECT_EQ(state, "23505");
    EXPECT_FALSE(c->broken());
    EXPECT_EQ(co_await rows_of(*c), "") << "none took effect, not even those before the error";
    std::vector<pg::statement> again{insert(1), insert(2)};
    EXPECT_EQ((co_await c->pipeline(std::move(again), in(5s))).size(), 2u);
    EXPECT_EQ(co_await rows_of(*c), "1,2");
    // The name prepared in the rejected pipeline still serves lone statements.
    pg::result lone = co_await c->query(insert_row, pg::params(7, "v7"), in(5s));
    EXPECT_EQ(lone.value(0, 0), "v7");
    pg::result names = co_await c->query("SELECT count(*) FROM pg_prepared_statements WHERE name = $1",
                                         pg::params(pg::statement_name(insert_row)), in(5s));
    EXPECT_EQ(names.value(0, 0), "1");
  }());
}

// Runs `n` concurrent batcher queries inserting keys first..first+n-1; each
// caller's reply ("v<k>" or "error <sqlstate>") in `replies`.
void insert_concurrently(asio::io_context& io, pg::batcher& b, int first, int n, std::vector<std::string>& replies) {
  replies.assign(static_cast<std::size_t>(n), "");
  io.restart();
  for (int i = 0; i < n; ++i) {
    asio::co_spawn(
        io,
        [&b, &replies, first, i]() -> asio::awaitable<void> {
          const int k = first + i;
          std::string reply;
          try {
            const auto params = pg::params(k, "v" + std::to_string(k));
            pg::result r = co_await b.query(std::to_string(1000 - k), insert_row, params);
            reply = std::string(r.value(0, 0));
          } catch (const pg::query_error& e) {
            reply = "error " + e.sqlstate();
          } catch (const core::unavailable_error&) {
            reply = "unavailable";
          }
          replies[static_cast<std::size_t>(i)] = reply;
        },
        asio::detached);
  }
  io.run();
  io.restart();
}

TEST_F(batch_test, concurrent_writes_share_one_transaction_and_each_caller_gets_its_own_rows) {
  pg::pool pool(io_.get_executor(), url_, 4, 5s);
  pool.prepare_statements(true);
  run([&]() -> asio::awaitable<void> { co_await open_with_table(io_, url_); }());
  pg::batcher b(pool, 1, 32);
  std::vector<std::string> replies;
  insert_concurrently(io_, b, 1, 20, replies);
  for (int k = 1; k <= 20; ++k) EXPECT_EQ(replies[static_cast<std::size_t>(k - 1)], "v" + std::to_string(k));
  // One lane: the first caller's statement runs alone at once; the other
  // nineteen wait for it and go together.
  EXPECT_EQ(b.batches(), 1u);
  EXPECT_GE(b.batched_statements(), 19u);
  EXPECT_EQ(run(value_of(pool, "SELECT count(*) FROM t")), "20");
}

TEST_F(batch_test, a_rejected_write_fails_only_its_caller_and_the_others_of_its_batch_commit) {
  pg::pool pool(io_.get_executor(), url_, 4, 5s);
  run([&]() -> asio::awaitable<void> {
    auto c = co_await open_with_table(io_, url_);
    co_await c->execute_script("INSERT INTO t VALUES (5, 'taken')", in(5s));
  }());
  pg::batcher b(pool, 1, 32);
  std::vector<std::string> replies;
  insert_concurrently(io_, b, 1, 8, replies);
  for (int k = 1; k <= 8; ++k) {
    EXPECT_EQ(replies[static_cast<std::size_t>(k - 1)], k == 5 ? "error 23505" : "v" + std::to_string(k)) << k;
  }
  EXPECT_EQ(b.batches(), 1u) << "tried together first";
  EXPECT_EQ(run(value_of(pool, "SELECT string_agg(v, ',' ORDER BY k) FROM t")), "v1,v2,v3,v4,taken,v6,v7,v8");
}

TEST_F(batch_test, writes_queued_behind_a_stuck_one_give_up_by_their_deadline) {
  pg::pool pool(io_.get_executor(), url_, 4, 300ms);
  run([&]() -> asio::awaitable<void> { co_await open_with_table(io_, url_); }());
  pg::batcher b(pool, 1, 32);
  std::vector<std::string> replies(4);
  std::vector<long long> took_ms(4);
  io_.restart();
  const auto started = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < replies.size(); ++i) {
    asio::co_spawn(
        io_,
        [&b, &replies, &took_ms, started, i]() -> asio::awaitable<void> {
          try {
            // The first holds the only lane past everyone's deadline.
            const std::string sql = i == 0 ? "SELECT pg_sleep(2)::text" : "SELECT $1::text";
            const auto params = pg::params(static_cast<int>(i));
            const std::span<const pg::param> used = i == 0 ? std::span<const pg::param>() : std::span(params);
            pg::result r = co_await b.query("k", sql, used);
            replies[i] = "answered";
          } catch (const core::unavailable_error&) {
            replies[i] = "unavailable";
          }
          took_ms[i] = ms_since(started);
        },
        asio::detached);
  }
  io_.run();
  io_.restart();
  EXPECT_EQ(replies[0], "unavailable") << "the stuck statement, cut at its deadline";
  // The others were queued behind it with (nearly) the same deadline: each
  // gives up at its deadline, or is answered in the moment between the
  // stuck one's end and its own deadline; none waits for the 2 s statement.
  for (std::size_t i = 0; i < replies.size(); ++i) {
    EXPECT_FALSE(replies[i].empty()) << i;
    EXPECT_LT(took_ms[i], 700) << i << ": bounded by the pool's timeout, not by the stuck statement";
  }
  EXPECT_LT(ms_since(started), 1500);
}

// Combined statements: `upsert_one` appends v to row k's text; `upsert_all`
// does the same for arrays of k and v. The key is k's text.
constexpr const char* upsert_one =
    "INSERT INTO t AS t (k, v) VALUES ($1::int, $2) ON CONFLICT (k) DO UPDATE SET v = t.v || EXCLUDED.v "
    "RETURNING k::text, v";
const pg::combiner upsert_all{
    "INSERT INTO t AS t (k, v) SELECT a.k, a.v FROM unnest($1::int[], $2::text[]) WITH ORDINALITY AS a(k, v, n) "
    "ORDER BY a.n ON CONFLICT (k) DO UPDATE SET v = t.v || EXCLUDED.v RETURNING k::text, v",
    0};

struct upsert {
  std::string key;  // k as text, or anything the server cannot read as an int
  std::string value;
};

// Runs a lone "SELECT 1" (which takes the only lane at once), then `writes`
// concurrently (so that they queue and go as one batch); each caller's reply
// ("k=v" for each row, or "error <sqlstate>") in order.
std::vector<std::string> upsert_concurrently(asio::io_context& io, pg::batcher& b, const std::vector<upsert>& writes) {
  std::vector<std::string> replies(writes.size());
  io.restart();
  asio::co_spawn(io, [&b]() -> asio::awaitable<void> { co_await b.query("", "SELECT 1", {}); }, asio::detached);
  for (std::size_t i = 0; i < writes.size(); ++i) {
    asio::co_spawn(
        io,
        [&b, &replies, &writes, i]() -> asio::awaitable<void> {
          std::string reply;
          try {
            const auto params = pg::params(writes[i].key, writes[i].value);
            pg::result r = co_await b.query(writes[i].key, upsert_one, params, &upsert_all);
            for (std::size_t row = 0; row < r.rows(); ++row) {
              reply.append(r.value(row, 0)).append("=").append(r.value(row, 1)).append(";");
            }
          } catch (const pg::query_error& e) {
            reply = "error " + e.sqlstate();
          }
          replies[i] = reply;
        },
        asio::detached);
  }
  io.run();
  io.restart();
  return replies;
}

TEST_F(batch_test, writes_of_one_kind_run_as_one_statement_and_each_caller_gets_only_its_rows) {
  pg::pool pool(io_.get_executor(), url_, 4, 5s);
  run([&]() -> asio::awaitable<void> { co_await open_with_table(io_, url_); }());
  pg::batcher b(pool, 1, 32);
  std::vector<upsert> writes;
  for (int k = 9; k >= 1; --k) writes.push_back({std::to_string(k), "v" + std::to_string(k)});
  const std::vector<std::string> replies = upsert_concurrently(io_, b, writes);
  for (std::size_t i = 0; i < writes.size(); ++i) EXPECT_EQ(replies[i], writes[i].key + "=v" + writes[i].key + ";");
  EXPECT_EQ(b.combined(), 1u);
  EXPECT_EQ(b.combined_statements(), 9u);
  EXPECT_EQ(b.rejected_batches(), 0u);
  EXPECT_EQ(run(value_of(pool, "SELECT string_agg(k || v, ',' ORDER BY k) FROM t")),
            "1v1,2v2,3v3,4v4,5v5,6v6,7v7,8v8,9v9");
}

TEST_F(batch_test, writes_to_one_key_in_one_batch_take_effect_in_their_order_of_arrival) {
  pg::pool pool(io_.get_executor(), url_, 4, 5s);
  run([&]() -> asio::awaitable<void> { co_await open_with_table(io_, url_); }());
  pg::batcher b(pool, 1, 32);
  // One statement cannot touch a row twice: three rounds (1a 2x; 1b 2y; 1c).
  const std::vector<upsert> writes{{"1", "a"}, {"2", "x"}, {"1", "b"}, {"2", "y"}, {"1", "c"}};
  const std::vector<std::string> replies = upsert_concurrently(io_, b, writes);
  EXPECT_EQ(replies, (std::vector<std::string>{"1=a;", "2=x;", "1=ab;", "2=xy;", "1=abc;"}));
  EXPECT_EQ(b.rejected_batches(), 0u) << "no statement touched a row twice";
  EXPECT_EQ(b.combined(), 2u);
  EXPECT_EQ(b.combined_statements(), 4u);
}

TEST_F(batch_test, a_rejected_row_of_a_combined_statement_fails_only_its_caller) {
  pg::pool pool(io_.get_executor(), url_, 4, 5s);
  run([&]() -> asio::awaitable<void> { co_await open_with_table(io_, url_); }());
  pg::batcher b(pool, 1, 32);
  const std::vector<upsert> writes{{"1", "a"}, {"x", "bad"}, {"3", "c"}, {"4", "d"}};
  const std::vector<std::string> replies = upsert_concurrently(io_, b, writes);
  EXPECT_EQ(replies, (std::vector<std::string>{"1=a;", "error 22P02", "3=c;", "4=d;"}));
  EXPECT_EQ(b.rejected_batches(), 1u) << "tried together first";
  EXPECT_EQ(run(value_of(pool, "SELECT string_agg(k || v, ',' ORDER BY k) FROM t")), "1a,3c,4d");
}

TEST_F(batch_test, an_array_parameter_carries_any_text_and_null) {
  pg::pool pool(io_.get_executor(), url_, 4, 5s);
  const std::vector<pg::param> values{"plain", "", "NULL", "with space", "a,b", "{x}", "q\"uote", "back\\slash",
                                      nullptr, "\"\\\"", " lead"};
  std::vector<const pg::param*> pointers;
  for (const pg::param& v : values) pointers.push_back(&v);
  const auto params = pg::params(pg::array_literal(pointers));
  pg::result r = run(pool.query("SELECT coalesce(x, '<null>') FROM unnest($1::text[]) x", params));
  ASSERT_EQ(r.rows(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(r.value(i, 0), values[i].is_null() ? "<null>" : values[i].c_str()) << i;
  }
}

}  // namespace
}  // namespace bakewind::pg_test
