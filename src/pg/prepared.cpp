// Named prepared statements on a pg::connection, and the fall back to unnamed
// ones where a pooler (PgBouncer in transaction mode) moves the session.

#include "pg/connection.hpp"
#include "pg/errors.hpp"

#include "core/log.hpp"

#include <libpq-fe.h>

#include <cstdint>
#include <functional>
#include <utility>

namespace bakewind::pg {

namespace {

using plan = detail::prepared_statements::plan;

// A pooler between us and PostgreSQL moved the session: the name is missing
// (26000) or another client's statement holds it (42P05).
bool is_session_mismatch(const query_error& e) { return e.sqlstate() == "26000" || e.sqlstate() == "42P05"; }

}  // namespace

// Different texts get different names: a 64-bit collision among a few dozen
// statements is not a practical concern. libstdc++'s string hash reads 8
// bytes at a time (a byte-wise hash and snprintf cost a lock write several
// thousand instructions) and is the same in every process, as names shared
// through a pooler must be.
std::string statement_name(std::string_view sql) {
  static constexpr std::string_view digits = "0123456789abcdef";
  std::uint64_t h = std::hash<std::string_view>{}(sql);
  std::string name = "bw_0000000000000000";
  for (std::size_t i = name.size(); i > 3; h >>= 4) name[--i] = digits[h & 15];
  return name;
}

asio::awaitable<connection::reply> connection::run_prepared(const std::string& sql,
                                                            const std::vector<const char*>& values,
                                                            time_point deadline) {
  const std::string name = statement_name(sql);
  const int n = static_cast<int>(values.size());
  const plan how = statements_.plan_for(name);
  if (how == plan::unnamed) co_return co_await run_unnamed(sql, values, deadline);
  if (how == plan::prepare) {
    if (PQsendPrepare(conn_, name.c_str(), sql.c_str(), n, nullptr) == 0) fail("send prepare");
    co_await flush(deadline);
    std::optional<reply> prepared = co_await collect_in_session(deadline);
    if (!prepared) co_return co_await run_unnamed(sql, values, deadline);
    // Rejected (bad SQL, say): nothing to run, and no name to remember.
    if (prepared->rejected) co_return std::move(*prepared);
    statements_.add(name);
  }
  if (PQsendQueryPrepared(conn_, name.c_str(), n, values.data(), nullptr, nullptr, 0) == 0) fail("send query");
  co_await flush(deadline);
  std::optional<reply> executed = co_await collect_in_session(deadline);
  if (!executed) co_return co_await run_unnamed(sql, values, deadline);
  co_return std::move(*executed);
}

asio::awaitable<std::optional<connection::reply>> connection::collect_in_session(time_point deadline) {
  reply answer = co_await collect(deadline);
  // Nothing was executed: the statement can still run unnamed.
  if (answer.rejected && is_session_mismatch(*answer.rejected)) {
    stop_preparing(*answer.rejected);
    co_return std::nullopt;
  }
  co_return answer;
}

void connection::stop_preparing(const query_error& why) {
  statements_.stop();
  core::log_warn("postgres: prepared statements switched off on a connection (a pooler in transaction mode? "
                 "set PG_PREPARED_STATEMENTS=off)",
                 {{"sqlstate", why.sqlstate()}, {"message", why.what()}});
}

void connection::send_in_pipeline(const statement& s, const std::vector<const char*>& values, std::string& parsed) {
  const int n = static_cast<int>(values.size());
  std::string name = statement_name(s.sql);
  const plan how = statements_.plan_for(name);
  if (how == plan::unnamed) {
    if (PQsendQueryParams(conn_, s.sql.c_str(), n, nullptr, values.data(), nullptr, nullptr, 0) == 0) {
      fail("send query");
    }
    return;
  }
  if (how == plan::prepare) {
    if (PQsendPrepare(conn_, name.c_str(), s.sql.c_str(), n, nullptr) == 0) fail("send prepare");
    // Known at once, so that a second use in this pipeline goes by name;
    // forgotten again if the server rejects the Parse.
    statements_.add(name);
    parsed = name;
  }
  if (PQsendQueryPrepared(conn_, name.c_str(), n, values.data(), nullptr, nullptr, 0) == 0) fail("send query");
}

}  // namespace bakewind::pg
