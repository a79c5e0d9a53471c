// Lone statements and scripts on a pg::connection.

#include "pg/connection.hpp"
#include "pg/detail/operation.hpp"
#include "pg/errors.hpp"

#include <libpq-fe.h>

#include <utility>

namespace bakewind::pg {

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

asio::awaitable<result> connection::run_query(std::string sql, std::vector<param> params, time_point deadline) {
  operation op(*this, stats_);
  const std::vector<const char*> values = detail::values_of(params);
  // In a transaction an error would abort it, so no name lookups there;
  // besides, a pooler pins a transaction to one server connection only for
  // its length, so a name prepared earlier may be missing.
  const bool named = statements_.enabled() && !in_transaction();
  reply answer;
  if (named) {
    answer = co_await run_prepared(sql, values, deadline);
  } else {
    answer = co_await run_unnamed(sql, values, deadline);
  }
  // Rejected or not, the exchange finished: the connection stays usable.
  op.complete();
  if (answer.rejected) throw *answer.rejected;
  co_return std::move(answer.rows);
}

asio::awaitable<connection::reply> connection::run_unnamed(const std::string& sql,
                                                           const std::vector<const char*>& values,
                                                           time_point deadline) {
  if (PQsendQueryParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                        nullptr, 0) == 0) {
    fail("send query");
  }
  co_await flush(deadline);
  reply answer = co_await collect(deadline);
  co_return answer;
}

asio::awaitable<void> connection::run_script(std::string sql, time_point deadline) {
  // Untimed: a script (a migration) is not one of the statements the latency figures describe.
  operation op(*this, nullptr);
  if (PQsendQuery(conn_, sql.c_str()) == 0) fail("send script");
  co_await flush(deadline);
  const reply last = co_await collect(deadline);
  op.complete();
  if (last.rejected) throw *last.rejected;
}

}  // namespace bakewind::pg
