// pg::migrate: once, in order, concurrently safe, refusing newer schemas.

#include "pg/errors.hpp"
#include "pg/migrate.hpp"
#include "pg_fixture.hpp"

#include <array>
#include <thread>

namespace bakewind::pg_test {
namespace {

using migrate_test = pg_test;

TEST_F(migrate_test, bundled_migrations_are_embedded_in_version_order) {
  const auto all = pg::bundled_migrations();
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all[0].version, 1);
  EXPECT_EQ(all[0].name, "0001_init");
  EXPECT_NE(all[0].sql.find("CREATE TABLE users"), std::string_view::npos);
  for (std::size_t i = 1; i < all.size(); ++i) EXPECT_LT(all[i - 1].version, all[i].version);
}

TEST_F(migrate_test, applies_each_migration_once_and_a_second_run_changes_nothing) {
  pg::pool pool(io_.get_executor(), url_, 2, 10s);
  const std::size_t bundled = pg::bundled_migrations().size();
  EXPECT_EQ(run(pg::migrate(pool)), bundled);
  const auto tables = test::sql(url_, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'");
  const auto history = test::sql(url_, "SELECT version, name, applied_at FROM schema_migrations ORDER BY version");
  EXPECT_EQ(history.size(), bundled);
  EXPECT_EQ(history[0][1], "0001_init");

  EXPECT_EQ(run(pg::migrate(pool)), 0u);
  EXPECT_EQ(test::sql(url_, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), tables);
  EXPECT_EQ(test::sql(url_, "SELECT version, name, applied_at FROM schema_migrations ORDER BY version"), history);
}

TEST_F(migrate_test, concurrent_runs_apply_each_migration_exactly_once) {
  // Slow migrations widen the window in which the two runs overlap.
  const std::array<pg::migration, 2> all{{
      {1, "0001_first", "CREATE TABLE first (x int); SELECT pg_sleep(0.3);"},
      {2, "0002_second", "CREATE TABLE second (y int); SELECT pg_sleep(0.2);"},
  }};
  std::size_t applied_a = 99, applied_b = 99;
  std::thread a([&] { applied_a = migrate_on_own_loop(url_, all); });
  std::thread b([&] { applied_b = migrate_on_own_loop(url_, all); });
  a.join();
  b.join();
  EXPECT_EQ(applied_a + applied_b, 2u);
  EXPECT_TRUE(applied_a == 0 || applied_b == 0);
  EXPECT_EQ(test::sql_value(url_, "SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_migrations"),
            "1,2");
}

TEST_F(migrate_test, a_database_newer_than_the_binary_is_refused) {
  pg::pool pool(io_.get_executor(), url_, 2, 10s);
  run(pg::migrate(pool));
  test::sql(url_, "INSERT INTO schema_migrations (version, name) VALUES (9999, '9999_future')");
  std::string message;
  try {
    run(pg::migrate(pool));
  } catch (const std::runtime_error& e) {
    message = e.what();
  }
  EXPECT_NE(message.find("9999"), std::string::npos) << message;
  EXPECT_NE(message.find("newer"), std::string::npos) << message;
}

TEST_F(migrate_test, a_failing_migration_is_rolled_back_and_the_earlier_ones_stay) {
  pg::pool pool(io_.get_executor(), url_, 2, 10s);
  const std::array<pg::migration, 2> broken{{
      {1, "0001_ok", "CREATE TABLE ok (x int);"},
      {2, "0002_bad", "CREATE TABLE half (y int); SELECT * FROM nowhere;"},
  }};
  EXPECT_THROW(run(pg::migrate(pool, broken)), pg::query_error);
  EXPECT_EQ(test::sql_value(url_, "SELECT string_agg(version::text, ',') FROM schema_migrations"), "1");
  EXPECT_EQ(test::sql_value(url_, "SELECT count(*) FROM pg_tables WHERE tablename = 'half'"), "0");
  EXPECT_EQ(test::sql_value(url_, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"), "0");

  const std::array<pg::migration, 2> fixed{{
      {1, "0001_ok", "CREATE TABLE ok (x int);"},
      {2, "0002_bad", "CREATE TABLE half (y int);"},
  }};
  EXPECT_EQ(run(pg::migrate(pool, fixed)), 1u);
}

TEST_F(migrate_test, refresh_tokens_used_or_revoked_before_0003_are_recorded_as_revoked_by_it) {
  pg::pool pool(io_.get_executor(), url_, 2, 10s);
  const auto all = pg::bundled_migrations();
  ASSERT_GE(all.size(), 3u);
  ASSERT_EQ(all[2].name, "0003_refresh_revocations");
  EXPECT_EQ(run(pg::migrate(pool, all.subspan(0, 2))), 2u);
  test::sql(url_, "INSERT INTO bakeries (id, name) VALUES ('00000000-0000-4000-8000-000000000001', 'Crumb')");
  test::sql(url_,
            "INSERT INTO users (id, bakery_id, email, password_hash, name, role) VALUES "
            "('00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000001', 'a@b.c', 'h', 'n', "
            "'owner')");
  const std::string user = "'00000000-0000-4000-8000-000000000002'";
  const std::string family = "'00000000-0000-4000-8000-000000000003'";
  test::sql(url_, "INSERT INTO refresh_tokens (jti, family_id, user_id, expires_at, used_at, revoked_at) VALUES "
                  "('live', " + family + ", " + user + ", now() + interval '1 day', NULL, NULL), "
                  "('used', " + family + ", " + user + ", now() + interval '1 day', now(), NULL), "
                  "('revoked', " + family + ", " + user + ", now() + interval '1 day', NULL, now()), "
                  "('used_expired', " + family + ", " + user + ", now() - interval '1 day', now(), NULL)");
  test::sql(url_, "INSERT INTO revoked_tokens (jti, user_id, expires_at) VALUES ('access', " + user +
                      ", now() + interval '1 hour')");

  EXPECT_EQ(run(pg::migrate(pool)), all.size() - 2);
  const auto rows = test::sql(url_, "SELECT jti, refresh::text, expires_at > now() FROM revoked_tokens ORDER BY jti");
  const std::vector<std::vector<std::string>> expected{
      {"access", "false", "t"}, {"revoked", "true", "t"}, {"used", "true", "t"}};
  EXPECT_EQ(rows, expected);
}

}  // namespace
}  // namespace bakewind::pg_test
