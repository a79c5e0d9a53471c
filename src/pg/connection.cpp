#include "pg/connection.hpp"

#include "core/error.hpp"
#include "core/log.hpp"
#include "pg/errors.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <libpq-fe.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <utility>

namespace bakewind::pg {

namespace {

constexpr auto as_value = asio::as_tuple(asio::use_awaitable);

std::string trimmed(const char* text) {
  std::string s = text != nullptr ? text : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

void log_notice(void*, const char* message) {
  // libpq prints notices to stderr by default; ours go to the log, quietly.
  core::log_debug("postgres notice", {{"message", trimmed(message)}});
}

// Errors that mean the session is gone, not that the statement was wrong.
bool is_connection_failure(std::string_view state) {
  return state.empty() || state.starts_with("08") || state.starts_with("57P");
}

}  // namespace

/// Marks the connection busy for one statement; a statement abandoned midway
/// (its coroutine destroyed) leaves libpq mid-protocol, so the connection is
/// broken unless `complete()` was reached.
class connection::operation {
 public:
  explicit operation(connection& c) : conn_(c) {
    if (conn_.busy_) throw std::logic_error("pg::connection used by two statements at once");
    if (conn_.broken_) throw core::unavailable_error("postgres", "connection is broken");
    conn_.busy_ = true;
  }
  ~operation() {
    conn_.busy_ = false;
    if (!completed_) conn_.broken_ = true;
  }
  operation(const operation&) = delete;
  operation& operator=(const operation&) = delete;
  void complete() noexcept { completed_ = true; }

 private:
  connection& conn_;
  bool completed_ = false;
};

connection::connection(asio::any_io_executor ex, pg_conn* conn)
    : executor_(ex), conn_(conn), socket_(ex), timer_(ex) {
  PQsetNoticeProcessor(conn_, &log_notice, nullptr);
}

connection::~connection() {
  boost::system::error_code ignored;
  socket_.close(ignored);  // our duplicate (see wrap_socket); libpq closes its own
  PQfinish(conn_);
}

asio::awaitable<std::unique_ptr<connection>> connection::connect(asio::any_io_executor ex, std::string url,
                                                                  time_point deadline) {
  pg_conn* raw = PQconnectStart(url.c_str());
  if (raw == nullptr) throw core::unavailable_error("postgres", "connect: out of memory");
  std::unique_ptr<connection> c(new connection(ex, raw));
  if (PQstatus(raw) == CONNECTION_BAD) c->fail("connect");

  // libpq's documented start state: wait for writability first.
  PostgresPollingStatusType status = PGRES_POLLING_WRITING;
  while (status != PGRES_POLLING_OK) {
    if (status == PGRES_POLLING_FAILED) c->fail("connect");
    // Each poll may close the socket and open another (next address, SSL
    // retry), possibly under the same number: wrap afresh every time.
    c->wrap_socket();
    const ready r = co_await c->wait(status == PGRES_POLLING_READING, status == PGRES_POLLING_WRITING, deadline);
    if (r == ready::timeout) c->fail_timeout("connect");
    status = PQconnectPoll(raw);
  }
  c->wrap_socket();
  if (PQsetnonblocking(raw, 1) != 0) c->fail("connect");
  co_return c;
}

void connection::wrap_socket() {
  // Asio watches a duplicate of libpq's descriptor, and owns it. libpq
  // closes its own whenever it drops a connection (or retries inside
  // PQconnectPoll), and the number may at once belong to another socket of
  // the process, say an accepted HTTP connection: had Asio registered
  // libpq's number, letting go of it later would take the other socket out
  // of this loop's epoll set, and its requests would never be read.
  boost::system::error_code ec;
  socket_.close(ec);
  const int fd = PQsocket(conn_);
  if (fd < 0) fail("socket");
  const int own = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (own < 0) {
    broken_ = true;
    throw core::unavailable_error("postgres", std::string("cannot watch socket: ") + std::strerror(errno));
  }
  socket_.assign(own, ec);
  if (ec) {
    ::close(own);
    broken_ = true;
    throw core::unavailable_error("postgres", "cannot watch socket: " + ec.message());
  }
}

void connection::fail(std::string_view what) {
  broken_ = true;
  throw core::unavailable_error("postgres", std::string(what) + ": " + trimmed(PQerrorMessage(conn_)));
}

void connection::fail_timeout(std::string_view what) {
  // No PQcancel: it blocks. The server notices the dropped session instead.
  broken_ = true;
  throw core::unavailable_error("postgres", std::string(what) + " timed out");
}

bool connection::check_alive() noexcept {
  if (broken_ || busy_) return !broken_;
  if (PQstatus(conn_) != CONNECTION_OK) {
    broken_ = true;
    return false;
  }
  // A shutting-down server first sends an error (handled as a notice while
  // idle), then EOF; keep reading while bytes are waiting so EOF is seen now.
  for (int i = 0; i < 8; ++i) {
    pollfd p{PQsocket(conn_), POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) break;
    if (PQconsumeInput(conn_) == 0 || PQstatus(conn_) != CONNECTION_OK) {
      broken_ = true;
      return false;
    }
  }
  return true;
}

int connection::descriptor() const noexcept { return PQsocket(conn_); }

bool connection::in_transaction() const noexcept {
  const PGTransactionStatusType s = PQtransactionStatus(conn_);
  return s == PQTRANS_INTRANS || s == PQTRANS_INERROR || s == PQTRANS_ACTIVE;
}

bool connection::in_failed_transaction() const noexcept { return PQtransactionStatus(conn_) == PQTRANS_INERROR; }

asio::awaitable<result> connection::query(std::string_view sql, std::span<const param> params, time_point deadline) {
  return run_query(std::string(sql), std::vector<param>(params.begin(), params.end()), deadline);
}

asio::awaitable<result> connection::query(std::string_view sql, std::span<const param> params) {
  return run_query(std::string(sql), std::vector<param>(params.begin(), params.end()),
                   std::chrono::steady_clock::now() + default_timeout_);
}

asio::awaitable<result> connection::query(std::string_view sql, std::initializer_list<param> params,
                                          time_point deadline) {
  return run_query(std::string(sql), std::vector<param>(params), deadline);
}

asio::awaitable<result> connection::query(std::string_view sql, std::initializer_list<param> params) {
  return run_query(std::string(sql), std::vector<param>(params), std::chrono::steady_clock::now() + default_timeout_);
}

asio::awaitable<void> connection::execute_script(std::string_view sql, time_point deadline) {
  return run_script(std::string(sql), deadline);
}

namespace {

// Times a statement into the pool's figures: answered (even rejected) ones
// into the latency histogram, ones that got no answer into the errors.
class statement_timer {
 public:
  explicit statement_timer(pg::stats* s) : stats_(s), started_(std::chrono::steady_clock::now()) {}
  ~statement_timer() {
    if (stats_ == nullptr) return;
    if (answered_) {
      stats_->query_latency.observe(std::chrono::steady_clock::now() - started_);
    } else {
      stats_->errors.inc();
    }
  }
  statement_timer(const statement_timer&) = delete;
  statement_timer& operator=(const statement_timer&) = delete;
  void answered() noexcept { answered_ = true; }

