// pg::connection against a real PostgreSQL: parameters, errors, timeouts.

#include "core/error.hpp"
#include "pg/errors.hpp"
#include "pg_fixture.hpp"
#include "support/net.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <functional>
#include <string>
#include <vector>

namespace bakewind::pg_test {
namespace {

using connection_test = pg_test;

asio::awaitable<std::unique_ptr<pg::connection>> open(asio::io_context& io, const std::string& url) {
  std::unique_ptr<pg::connection> c = co_await pg::connection::connect(io.get_executor(), url, in(5s));
  co_return c;
}

TEST_F(connection_test, parameters_are_sent_as_text_null_numbers_and_booleans) {
  run([&]() -> asio::awaitable<void> {
    std::unique_ptr<pg::connection> c = co_await open(io_, url_);
    const std::optional<std::string> none;
    pg::result r = co_await c->query("SELECT $1::text, $2::text IS NULL, $3::int + 1, $4::bigint, $5::bool, $6::text",
                                     pg::params("héllo", nullptr, 41, -9000000000LL, true, none), in(5s));
    EXPECT_EQ(r.rows(), 1u);
    EXPECT_EQ(r.columns(), 6u);
    EXPECT_EQ(r.value(0, 0), "héllo");
    EXPECT_EQ(r.value(0, 1), "t");
    EXPECT_EQ(r.value(0, 2), "42");
    EXPECT_EQ(r.value(0, 3), "-9000000000");
    EXPECT_EQ(r.value(0, 4), "t");
    EXPECT_TRUE(r.is_null(0, 5));
    EXPECT_FALSE(r.optional_value(0, 5).has_value());
  }());
}

TEST_F(connection_test, injection_attempt_stays_data) {
  run([&]() -> asio::awaitable<void> {
    std::unique_ptr<pg::connection> c = co_await open(io_, url_);
    co_await c->execute_script("CREATE TABLE people (name text)", in(5s));
    const std::string evil = "Robert'); DROP TABLE people; -- \"$1\" \\";
    pg::result inserted = co_await c->query("INSERT INTO people (name) VALUES ($1)", pg::params(evil), in(5s));
    EXPECT_EQ(inserted.affected_rows(), 1u);
    pg::result r = co_await c->query("SELECT name FROM people", {}, in(5s));
    EXPECT_EQ(r.rows(), 1u);
    if (r.rows() != 1) co_return;
    EXPECT_EQ(r.value(0, r.column("name")), evil);
  }());
}

TEST_F(connection_test, unique_violation_is_a_query_error_and_the_connection_stays_usable) {
  run([&]() -> asio::awaitable<void> {
    std::unique_ptr<pg::connection> c = co_await open(io_, url_);
    co_await c->execute_script("CREATE TABLE t (k text CONSTRAINT t_k_uq UNIQUE)", in(5s));
    pg::result first = co_await c->query("INSERT INTO t VALUES ($1)", pg::params("a"), in(5s));
    std::string state, constraint;
    try {
      pg::result second = co_await c->query("INSERT INTO t VALUES ($1)", pg::params("a"), in(5s));
    } catch (const pg::query_error& e) {
      state = e.sqlstate();
      constraint = e.constraint();
    }
    EXPECT_EQ(state, pg::sqlstate::unique_violation);
    EXPECT_EQ(constraint, "t_k_uq");
    EXPECT_FALSE(c->broken());
    pg::result after = co_await c->query("SELECT count(*) FROM t", {}, in(5s));
    EXPECT_EQ(after.value(0, 0), "1");
  }());
}

TEST_F(connection_test, syntax_error_and_bad_input_are_query_errors) {
  run([&]() -> asio::awaitable<void> {
    std::unique_ptr<pg::connection> c = co_await open(io_, url_);
    std::string syntax, input;
    try {
      pg::result r = co_await c->query("SELEC 1", {}, in(5s));
    } catch (const pg::query_error& e) {
      syntax = e.sqlstate();
    }
    try {
      pg::result r = co_await c->query("SELECT $1::int", pg::params("not a number"), in(5s));
    } catch (const pg::query_error& e) {
      input = e.sqlstate();
    }
    EXPECT_EQ(syntax, "42601");
    EXPECT_EQ(input, pg::sqlstate::invalid_text_representation);
    EXPECT_FALSE(c->broken());
  }());
}

TEST_F(connection_test, connect_where_nothing_listens_fails_fast_with_unavailable) {
  const std::string nowhere = "postgres://postgres@127.0.0.1:" + std::to_string(test::free_port()) + "/x";
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(run(open(io_, nowhere)), core::unavailable_error);
  EXPECT_LT(ms_since(start), 1000);
}

TEST_F(connection_test, connect_to_a_server_that_never_answers_times_out) {
  // A listening socket nobody accepts from: the TCP handshake completes, the startup reply never comes.
  asio::ip::tcp::acceptor silent(io_, {asio::ip::make_address("127.0.0.1"), 0});
  const std::string url = "postgres://postgres@127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "/x";
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(run([&]() -> asio::awaitable<void> {
                 std::unique_ptr<pg::connection> c =
                     co_await pg::connection::connect(io_.get_executor(), url + "?sslmode=disable", in(300ms));
               }()),
               core::unavailable_error);
  EXPECT_GE(ms_since(start), 250);
  EXPECT_LT(ms_since(start), 1500);
}

TEST_F(connection_test, connect_moves_on_to_the_next_host_when_one_refuses) {
  // libpq closes the refused socket and opens another mid-connect; the wait must follow it.
  const std::string dbname = url_.substr(url_.rfind('/') + 1);
  const std::string url = "postgres://postgres@127.0.0.1:" + std::to_string(test::free_port()) + ",127.0.0.1:" +
                          std::to_string(test::postgres_server::shared().port()) + "/" + dbname;
  run([&]() -> asio::awaitable<void> {
    std::unique_ptr<pg::connection> c = co_await open(io_, url);
    pg::result r = co_await c->query("SELECT current_database()", {}, in(5s));
    EXPECT_EQ(r.value(0, 0), dbname);
  }());
}

TEST_F(connection_test, query_past_its_deadline_is_unavailable_and_breaks_the_connection) {
  run([&]() -> asio::awaitable<void> {
    std::unique_ptr<pg::connection> c = co_await open(io_, url_);
    const auto start = std::chrono::steady_clock::now();
    bool timed_out = false;
    try {
      pg::result r = co_await c->query("SELECT pg_sleep(5)", {}, in(300ms));
    } catch (const core::unavailable_error& e) {
      timed_out = true;
      EXPECT_EQ(e.dependency(), "postgres");
    }
    EXPECT_TRUE(timed_out);
    EXPECT_LT(ms_since(start), 1500);
    EXPECT_TRUE(c->broken());
    EXPECT_FALSE(c->check_alive());
    bool refused = false;
    try {
      pg::result r = co_await c->query("SELECT 1", {}, in(1s));
    } catch (const core::unavailable_error&) {
      refused = true;
    }
    EXPECT_TRUE(refused);
  }());
}

// A server shutting down cancels what its handlers await: a query cut that
// way ends at once as a cancellation (operation_aborted), not as
// "PostgreSQL is unavailable", and its session is not reused.
TEST_F(connection_test, a_cancelled_query_ends_at_once_as_a_cancellation) {
  run([&]() -> asio::awaitable<void> {
    std::unique_ptr<pg::connection> c = co_await open(io_, url_);
    asio::cancellation_signal cancel;
    std::exception_ptr failure;
    bool done = false;
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
          pg::result r = co_await c->query("SELECT pg_sleep(5)", {}, in(5s));
        },
        asio::bind_cancellation_slot(cancel.slot(), [&](std::exception_ptr e) {
          failure = e;
          done = true;
        }));
    asio::steady_timer pause(io_, 200ms);
    co_await pause.async_wait(asio::use_awaitable);
    const auto cancelled_at = std::chrono::steady_clock::now();
    cancel.emit(asio::cancellation_type::terminal);
    while (!done) {
      pause.expires_after(5ms);
      co_await pause.async_wait(asio::use_awaitable);
    }
    EXPECT_LT(ms_since(cancelled_at), 500) << "not after the statement or its deadline";
    bool cancellation = false;
    try {
      std::rethrow_exception(failure);
    } catch (const core::unavailable_error& e) {
      ADD_FAILURE() << "reported as an outage: " << e.what();
    } catch (const boost::system::system_error& e) {
      cancellation = e.code() == asio::error::operation_aborted;
    }
    EXPECT_TRUE(cancellation);
    EXPECT_TRUE(c->broken()) << "a session with a statement in flight is not reused";
  }());
}

