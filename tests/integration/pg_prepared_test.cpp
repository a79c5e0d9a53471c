// Named prepared statements on pg::connection against a real PostgreSQL:
// prepared once per session and reused, never inside a transaction, and a
// session whose names do not match (missing, or taken by another statement)
// still gets the right answer, unnamed.

#include "pg/errors.hpp"
#include "pg_fixture.hpp"

#include <memory>
#include <string>

namespace bakewind::pg_test {
namespace {

using prepared_test = pg_test;

constexpr const char* doubled = "SELECT $1::int * 2";

asio::awaitable<std::unique_ptr<pg::connection>> open_preparing(asio::io_context& io, const std::string& url) {
  std::unique_ptr<pg::connection> c = co_await pg::connection::connect(io.get_executor(), url, in(5s));
  c->set_prepare_statements(true);
  co_return c;
}

// The session's prepared statements, as "name=statement;..." in name order;
// asked unnamed, so that the question itself is not among them.
asio::awaitable<std::string> prepared_in(pg::connection& c, bool preparing) {
  c.set_prepare_statements(false);
  pg::result r = co_await c.query(
      "SELECT coalesce(string_agg(name || '=' || statement, ';' ORDER BY name), '') FROM pg_prepared_statements", {},
      in(5s));
  c.set_prepare_statements(preparing);
  co_return std::string(r.value(0, 0));
}

asio::awaitable<std::string> twice(pg::connection& c, int n) {
  pg::result r = co_await c.query(doubled, pg::params(n), in(5s));
  co_return std::string(r.value(0, 0));
}

TEST_F(prepared_test, a_statement_is_prepared_once_under_its_name_and_reused) {
  run([&]() -> asio::awaitable<void> {
    std::unique_ptr<pg::connection> c = co_await open_preparing(io_, url_);
    EXPECT_EQ(co_await twice(*c, 21), "42");
    EXPECT_EQ(co_await twice(*c, 5), "10");
    EXPECT_EQ(co_await twice(*c, -3), "-6");
    EXPECT_EQ(co_await prepared_in(*c, true), pg::statement_name(doubled) + "=" + doubled);
  }());
}

TEST_F(prepared_test, names_differ_by_text_and_look_the_same_in_every_process) {
  EXPECT_EQ(pg::statement_name(doubled), pg::statement_name(std::string(doubled)));
  EXPECT_NE(pg::statement_name(doubled), pg::statement_name("SELECT $1::int * 3"));
  EXPECT_EQ(pg::statement_name("").size(), 19u);
  EXPECT_TRUE(pg::statement_name(doubled).starts_with("bw_"));
}

TEST_F(prepared_test, nothing_is_prepared_when_switched_off_or_inside_a_transaction) {
  run([&]() -> asio::awaitable<void> {
    std::unique_ptr<pg::connection> c = co_await pg::connection::connect(io_.get_executor(), url_, in(5s));
    EXPECT_EQ(co_await twice(*c, 1), "2");
    EXPECT_EQ(co_await prepared_in(*c, false), "");

    c->set_prepare_statements(true);
    co_await c->execute_script("BEGIN", in(5s));
    EXPECT_EQ(co_await twice(*c, 2), "4");
    EXPECT_EQ(co_await prepared_in(*c, true), "");
    co_await c->execute_script("COMMIT", in(5s));
  }());
}

TEST_F(prepared_test, a_name_the_session_lost_is_answered_unnamed_and_preparing_stops) {
  run([&]() -> asio::awaitable<void> {
    std::unique_ptr<pg::connection> c = co_await open_preparing(io_, url_);
    EXPECT_EQ(co_await twice(*c, 4), "8");
    // As when a pooler hands us another server connection: the name is missing.
    co_await c->execute_script("DEALLOCATE ALL", in(5s));
    EXPECT_EQ(co_await twice(*c, 6), "12");
    EXPECT_FALSE(c->broken());
    EXPECT_EQ(co_await twice(*c, 7), "14");
    EXPECT_EQ(co_await prepared_in(*c, false), "");
  }());
}

TEST_F(prepared_test, a_name_another_statement_holds_never_runs_that_statement) {
  run([&]() -> asio::awaitable<void> {
    std::unique_ptr<pg::connection> c = co_await open_preparing(io_, url_);
    const std::string other = "PREPARE " + pg::statement_name(doubled) + " AS SELECT 'wrong'";
    co_await c->execute_script(other, in(5s));
    EXPECT_EQ(co_await twice(*c, 9), "18");
    EXPECT_FALSE(c->broken());
    EXPECT_EQ(co_await twice(*c, 10), "20");
  }());
}

TEST_F(prepared_test, a_rejected_statement_is_a_query_error_and_is_not_remembered) {
  run([&]() -> asio::awaitable<void> {
    std::unique_ptr<pg::connection> c = co_await open_preparing(io_, url_);
    std::string state;
    for (int attempt = 0; attempt < 2; ++attempt) {
      try {
        pg::result r = co_await c->query("SELECT * FROM no_such_table WHERE id = $1", pg::params(1), in(5s));
      } catch (const pg::query_error& e) {
        state = e.sqlstate();
      }
      EXPECT_EQ(state, "42P01");
      state.clear();
    }
    EXPECT_FALSE(c->broken());
    co_await c->execute_script("CREATE TABLE no_such_table (id int)", in(5s));
    pg::result r = co_await c->query("SELECT * FROM no_such_table WHERE id = $1", pg::params(1), in(5s));
    EXPECT_EQ(r.rows(), 0u);
  }());
}

}  // namespace
}  // namespace bakewind::pg_test
