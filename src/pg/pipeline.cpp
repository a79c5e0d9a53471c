// Statements pipelined as one transaction on a pg::connection (libpq
// pipeline mode, one Sync).

#include "pg/connection.hpp"
#include "pg/detail/operation.hpp"
#include "pg/errors.hpp"

#include <libpq-fe.h>

#include <stdexcept>
#include <utility>

namespace bakewind::pg {

asio::awaitable<std::vector<result>> connection::pipeline(std::vector<statement> statements, time_point deadline) {
  operation op(*this, stats_);
  if (in_transaction()) throw std::logic_error("pg::connection::pipeline inside a transaction block");
  if (PQenterPipelineMode(conn_) == 0) fail("enter pipeline mode");
  // Per statement: the name it is first prepared under here, if it is.
  std::vector<std::string> parsed(statements.size());
  for (std::size_t i = 0; i < statements.size(); ++i) {
    send_in_pipeline(statements[i], detail::values_of(statements[i].params), parsed[i]);
  }
  if (PQpipelineSync(conn_) == 0) fail("send pipeline sync");
  co_await flush(deadline);

  // Whatever the server rejected, every command's results (or its "aborted"
  // marker) and the Sync's come back: read them all to stay in step with the
  // protocol. The first rejection tells why.
  std::vector<result> results;
  results.reserve(statements.size());
  std::optional<query_error> rejected;
  for (const std::string& name : parsed) {
    reply answer = co_await collect_in_pipeline(name, deadline);
    results.push_back(std::move(answer.rows));
    if (answer.rejected && !rejected) rejected = std::move(answer.rejected);
  }
  co_await end_pipeline(deadline);
  op.complete();
  if (rejected) throw *rejected;
  co_return results;
}

asio::awaitable<connection::reply> connection::collect_in_pipeline(const std::string& parsed, time_point deadline) {
  std::optional<query_error> parse_rejected;
  if (!parsed.empty()) {
    reply parse = co_await collect(deadline);
    // Prepared statements are not transactional: a Parse that ran stays,
    // even when a later command fails; one that did not is no name of ours.
    if (parse.rejected) statements_.forget(parsed);
    parse_rejected = std::move(parse.rejected);
  }
  reply answer = co_await collect(deadline);
  // A rejected Parse is why its statement failed (it was skipped as aborted).
  if (parse_rejected) answer.rejected = std::move(parse_rejected);
  co_return answer;
}

asio::awaitable<void> connection::end_pipeline(time_point deadline) {
  co_await until_result(deadline);
  pg_result* raw = PQgetResult(conn_);
  const result sync(raw);
  if (raw == nullptr || PQresultStatus(raw) != PGRES_PIPELINE_SYNC) fail("pipeline out of step");
  if (PQexitPipelineMode(conn_) == 0) fail("leave pipeline mode");
}

}  // namespace bakewind::pg