TEST_F(connection_test, scripts_run_many_statements_and_stop_at_the_first_error) {
  run([&]() -> asio::awaitable<void> {
    std::unique_ptr<pg::connection> c = co_await open(io_, url_);
    co_await c->execute_script("CREATE TABLE a (x int); INSERT INTO a VALUES (1), (2); CREATE TABLE b (y int);", in(5s));
    pg::result r = co_await c->query("SELECT sum(x) FROM a", {}, in(5s));
    EXPECT_EQ(r.value(0, 0), "3");
    std::string state;
    try {
      co_await c->execute_script("INSERT INTO b VALUES (1); SELECT * FROM missing; INSERT INTO b VALUES (2);", in(5s));
    } catch (const pg::query_error& e) {
      state = e.sqlstate();
    }
    EXPECT_EQ(state, "42P01");
    pg::result b = co_await c->query("SELECT count(*) FROM b", {}, in(5s));
    EXPECT_EQ(b.value(0, 0), "0");  // one implicit transaction: all or nothing
  }());
}

TEST_F(connection_test, large_parameters_and_results_cross_many_socket_reads_and_writes) {
  run([&]() -> asio::awaitable<void> {
    std::unique_ptr<pg::connection> c = co_await open(io_, url_);
    const std::string big(4 * 1024 * 1024, 'x');
    pg::result echoed = co_await c->query("SELECT length($1::text)", pg::params(big), in(10s));
    EXPECT_EQ(echoed.value(0, 0), std::to_string(big.size()));
    pg::result many = co_await c->query("SELECT i, repeat('y', 1000) FROM generate_series(1, 20000) i", {}, in(10s));
    EXPECT_EQ(many.rows(), 20000u);
    EXPECT_EQ(many.value(19999, 0), "20000");
    EXPECT_EQ(many.value(5, 1).size(), 1000u);
  }());
}

