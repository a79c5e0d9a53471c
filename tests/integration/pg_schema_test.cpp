// migrations/0001_init.sql: the constraints the API relies on.

#include "pg/errors.hpp"
#include "pg/migrate.hpp"
#include "pg_fixture.hpp"

namespace bakewind::pg_test {
namespace {

class schema_test : public pg_test {
 protected:
  void SetUp() override {
    pool_.emplace(io_.get_executor(), url_, 2, 5s);
    run(pg::migrate(*pool_));
    bakery_ = first(pool_->query("INSERT INTO bakeries (name) VALUES ('Crumb') RETURNING id"));
    owner_ = first(insert_user("Owner@Example.com", "owner"));
  }

  asio::awaitable<pg::result> insert_user(std::string email, std::string role) {
    return pool_->query("INSERT INTO users (bakery_id, email, password_hash, name, role) "
                        "VALUES ($1, $2, 'h', 'n', $3) RETURNING id",
                        pg::params(bakery_, email, role));
  }

  asio::awaitable<pg::result> insert_order() {
    return pool_->query("INSERT INTO orders (bakery_id, customer_name, items, total_cents, created_by) "
                        "VALUES ($1, 'Ann', '[]', 0, $2) RETURNING id",
                        pg::params(bakery_, owner_));
  }

  std::string first(asio::awaitable<pg::result> task) { return std::string(run(std::move(task)).value(0, 0)); }

  std::string sqlstate_of(asio::awaitable<pg::result> task) {
    try {
      run(std::move(task));
    } catch (const pg::query_error& e) {
      return e.sqlstate();
    }
    return "none";
  }

  std::optional<pg::pool> pool_;
  std::string bakery_, owner_;
};

TEST_F(schema_test, email_is_unique_whatever_its_case) {
  EXPECT_EQ(sqlstate_of(insert_user("owner@example.COM", "staff")), pg::sqlstate::unique_violation);
}

TEST_F(schema_test, roles_and_statuses_outside_the_lists_are_refused) {
  EXPECT_EQ(sqlstate_of(insert_user("x@example.com", "boss")), pg::sqlstate::check_violation);
  const std::string order = first(insert_order());
  EXPECT_EQ(sqlstate_of(pool_->query("UPDATE orders SET status = 'lost' WHERE id = $1", pg::params(order))),
            pg::sqlstate::check_violation);
}

TEST_F(schema_test, a_new_order_is_pending_at_version_one_with_millisecond_timestamps) {
  const std::string order = first(insert_order());
  const auto row = test::sql(url_,
                             "SELECT status, version, notes, due_at IS NULL, "
                             "created_at = date_trunc('milliseconds', created_at) FROM orders WHERE id = '" +
                                 order + "'");
  EXPECT_EQ(row.at(0), (std::vector<std::string>{"pending", "1", "", "t", "t"}));
}

TEST_F(schema_test, an_order_has_at_most_one_lock_row_and_it_goes_with_the_order) {
  const std::string order = first(insert_order());
  auto lock = [&](std::string session) {
    return pool_->query("INSERT INTO order_locks (order_id, bakery_id, user_id, session_id, expires_at) "
                        "VALUES ($1, $2, $3, $4, now() + interval '300 seconds')",
                        pg::params(order, bakery_, owner_, session));
  };
  EXPECT_EQ(run(lock("tab-1")).affected_rows(), 1u);
  EXPECT_EQ(sqlstate_of(lock("tab-2")), pg::sqlstate::unique_violation);
  run(pool_->query("DELETE FROM orders WHERE id = $1", pg::params(order)));
  EXPECT_EQ(test::sql_value(url_, "SELECT count(*) FROM order_locks"), "0");
}

TEST_F(schema_test, orders_must_reference_a_user_and_a_bakery) {
  EXPECT_EQ(sqlstate_of(pool_->query("INSERT INTO orders (bakery_id, customer_name, items, total_cents, created_by) "
                                     "VALUES ($1, 'Ann', '[]', 0, gen_random_uuid())",
                                     pg::params(bakery_))),
            pg::sqlstate::foreign_key_violation);
}

TEST_F(schema_test, revoked_tokens_are_keyed_by_jti) {
  auto revoke = [&] {
    return pool_->query("INSERT INTO revoked_tokens (jti, user_id, expires_at) VALUES ('j1', $1, now())",
                        pg::params(owner_));
  };
  EXPECT_EQ(run(revoke()).affected_rows(), 1u);
  EXPECT_EQ(sqlstate_of(revoke()), pg::sqlstate::unique_violation);
}

}  // namespace
}  // namespace bakewind::pg_test
