#pragma once
// Schema migrations: numbered SQL files from migrations/, embedded in the
// binary at build time, applied in order exactly once per database.

#include "pg/pool.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <span>
#include <string_view>

namespace bakewind::pg {

/// One migration file. The views point at static storage (or the caller's).
struct migration {
  /// The file name's leading number: "0001_init.sql" is version 1.
  int version;
  /// The file name without ".sql", e.g. "0001_init".
  std::string_view name;
  /// The file's SQL; must not contain its own BEGIN/COMMIT.
  std::string_view sql;
};

/// The migrations/*.sql files this binary was built with, by version.
std::span<const migration> bundled_migrations();

/// Applies every migration of `all` that the database lacks, in version
/// order, and returns how many it applied now. The whole run is one
/// transaction holding a transaction-level advisory lock (waiting up to 60 s
/// for it), so processes starting together migrate exactly once, and it
/// keeps no session state: safe behind PgBouncer in transaction pooling
/// mode. Each migration runs behind its own savepoint together with its
/// schema_migrations row. Throws std::runtime_error when the database has a
/// version newer than any in `all` (a newer binary migrated it); query_error
/// when a migration fails (that migration is rolled back, the ones before it
/// in this run are committed); core::unavailable_error when PostgreSQL
/// cannot be reached or times out (the whole run is rolled back).
/// Migrations of one run share a transaction: a migration must not rely on
/// an enum value added by an earlier one (ALTER TYPE ... ADD VALUE) nor use
/// statements that cannot run in a transaction (CREATE INDEX CONCURRENTLY).
asio::awaitable<std::size_t> migrate(pool& p, std::span<const migration> all = bundled_migrations());

}  // namespace bakewind::pg
