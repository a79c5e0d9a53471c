#pragma once
// One PostgreSQL connection driven by libpq's asynchronous API on an Asio
// executor: every wait for the socket is bounded by a deadline and nothing
// ever blocks the event loop.

#include "pg/detail/prepared_statements.hpp"
#include "pg/errors.hpp"
#include "pg/param.hpp"
#include "pg/result.hpp"
#include "pg/stats.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct pg_conn;  // libpq's PGconn, kept out of this header

namespace bakewind::pg {

namespace asio = boost::asio;

/// Deadlines are absolute points on the monotonic clock.
using time_point = std::chrono::steady_clock::time_point;

/// The name under which a connection prepares `sql`: the same text gets the
/// same name in every process ("bw_" and 16 hex digits of a 64-bit FNV-1a).
std::string statement_name(std::string_view sql);

/// One statement with its `$1..$n` parameters, for connection::pipeline.
struct statement {
  std::string sql;
  std::vector<param> params;
};

/// One libpq connection in non-blocking mode, bound to one executor. Not
/// thread-safe, and runs one statement at a time (a second concurrent call
/// throws std::logic_error). Errors: a statement the server rejects throws
/// pg::query_error and the connection stays usable; a connect failure, a
/// timeout, or a lost server throws core::unavailable_error("postgres", ...)
/// and marks the connection broken for good.
class connection {
 public:
  /// Opens a connection to `url` (a libpq URI or key=value string) and waits
  /// until it is ready or `deadline` passes. Host names are resolved by libpq
  /// synchronously: use an IP address where that matters.
  /// Throws core::unavailable_error on any failure or timeout.
  static asio::awaitable<std::unique_ptr<connection>> connect(asio::any_io_executor ex, std::string url,
                                                               time_point deadline);

  /// Closes the connection (PQfinish; the socket is libpq's, Asio never closes it).
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// Runs one statement with `$1..$n` parameters (PQsendQueryParams) and
  /// returns its rows. `sql` and `params` are copied before the first
  /// suspension. Build parameters with `pg::params(a, b)`: GCC 12 cannot
  /// compile a non-empty braced list inside `co_await`. Throws query_error
  /// or core::unavailable_error (see class).
  asio::awaitable<result> query(std::string_view sql, std::span<const param> params, time_point deadline);
  /// As above, with the deadline now + default_timeout().
  asio::awaitable<result> query(std::string_view sql, std::span<const param> params);
  /// As above, for a braced list (in practice `{}`: see pg::params).
  asio::awaitable<result> query(std::string_view sql, std::initializer_list<param> params, time_point deadline);
  /// As above, with the deadline now + default_timeout(); `query(sql)` for no parameters.
  asio::awaitable<result> query(std::string_view sql, std::initializer_list<param> params = {});

  /// Runs `statements` as ONE transaction in one round trip (libpq pipeline
  /// mode, a single Sync): either all of them took effect, and their results
  /// come back in order, or none did. Prepared by name like lone statements
  /// when preparing is on. Must be called outside a transaction block.
  /// Throws query_error when the server rejected one (nothing took effect;
  /// the connection stays usable) or core::unavailable_error (outcome
  /// unknown; the connection is broken).
  asio::awaitable<std::vector<result>> pipeline(std::vector<statement> statements, time_point deadline);

  /// Runs any number of `;`-separated statements without parameters
  /// (PQsendQuery), e.g. a migration file; the first error throws query_error.
  asio::awaitable<void> execute_script(std::string_view sql, time_point deadline);

  /// True once a timeout or I/O failure happened; a pool discards it then.
  bool broken() const noexcept { return broken_; }
  /// Marks the connection unusable, e.g. when its transaction state is unknown.
  void mark_broken() noexcept { broken_ = true; }
  /// Non-blocking liveness check for an idle connection: reads what the
  /// server sent (PQconsumeInput) and returns false, marking it broken, when
  /// the server has closed it. Never waits.
  bool check_alive() noexcept;

  /// libpq's socket descriptor now; -1 once libpq dropped the session (it
  /// then closed that descriptor, whose number another socket may take).
  int descriptor() const noexcept;

