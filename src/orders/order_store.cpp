#include "orders/order_store.hpp"

#include "core/clock.hpp"

namespace bakewind::orders {

namespace asio = boost::asio;

namespace {

// The columns of `order` of a row `o`, timestamps as API.md prints them.
#define BW_ISO(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
constexpr const char* order_columns =
    "o.id::text, o.bakery_id::text, o.customer_name, o.items::text, o.total_cents, o.status, " BW_ISO(
        "o.due_at") ", o.notes, o.version, o.created_by::text, " BW_ISO("o.created_at") ", " BW_ISO("o.updated_at") ", "
    "(extract(epoch FROM o.created_at) * 1000)::bigint";
#undef BW_ISO

order order_from(const pg::result& r, std::size_t row) {
  order o;
  o.id.assign(r.value(row, 0));
  o.bakery_id.assign(r.value(row, 1));
  o.customer_name.assign(r.value(row, 2));
  o.items = items_from_json(r.value(row, 3));
  o.total_cents = r.integer(row, 4);
  o.status.assign(r.value(row, 5));
  if (const auto due = r.optional_value(row, 6)) o.due_at.emplace(*due);
  o.notes.assign(r.value(row, 7));
  o.version = r.integer(row, 8);
  o.created_by.assign(r.value(row, 9));
  o.created_at.assign(r.value(row, 10));
  o.updated_at.assign(r.value(row, 11));
  o.created_ms = r.integer(row, 12);
  return o;
}

std::optional<order> first(const pg::result& r) {
  if (r.rows() == 0) return std::nullopt;
  return order_from(r, 0);
}

// PostgreSQL parses this text exactly (a float of ms would not be).
std::optional<std::string> timestamp_text(const std::optional<long long>& ms) {
  if (!ms) return std::nullopt;
  return core::iso8601_ms(*ms);
}

}  // namespace

asio::awaitable<void> order_store::add_sample(std::string bakery_id, std::string user_id, sample s) {
  const auto params = pg::params(bakery_id, s.customer, s.items, s.total_cents, s.status, user_id, s.due_in_hours);
  // Due on the hour, relative to now, so the "Due" column a newcomer looks
  // at first reads like a working day whenever the demo is loaded.
  co_await pg_.query(
      "INSERT INTO orders (bakery_id, customer_name, items, total_cents, status, created_by, due_at) "
      "VALUES ($1::uuid, $2, $3::jsonb, $4, $5, $6::uuid, date_trunc('hour', now()) + make_interval(hours => $7))",
      params);
}

asio::awaitable<order> order_store::create(std::string bakery_id, std::string user_id, new_order o) {
  const std::string sql =
      "INSERT INTO orders AS o (bakery_id, customer_name, items, total_cents, due_at, notes, created_by) "
      "VALUES ($1::uuid, $2, $3::jsonb, $4::bigint, $5::timestamptz, $6, $7::uuid) RETURNING " +
      std::string(order_columns);
  const auto params = pg::params(bakery_id, o.customer_name, items_json(o.items), total_of(o.items),
                                 timestamp_text(o.due_ms), o.notes, user_id);
  pg::result r = co_await pg_.query(sql, params);
  co_return order_from(r, 0);
}

asio::awaitable<std::optional<order>> order_store::find(std::string id, std::string bakery_id) {
  const std::string sql =
      "SELECT " + std::string(order_columns) + " FROM orders o WHERE o.id = $1::uuid AND o.bakery_id = $2::uuid";
  const auto params = pg::params(id, bakery_id);
  pg::result r = co_await pg_.query(sql, params);
  co_return first(r);
}

asio::awaitable<page> order_store::list(std::string bakery_id, std::optional<std::string> status, std::size_t limit,
                                        std::optional<page_position> after) {
  // One statement per shape, so that each matches its index
  // (bakery_id[, status], created_at DESC, id DESC) as it stands.
  std::string sql = "SELECT " + std::string(order_columns) + " FROM orders o WHERE o.bakery_id = $1::uuid";
  std::vector<pg::param> params;
  params.emplace_back(bakery_id);
  if (status) {
    params.emplace_back(*status);
    sql += " AND o.status = $" + std::to_string(params.size());
  }
  if (after) {
    params.emplace_back(*timestamp_text(after->created_ms));
    sql += " AND (o.created_at, o.id) < ($" + std::to_string(params.size()) + "::timestamptz, ";
    params.emplace_back(after->id);
    sql += "$" + std::to_string(params.size()) + "::uuid)";
  }
  // One more than asked: whether there is a next page.
  params.emplace_back(static_cast<long long>(limit + 1));
  sql += " ORDER BY o.created_at DESC, o.id DESC LIMIT $" + std::to_string(params.size());
  pg::result r = co_await pg_.query(sql, params);
  page out;
  const std::size_t shown = std::min(r.rows(), limit);
  out.items.reserve(shown);
  for (std::size_t i = 0; i < shown; ++i) out.items.push_back(order_from(r, i));
  if (r.rows() > limit && !out.items.empty()) {
    out.next = page_position{out.items.back().created_ms, out.items.back().id};
  }
  co_return out;
}

asio::awaitable<std::optional<order>> order_store::update_locked(std::string id, std::string bakery_id,
                                                                 std::string user_id, std::string session_id,
                                                                 order_changes changes) {
  // The lock check and the write are one statement (API.md): a holder whose
  // lock expired or was taken over matches no row.
  const std::string sql =
      "UPDATE orders o SET customer_name = COALESCE($5, o.customer_name), "
      "items = COALESCE($6::jsonb, o.items), total_cents = COALESCE($7::bigint, o.total_cents), "
      "status = COALESCE($8, o.status), "
      "due_at = CASE WHEN $9::boolean THEN $10::timestamptz ELSE o.due_at END, "
      "notes = COALESCE($11, o.notes), version = o.version + 1, "
      "updated_at = date_trunc('milliseconds', now()) "
      "WHERE o.id = $1::uuid AND o.bakery_id = $2::uuid AND EXISTS (SELECT 1 FROM order_locks l "
      "WHERE l.order_id = o.id AND l.user_id = $3::uuid AND l.session_id = $4 AND l.expires_at > now()) "
      "RETURNING " +
      std::string(order_columns);
  std::optional<std::string> items;
  std::optional<long long> total;
  if (changes.items) {
    items = items_json(*changes.items);
    total = total_of(*changes.items);
  }
  const auto params = pg::params(id, bakery_id, user_id, session_id, changes.customer_name, items, total,
                                 changes.status, changes.set_due, timestamp_text(changes.due_ms), changes.notes);
  pg::result r = co_await pg_.query(sql, params);
  co_return first(r);
}

asio::awaitable<bool> order_store::exists(std::string id, std::string bakery_id) {
  const auto params = pg::params(id, bakery_id);
  pg::result r = co_await pg_.query("SELECT 1 FROM orders WHERE id = $1::uuid AND bakery_id = $2::uuid", params);
  co_return r.rows() == 1;
}

asio::awaitable<bool> order_store::remove(std::string id, std::string bakery_id) {
  const auto params = pg::params(id, bakery_id);
  pg::result r = co_await pg_.query("DELETE FROM orders WHERE id = $1::uuid AND bakery_id = $2::uuid", params);
  co_return r.affected_rows() == 1;
}

}  // namespace bakewind::orders
