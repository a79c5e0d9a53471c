#include "auth/users.hpp"

#include "pg/errors.hpp"

namespace bakewind::auth {

namespace asio = boost::asio;

namespace {

// The columns of `user`, timestamps as API.md prints them.
constexpr const char* user_columns =
    "id::text, email, name, role, bakery_id::text, "
    "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";

user user_from(const pg::result& r, std::size_t row) {
  return user{std::string(r.value(row, 0)), std::string(r.value(row, 1)), std::string(r.value(row, 2)),
              std::string(r.value(row, 3)), std::string(r.value(row, 4)), std::string(r.value(row, 5))};
}

bool is_email_taken(const pg::query_error& e) {
  return e.sqlstate() == pg::sqlstate::unique_violation;
}

}  // namespace

asio::awaitable<std::optional<user>> users_repository::create_owner(std::string email, std::string password_hash,
                                                                    std::string name, std::string bakery_name) {
  const std::string insert_user = std::string(
                                      "INSERT INTO users (bakery_id, email, password_hash, name, role) "
                                      "VALUES ($1, $2, $3, $4, 'owner') RETURNING ") +
                                  user_columns;
  try {
    auto insert_both = [&](pg::connection& c) -> asio::awaitable<user> {
      const auto bakery_params = pg::params(bakery_name);
      pg::result bakery = co_await c.query("INSERT INTO bakeries (name) VALUES ($1) RETURNING id::text", bakery_params);
      const auto user_params = pg::params(std::string(bakery.value(0, 0)), email, password_hash, name);
      pg::result row = co_await c.query(insert_user, user_params);
      co_return user_from(row, 0);
    };
    auto created = co_await pool_.transaction(std::move(insert_both));
    co_return created;
  } catch (const pg::query_error& e) {
    if (!is_email_taken(e)) throw;
  }
  co_return std::nullopt;
}

asio::awaitable<std::optional<user>> users_repository::create_member(std::string bakery_id, std::string email,
                                                                     std::string password_hash, std::string name,
                                                                     std::string role) {
  const std::string sql = std::string(
                              "INSERT INTO users (bakery_id, email, password_hash, name, role) "
                              "VALUES ($1, $2, $3, $4, $5) RETURNING ") +
                          user_columns;
  try {
    const auto params = pg::params(bakery_id, email, password_hash, name, role);
    pg::result row = co_await pool_.query(sql, params);
    co_return user_from(row, 0);
  } catch (const pg::query_error& e) {
    if (!is_email_taken(e)) throw;
  }
  co_return std::nullopt;
}

asio::awaitable<std::optional<credentials>> users_repository::find_by_email(std::string email) {
  const std::string sql =
      std::string("SELECT ") + user_columns + ", password_hash FROM users WHERE lower(email) = lower($1)";
  const auto params = pg::params(email);
  pg::result r = co_await pool_.query(sql, params);
  if (r.rows() == 0) co_return std::nullopt;
  co_return credentials{user_from(r, 0), std::string(r.value(0, 6))};
}

asio::awaitable<std::optional<user>> users_repository::find_by_id(std::string id) {
  const std::string sql = std::string("SELECT ") + user_columns + " FROM users WHERE id = $1::uuid";
  const auto params = pg::params(id);
  pg::result r = co_await pool_.query(sql, params);
  if (r.rows() == 0) co_return std::nullopt;
  co_return user_from(r, 0);
}

asio::awaitable<std::vector<user>> users_repository::list_bakery(std::string bakery_id) {
  const std::string sql =
      std::string("SELECT ") + user_columns + " FROM users WHERE bakery_id = $1::uuid ORDER BY created_at, id";
  const auto params = pg::params(bakery_id);
  pg::result r = co_await pool_.query(sql, params);
  co_return pg::all_rows(r, user_from);
}

}  // namespace bakewind::auth