 private:
  pg::stats* stats_;
  std::chrono::steady_clock::time_point started_;
  bool answered_ = false;
};

}  // namespace

asio::awaitable<result> connection::run_query(std::string sql, std::vector<param> params, time_point deadline) {
  operation op(*this);
  statement_timer timed(stats_);
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const param& p : params) values.push_back(p.c_str());
  // In a transaction an error would abort it, so no name lookups there;
  // besides, a pooler pins a transaction to one server connection only for
  // its length, so a name prepared earlier may be missing.
  const bool named = prepare_ && !in_transaction();
  std::optional<result> r;
  std::optional<query_error> rejected;  // the exchange finished: the connection stays usable
  try {
    if (named) {
      r = co_await run_prepared(sql, values, deadline);
    } else {
      r = co_await run_unnamed(sql, values, deadline);
    }
  } catch (const query_error& e) {
    rejected = e;
  }
  op.complete();
  timed.answered();
  if (rejected) throw *rejected;
  co_return std::move(*r);
}

// Different texts get different names: a 64-bit collision among a few dozen
// statements is not a practical concern.
std::string statement_name(std::string_view sql) {
  std::uint64_t h = 14695981039346656037ULL;
  for (const char c : sql) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  char name[3 + 16 + 1];
  std::snprintf(name, sizeof name, "bw_%016llx", static_cast<unsigned long long>(h));
  return name;
}

namespace {

// A pooler between us and PostgreSQL moved the session: the name is missing
// (26000) or another client's statement holds it (42P05).
bool is_session_mismatch(const query_error& e) { return e.sqlstate() == "26000" || e.sqlstate() == "42P05"; }

// Beyond this many names a connection runs statements unnamed: a statement
// built with values in its text would otherwise fill the server's memory.
constexpr std::size_t max_prepared = 256;

}  // namespace

asio::awaitable<result> connection::run_prepared(const std::string& sql, const std::vector<const char*>& values,
                                                 time_point deadline) {
  std::string name = statement_name(sql);
  if (!prepared_.contains(name)) {
    if (prepared_.size() >= max_prepared) co_return co_await run_unnamed(sql, values, deadline);
    if (PQsendPrepare(conn_, name.c_str(), sql.c_str(), static_cast<int>(values.size()), nullptr) == 0) {
      fail("send prepare");
    }
    co_await flush(deadline);
    const auto prepared = co_await answer_in_session(deadline);
    if (!prepared) co_return co_await run_unnamed(sql, values, deadline);
    prepared_.insert(name);
  }
  if (PQsendQueryPrepared(conn_, name.c_str(), static_cast<int>(values.size()), values.data(), nullptr, nullptr,
                          0) == 0) {
    fail("send query");
  }
  co_await flush(deadline);
  auto executed = co_await answer_in_session(deadline);
  if (!executed) co_return co_await run_unnamed(sql, values, deadline);
  co_return std::move(*executed);
}

asio::awaitable<std::optional<result>> connection::answer_in_session(time_point deadline) {
  std::optional<query_error> mismatch;
  try {
    co_return co_await answer(deadline);
  } catch (const query_error& e) {
    if (!is_session_mismatch(e)) throw;
    mismatch = e;
  }
  stop_preparing(*mismatch);
  co_return std::nullopt;
}

asio::awaitable<result> connection::run_unnamed(const std::string& sql, const std::vector<const char*>& values,
                                                time_point deadline) {
  if (PQsendQueryParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                        nullptr, 0) == 0) {
    fail("send query");
  }
  co_await flush(deadline);
  co_return co_await answer(deadline);
}