TEST_F(connection_test, result_accessors_check_their_bounds) {
  run([&]() -> asio::awaitable<void> {
    std::unique_ptr<pg::connection> c = co_await open(io_, url_);
    pg::result r = co_await c->query("SELECT 1 AS one, NULL::text AS nothing", {}, in(5s));
    EXPECT_EQ(r.column("one"), 0u);
    EXPECT_EQ(r.column("nothing"), 1u);
    EXPECT_THROW(r.column("One"), std::out_of_range);
    EXPECT_THROW(r.value(1, 0), std::out_of_range);
    EXPECT_THROW(r.value(0, 2), std::out_of_range);
    EXPECT_TRUE(r.is_null(0, 1));
    EXPECT_EQ(r.value(0, "one"), "1");
    EXPECT_EQ(r.command_tag(), "SELECT 1");
  }());
}

TEST_F(connection_test, integer_reads_whole_integers_and_refuses_anything_else) {
  run([&]() -> asio::awaitable<void> {
    std::unique_ptr<pg::connection> c = co_await open(io_, url_);
    pg::result r = co_await c->query("SELECT 9007199254740993::bigint, -7, NULL::bigint, 'x', '12ab', 1.5", {}, in(5s));
    EXPECT_EQ(r.integer(0, 0), 9007199254740993LL);
    EXPECT_EQ(r.integer(0, 1), -7);
    EXPECT_THROW(r.integer(0, 2), std::invalid_argument) << "NULL";
    EXPECT_THROW(r.integer(0, 3), std::invalid_argument);
    EXPECT_THROW(r.integer(0, 4), std::invalid_argument) << "trailing text";
    EXPECT_THROW(r.integer(0, 5), std::invalid_argument);
    EXPECT_THROW(r.integer(1, 0), std::out_of_range);
  }());
}

TEST_F(connection_test, notices_go_to_the_log_not_to_the_caller) {
  run([&]() -> asio::awaitable<void> {
    std::unique_ptr<pg::connection> c = co_await open(io_, url_);
    co_await c->execute_script("DO $$ BEGIN RAISE NOTICE 'just saying'; RAISE WARNING 'careful'; END $$", in(5s));
    pg::result r = co_await c->query("SELECT 1", {}, in(5s));
    EXPECT_EQ(r.value(0, 0), "1");
  }());
}

TEST_F(connection_test, check_alive_notices_a_session_the_server_ended) {
  run([&]() -> asio::awaitable<void> {
    std::unique_ptr<pg::connection> c = co_await open(io_, url_);
    EXPECT_TRUE(c->check_alive());
    pg::result pid = co_await c->query("SELECT pg_backend_pid()", {}, in(5s));
    test::sql(url_, "SELECT pg_terminate_backend(" + std::string(pid.value(0, 0)) + ")");
    asio::steady_timer settle(io_, 100ms);
    co_await settle.async_wait(asio::use_awaitable);
    EXPECT_FALSE(c->check_alive());
    EXPECT_TRUE(c->broken());
  }());
}