  /// True inside a transaction block (open or failed), per the server's last report.
  bool in_transaction() const noexcept;
  /// True inside a transaction that an error has aborted (only ROLLBACK works).
  bool in_failed_transaction() const noexcept;

  /// The timeout used by `query` without a deadline (30 s unless set; a pool sets its own).
  std::chrono::milliseconds default_timeout() const noexcept { return default_timeout_; }
  /// Sets the timeout used by `query` without a deadline.
  void set_default_timeout(std::chrono::milliseconds timeout) noexcept { default_timeout_ = timeout; }
  /// Whether lone statements (outside a transaction block) run as named
  /// prepared statements: parsed and planned once per connection, then only
  /// bound and executed. Off by default. Names are derived from the SQL
  /// text, so a name always means the same statement on any connection.
  /// Where the server says a name is missing or taken (a pooler such as
  /// PgBouncer in transaction mode moved us to another server connection),
  /// the connection logs it once, stops preparing and runs the statement
  /// unnamed: nothing had been executed.
  void set_prepare_statements(bool on) noexcept { statements_.enable(on); }
  /// Where statements are timed and failures counted (a pool's); null: nowhere.
  /// `s` must outlive the connection.
  void set_stats(pg::stats* s) noexcept { stats_ = s; }

  /// The executor all waits run on.
  const asio::any_io_executor& get_executor() const noexcept { return executor_; }

 private:
  enum class ready { read, write, timeout };
  class operation;  // detail/operation.hpp
  // The server's answer to one command: its rows, or why it rejected it. A
  // failure with no answer (I/O, timeout, a lost session) is not a reply: it throws.
  struct reply {
    result rows;
    std::optional<query_error> rejected;
  };

  connection(asio::any_io_executor ex, pg_conn* conn);

  // query.cpp: lone statements and scripts.
  asio::awaitable<result> run_query(std::string sql, std::vector<param> params, time_point deadline);
  asio::awaitable<reply> run_unnamed(const std::string& sql, const std::vector<const char*>& values,
                                     time_point deadline);
  asio::awaitable<void> run_script(std::string sql, time_point deadline);

  // prepared.cpp: the statement cache and its fallback to unnamed statements.
  asio::awaitable<reply> run_prepared(const std::string& sql, const std::vector<const char*>& values,
                                      time_point deadline);
  // As collect(), but a name the session lacks or holds for another
  // statement stops preparing and gives nullopt: run the statement unnamed.
  asio::awaitable<std::optional<reply>> collect_in_session(time_point deadline);
  void stop_preparing(const query_error& why);
  // Sends one statement of a pipeline: by name (after a Parse when the name
  // is new here: `parsed` gets it, one more result to read) or unnamed.
  void send_in_pipeline(const statement& s, const std::vector<const char*>& values, std::string& parsed);

  // pipeline.cpp: the results of one pipelined statement (its Parse's
  // first, when `parsed` names one), then the Sync that ends the pipeline.
  asio::awaitable<reply> collect_in_pipeline(const std::string& parsed, time_point deadline);
  asio::awaitable<void> end_pipeline(time_point deadline);

  // connection.cpp: libpq and the socket.
  asio::awaitable<ready> wait(bool want_read, bool want_write, time_point deadline);
  asio::awaitable<void> flush(time_point deadline);
  // Reads from the server until libpq holds the next result (or its end).
  asio::awaitable<void> until_result(time_point deadline);
  // Drains every result of one command (in a pipeline: up to its null); a
  // rejected or pipeline-aborted one is the reply's `rejected`.
  asio::awaitable<reply> collect(time_point deadline);
  void wrap_socket();
  [[noreturn]] void fail(std::string_view what);
  [[noreturn]] void fail_timeout(std::string_view what);

  asio::any_io_executor executor_;
  pg_conn* conn_;
  asio::posix::stream_descriptor socket_;
  asio::steady_timer timer_;
  std::chrono::milliseconds default_timeout_{30000};
  pg::stats* stats_ = nullptr;
  bool broken_ = false;
  bool busy_ = false;
  detail::prepared_statements statements_;
};

}  // namespace bakewind::pg