asio::awaitable<result> connection::answer(time_point deadline) {
  std::optional<query_error> rejected;
  result r = co_await collect(deadline, rejected);
  if (rejected) throw *rejected;
  co_return r;
}

void connection::stop_preparing(const query_error& why) {
  prepare_ = false;
  prepared_.clear();
  core::log_warn("postgres: prepared statements switched off on a connection (a pooler in transaction mode? "
                 "set PG_PREPARED_STATEMENTS=off)",
                 {{"sqlstate", why.sqlstate()}, {"message", why.what()}});
}

asio::awaitable<void> connection::run_script(std::string sql, time_point deadline) {
  operation op(*this);
  if (PQsendQuery(conn_, sql.c_str()) == 0) fail("send script");
  co_await flush(deadline);
  std::optional<query_error> rejected;
  result last = co_await collect(deadline, rejected);
  op.complete();
  if (rejected) throw *rejected;
}

asio::awaitable<std::vector<result>> connection::pipeline(std::vector<statement> statements, time_point deadline) {
  operation op(*this);
  statement_timer timed(stats_);
  if (in_transaction()) throw std::logic_error("pg::connection::pipeline inside a transaction block");
  if (PQenterPipelineMode(conn_) == 0) fail("enter pipeline mode");
  // Per statement: the name it is first prepared under here, if it is; the
  // name counts as prepared at once, so that a second use in this pipeline
  // goes by name, and is forgotten again if the server did not run the Parse.
  std::vector<std::string> parsed(statements.size());
  std::vector<std::vector<const char*>> values(statements.size());
  for (std::size_t i = 0; i < statements.size(); ++i) {
    for (const param& p : statements[i].params) values[i].push_back(p.c_str());
    send_in_pipeline(statements[i], values[i], parsed[i]);
  }
  if (PQpipelineSync(conn_) == 0) fail("send pipeline sync");
  co_await flush(deadline);

  // Whatever the server rejected, every command's results (or its "aborted"
  // marker) and the Sync's come back: read them all to stay in step with the
  // protocol. The first rejection tells why. Prepared statements are not
  // transactional: a Parse that ran before the error stays.
  std::vector<result> results;
  results.reserve(statements.size());
  std::optional<query_error> rejected;
  for (std::size_t i = 0; i < statements.size(); ++i) {
    std::optional<query_error> parse_rejected, run_rejected;
    if (!parsed[i].empty()) {
      co_await collect(deadline, parse_rejected);
      if (parse_rejected) prepared_.erase(parsed[i]);
    }
    result answer = co_await collect(deadline, run_rejected);
    results.push_back(std::move(answer));
    for (std::optional<query_error>* r : {&parse_rejected, &run_rejected}) {
      if (*r && !rejected) rejected = std::move(*r);
    }
  }
  co_await until_result(deadline);
  pg_result* raw = PQgetResult(conn_);
  const result sync(raw);
  if (raw == nullptr || PQresultStatus(raw) != PGRES_PIPELINE_SYNC) fail("pipeline out of step");
  if (PQexitPipelineMode(conn_) == 0) fail("leave pipeline mode");
  op.complete();
  timed.answered();
  if (rejected) throw *rejected;
  co_return results;
}

