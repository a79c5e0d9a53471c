#include "pg/migrate.hpp"

#include "core/log.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <exception>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace bakewind::pg {

namespace {

using std::chrono::steady_clock;

// "bakewind" in ASCII: one fixed key shared by every process of this service.
constexpr std::int64_t migration_lock_key = 0x62616b6577696e64;
constexpr std::chrono::seconds lock_wait{60};
constexpr std::chrono::minutes migration_timeout{10};

constexpr std::string_view create_history = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version     integer PRIMARY KEY,
  name        text NOT NULL,
  applied_at  timestamptz NOT NULL DEFAULT now()
))sql";

std::vector<migration> in_order(std::span<const migration> all) {
  std::vector<migration> sorted(all.begin(), all.end());
  std::sort(sorted.begin(), sorted.end(), [](const migration& a, const migration& b) { return a.version < b.version; });
  for (std::size_t i = 1; i < sorted.size(); ++i) {
    if (sorted[i].version == sorted[i - 1].version) {
      throw std::runtime_error("two migrations have version " + std::to_string(sorted[i].version));
    }
  }
  return sorted;
}

std::set<int> versions_in(const result& rows) {
  std::set<int> versions;
  for (std::size_t i = 0; i < rows.rows(); ++i) {
    const std::string_view text = rows.value(i, 0);
    int v = 0;
    std::from_chars(text.data(), text.data() + text.size(), v);
    versions.insert(v);
  }
  return versions;
}

// What one run did inside its transaction: the migrations applied (not yet
// committed) and, when one was rejected, its error (it is rolled back to its
// savepoint; the earlier ones are committed before the error is rethrown).
struct run_outcome {
  std::vector<const migration*> applied;
  std::exception_ptr rejected;
};

// Runs inside the caller's transaction, which holds the migration lock: each
// missing migration behind its own savepoint, with its schema_migrations row.
asio::awaitable<run_outcome> apply_missing(connection& c, const std::vector<migration>& wanted,
                                           std::chrono::milliseconds timeout) {
  result created = co_await c.query(create_history, {}, steady_clock::now() + timeout);
  result rows = co_await c.query("SELECT version FROM schema_migrations ORDER BY version", {},
                                 steady_clock::now() + timeout);
  const std::set<int> applied = versions_in(rows);
  const int newest_known = wanted.empty() ? 0 : wanted.back().version;
  if (!applied.empty() && *applied.rbegin() > newest_known) {
    throw std::runtime_error("database schema is at migration " + std::to_string(*applied.rbegin()) +
                             " but this binary knows only up to " + std::to_string(newest_known) +
                             "; refusing to run against a newer schema");
  }

  run_outcome out;
  for (const migration& m : wanted) {
    if (applied.contains(m.version)) continue;
    const auto started = steady_clock::now();
    result saved = co_await c.query("SAVEPOINT migration", {}, started + timeout);
    // Only a rejected statement is caught: on a timeout or a lost connection
    // the session is gone, and with it the whole run's transaction.
    try {
      co_await c.execute_script(m.sql, started + migration_timeout);
      result recorded = co_await c.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                                         params(m.version, m.name), steady_clock::now() + timeout);
    } catch (const query_error&) {
      out.rejected = std::current_exception();
    }
    if (out.rejected) {
      result undone = co_await c.query("ROLLBACK TO SAVEPOINT migration", {}, steady_clock::now() + timeout);
      co_return out;
    }
    result released = co_await c.query("RELEASE SAVEPOINT migration", {}, steady_clock::now() + timeout);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(steady_clock::now() - started);
    core::log_debug("migration ran", {{"version", m.version}, {"name", m.name}, {"ms", ms.count()}});
    out.applied.push_back(&m);
  }
  co_return out;
}

}  // namespace

asio::awaitable<std::size_t> migrate(pool& p, std::span<const migration> all) {
  const std::vector<migration> wanted = in_order(all);
  const std::chrono::milliseconds timeout = p.timeout();
  pooled_connection c = co_await p.acquire();
  const std::vector<param> key = params(migration_lock_key);

  // One transaction for the whole run, holding a transaction-level advisory
  // lock: it is released by COMMIT or ROLLBACK (or a dropped session) on the
  // server connection that took it, so this is safe behind PgBouncer in
  // transaction pooling mode, where a session lock could be released on
  // another server connection, or never.
  run_outcome out;
  std::exception_ptr failure;
  try {
    result begun = co_await c->query("BEGIN", {}, steady_clock::now() + timeout);
    result locked = co_await c->query("SELECT pg_advisory_xact_lock($1)", key, steady_clock::now() + lock_wait);
    out = co_await apply_missing(*c, wanted, timeout);
    result committed = co_await c->query("COMMIT", {}, steady_clock::now() + timeout);
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    // Dropping the session rolls back the open transaction and frees the lock, whatever state it is in.
    c->mark_broken();
    std::rethrow_exception(failure);
  }
  for (const migration* m : out.applied) {
    core::log_info("migration applied", {{"version", m->version}, {"name", m->name}});
  }
  if (out.rejected) std::rethrow_exception(out.rejected);
  if (out.applied.empty()) {
    core::log_info("database schema up to date", {{"version", wanted.empty() ? 0 : wanted.back().version}});
  }
  co_return out.applied.size();
}

}  // namespace bakewind::pg
