// pg::connection's libpq core: connecting, the socket and its waits, reading
// a command's results, and the hold a statement takes on its connection.

#include "pg/connection.hpp"

#include "core/error.hpp"
#include "core/log.hpp"
#include "pg/detail/operation.hpp"
#include "pg/errors.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <libpq-fe.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
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

// The server's reasons for rejecting a command, as the error its caller gets.
query_error rejection_in(const pg_result* raw) {
  const char* state = PQresultErrorField(raw, PG_DIAG_SQLSTATE);
  const char* constraint = PQresultErrorField(raw, PG_DIAG_CONSTRAINT_NAME);
  return query_error(state != nullptr ? state : "", constraint != nullptr ? constraint : "",
                     trimmed(PQresultErrorMessage(raw)));
}

}  // namespace

connection::operation::operation(connection& c, pg::stats* timed_into)
    : conn_(c), stats_(timed_into), started_(std::chrono::steady_clock::now()) {
  if (conn_.busy_) throw std::logic_error("pg::connection used by two statements at once");
  if (conn_.broken_) throw core::unavailable_error("postgres", "connection is broken");
  conn_.busy_ = true;
}

connection::operation::~operation() {
  conn_.busy_ = false;
  if (!completed_) conn_.broken_ = true;
  if (stats_ == nullptr) return;
  if (completed_) {
    stats_->query_latency.observe(std::chrono::steady_clock::now() - started_);
  } else {
    stats_->errors.inc();
  }
}

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

asio::awaitable<connection::reply> connection::collect(time_point deadline) {
  reply out;
  for (;;) {
    if (PQisBusy(conn_) != 0) co_await until_result(deadline);
    pg_result* raw = PQgetResult(conn_);
    if (raw == nullptr) break;
    result current(raw);
    const ExecStatusType status = PQresultStatus(raw);
    if (status == PGRES_FATAL_ERROR) {
      if (!out.rejected) out.rejected = rejection_in(raw);
    } else if (status == PGRES_PIPELINE_ABORTED) {
      // Skipped after an earlier command of its pipeline failed.
      if (!out.rejected) out.rejected.emplace("25P02", "", "pipeline aborted by an earlier error");
    } else if (status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH) {
      broken_ = true;
      throw std::logic_error("pg::connection does not support COPY");
    } else {
      out.rows = std::move(current);
    }
  }
  // An error that ends the session is an outage, not an answer.
  if (out.rejected && (is_connection_failure(out.rejected->sqlstate()) || PQstatus(conn_) != CONNECTION_OK)) {
    broken_ = true;
    throw core::unavailable_error("postgres", out.rejected->what());
  }
  co_return out;
}

}  // namespace bakewind::pg