void connection::send_in_pipeline(const statement& s, const std::vector<const char*>& values, std::string& parsed) {
  const int n = static_cast<int>(values.size());
  if (prepare_) {
    std::string name = statement_name(s.sql);
    if (!prepared_.contains(name) && prepared_.size() < max_prepared) {
      if (PQsendPrepare(conn_, name.c_str(), s.sql.c_str(), n, nullptr) == 0) fail("send prepare");
      prepared_.insert(name);
      parsed = name;
    }
    if (prepared_.contains(name)) {
      if (PQsendQueryPrepared(conn_, name.c_str(), n, values.data(), nullptr, nullptr, 0) == 0) fail("send query");
      return;
    }
  }
  if (PQsendQueryParams(conn_, s.sql.c_str(), n, nullptr, values.data(), nullptr, nullptr, 0) == 0) {
    fail("send query");
  }
}

asio::awaitable<connection::ready> connection::wait(bool want_read, bool want_write, time_point deadline) {
  using namespace asio::experimental::awaitable_operators;
  using descriptor = asio::posix::stream_descriptor;
  if (std::chrono::steady_clock::now() >= deadline) co_return ready::timeout;
  timer_.expires_at(deadline);
  boost::system::error_code ec;
  ready outcome = ready::timeout;
  if (want_read && want_write) {
    auto either = socket_.async_wait(descriptor::wait_read, as_value) ||
                  socket_.async_wait(descriptor::wait_write, as_value) || timer_.async_wait(as_value);
    auto done = co_await std::move(either);
    if (done.index() == 0) {
      ec = std::get<0>(std::get<0>(done));
      outcome = ready::read;
    } else if (done.index() == 1) {
      ec = std::get<0>(std::get<1>(done));
      outcome = ready::write;
    }
  } else {
    const auto what = want_read ? descriptor::wait_read : descriptor::wait_write;
    auto either = socket_.async_wait(what, as_value) || timer_.async_wait(as_value);
    auto done = co_await std::move(either);
    if (done.index() == 0) {
      ec = std::get<0>(std::get<0>(done));
      outcome = want_read ? ready::read : ready::write;
    }
  }
  if (ec) {
    broken_ = true;  // a statement may be half sent: the session cannot be reused
    // Cancelled (the server shutting down): say so, not "PostgreSQL is down".
    if (ec == asio::error::operation_aborted) throw boost::system::system_error(ec, "postgres wait cancelled");
    throw core::unavailable_error("postgres", "socket wait failed: " + ec.message());
  }
  co_return outcome;
}

asio::awaitable<void> connection::flush(time_point deadline) {
  for (;;) {
    const int pending = PQflush(conn_);
    if (pending == 0) co_return;
    if (pending < 0) fail("send");
    // The server may be waiting for us to read before it reads more of ours.
    const ready r = co_await wait(true, true, deadline);
    if (r == ready::timeout) fail_timeout("send");
    if (r == ready::read && PQconsumeInput(conn_) == 0) fail("receive");
  }
}

asio::awaitable<void> connection::until_result(time_point deadline) {
  while (PQisBusy(conn_) != 0) {
    const ready r = co_await wait(true, false, deadline);
    if (r == ready::timeout) fail_timeout("query");
    if (PQconsumeInput(conn_) == 0) fail("receive");
  }
}

asio::awaitable<result> connection::collect(time_point deadline, std::optional<query_error>& rejected) {
  result last;
  std::string error_state, error_constraint, error_message;
  bool failed = false;
  for (;;) {
    if (PQisBusy(conn_) != 0) co_await until_result(deadline);
    pg_result* raw = PQgetResult(conn_);
    if (raw == nullptr) break;
    result current(raw);
    const ExecStatusType status = PQresultStatus(raw);
    if (status == PGRES_FATAL_ERROR) {
      if (!failed) {
        failed = true;
        const char* state = PQresultErrorField(raw, PG_DIAG_SQLSTATE);
        const char* constraint = PQresultErrorField(raw, PG_DIAG_CONSTRAINT_NAME);
        error_state = state != nullptr ? state : "";
        error_constraint = constraint != nullptr ? constraint : "";
        error_message = trimmed(PQresultErrorMessage(raw));
      }
    } else if (status == PGRES_PIPELINE_ABORTED) {
      // Skipped after an earlier command of its pipeline failed.
      if (!failed) {
        failed = true;
        error_state = "25P02";
        error_message = "pipeline aborted by an earlier error";
      }
    } else if (status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH) {
      broken_ = true;
      throw std::logic_error("pg::connection does not support COPY");
    } else {
      last = std::move(current);
    }
  }
  if (failed) {
    if (is_connection_failure(error_state) || PQstatus(conn_) != CONNECTION_OK) {
      broken_ = true;
      throw core::unavailable_error("postgres", error_message);
    }
    rejected.emplace(error_state, error_constraint, error_message);
  }
  co_return last;
}

}  // namespace bakewind::pg