// libpq closes its descriptor when the server drops the session, and the
// next socket of the process takes the number. Letting go of the connection
// must leave that socket alone: Asio once watched libpq's own number, and
// deregistering it took the newcomer out of the loop's epoll set, so an HTTP
// request on it was never read (seen under load during a PostgreSQL outage).
TEST_F(connection_test, a_dropped_session_leaves_the_sockets_that_reuse_its_number_alone) {
  using asio::ip::tcp;
  using namespace asio::experimental::awaitable_operators;
  run([&]() -> asio::awaitable<void> {
    std::unique_ptr<pg::connection> c = co_await open(io_, url_);
    const int number = c->descriptor();
    pg::result pid = co_await c->query("SELECT pg_backend_pid()", {}, in(5s));
    test::sql(url_, "SELECT pg_terminate_backend(" + std::string(pid.value(0, 0)) + ")");
    asio::steady_timer settle(io_, 100ms);
    co_await settle.async_wait(asio::use_awaitable);
    EXPECT_FALSE(c->check_alive());
    EXPECT_EQ(c->descriptor(), -1) << "libpq closed its descriptor";

    // New sockets on the same loop: the lowest free number goes first.
    tcp::acceptor acceptor(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    std::vector<tcp::socket> clients;
    std::vector<tcp::socket> servers;
    for (int i = 0; i < 2; ++i) {
      tcp::socket client(io_);
      co_await client.async_connect(acceptor.local_endpoint(), asio::use_awaitable);
      tcp::socket server = co_await acceptor.async_accept(asio::use_awaitable);
      clients.push_back(std::move(client));
      servers.push_back(std::move(server));
    }
    bool reused = acceptor.native_handle() == number;
    for (auto& s : clients) reused = reused || s.native_handle() == number;
    for (auto& s : servers) reused = reused || s.native_handle() == number;
    EXPECT_TRUE(reused) << "the test needs descriptor " << number << " taken again";

    c.reset();

    // Every socket still hears its peer, and the acceptor accepts. Each
    // wait starts before its peer acts, so that it needs epoll's event (a
    // read of bytes already there completes without asking epoll).
    auto later = [&](std::function<asio::awaitable<void>()> act) -> asio::awaitable<void> {
      asio::steady_timer pause(io_, 50ms);
      co_await pause.async_wait(asio::use_awaitable);
      co_await act();
    };
    auto hears = [&](tcp::socket& from, tcp::socket& to) -> asio::awaitable<bool> {
      char byte = 0;
      asio::steady_timer limit(io_, 2s);
      auto reading = [&]() -> asio::awaitable<bool> {
        auto got = co_await (asio::async_read(to, asio::buffer(&byte, 1), asio::use_awaitable) ||
                             limit.async_wait(asio::use_awaitable));
        co_return got.index() == 0;
      };
      auto write = [&]() -> asio::awaitable<void> {
        co_await asio::async_write(from, asio::buffer("x", 1), asio::use_awaitable);
      };
      const bool got = co_await (reading() && later(write));
      co_return got && byte == 'x';
    };
    for (std::size_t i = 0; i < clients.size(); ++i) {
      const bool to_server = co_await hears(clients[i], servers[i]);
      EXPECT_TRUE(to_server) << "pair " << i;
      const bool to_client = co_await hears(servers[i], clients[i]);
      EXPECT_TRUE(to_client) << "pair " << i;
    }
    tcp::socket late(io_);
    asio::steady_timer limit(io_, 2s);
    auto accepting = [&]() -> asio::awaitable<bool> {
      auto got = co_await (acceptor.async_accept(asio::use_awaitable) || limit.async_wait(asio::use_awaitable));
      co_return got.index() == 0;
    };
    auto connect = [&]() -> asio::awaitable<void> {
      co_await late.async_connect(acceptor.local_endpoint(), asio::use_awaitable);
    };
    const bool accepted = co_await (accepting() && later(connect));
    EXPECT_TRUE(accepted) << "the acceptor stopped hearing";
  }());
}

TEST_F(connection_test, transaction_state_is_reported) {
  run([&]() -> asio::awaitable<void> {
    std::unique_ptr<pg::connection> c = co_await open(io_, url_);
    EXPECT_FALSE(c->in_transaction());
    pg::result begun = co_await c->query("BEGIN", {}, in(5s));
    EXPECT_TRUE(c->in_transaction());
    try {
      pg::result r = co_await c->query("SELECT 1/0", {}, in(5s));
    } catch (const pg::query_error&) {
    }
    EXPECT_TRUE(c->in_failed_transaction());
    pg::result rolled = co_await c->query("ROLLBACK", {}, in(5s));
    EXPECT_FALSE(c->in_transaction());
  }());
}

}  // namespace
}  // namespace bakewind::pg_test
