#pragma once
// What every pg test shares: the suite's PostgreSQL, a fresh database per
// test, a local io_context and a way to run coroutines on it.

#include "pg/connection.hpp"
#include "pg/migrate.hpp"
#include "pg/pool.hpp"
#include "support/postgres_server.hpp"
#include "support/run.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstddef>
#include <span>
#include <string>

namespace bakewind::pg_test {

namespace asio = boost::asio;
using namespace std::chrono_literals;

/// A deadline `d` from now.
inline pg::time_point in(std::chrono::milliseconds d) { return std::chrono::steady_clock::now() + d; }

/// A fresh database on the shared server for each test.
class pg_test : public ::testing::Test {
 protected:
  pg_test() : url_(test::postgres_server::shared().fresh_database("pg")) {}

  /// Runs a coroutine on io_ to completion (rethrows what it throws).
  template <class T>
  T run(asio::awaitable<T> task) {
    return test::run(io_, std::move(task));
  }

  asio::io_context io_;
  std::string url_;
};

using test::sleep_for;

/// Migrates the database at `url` with `all` on an io_context of its own
/// (so that it can run on a thread of its own); returns how many it applied.
inline std::size_t migrate_on_own_loop(const std::string& url, std::span<const pg::migration> all) {
  asio::io_context io;
  pg::pool pool(io.get_executor(), url, 2, std::chrono::seconds(20));
  return test::run(io, pg::migrate(pool, all));
}

/// Milliseconds since `start`.
inline long long ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace bakewind::pg_test
