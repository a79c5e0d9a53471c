#include "app/order_routes.hpp"

#include "app/body.hpp"
#include "app/lock_routes.hpp"
#include "auth/base64url.hpp"
#include "core/ids.hpp"
#include "http/response.hpp"

#include <cctype>

namespace bakewind::app {

namespace asio = boost::asio;
using http::method;
using http::request;
using http::response;

namespace {

constexpr std::size_t max_name = 200;
constexpr std::size_t max_notes = 2000;
constexpr std::size_t max_items = 100;
constexpr long long max_quantity = 10000;
constexpr long long max_unit_price = 100'000'000;
constexpr std::size_t default_limit = 50;
constexpr std::size_t max_limit = 100;

std::vector<orders::item> items_of(body_fields& body) {
  std::vector<orders::item> items;
  body.objects("items", 1, max_items, [&](body_fields& item, std::size_t) {
    auto product = item.text("product", 1, max_name);
    const auto quantity = item.integer("quantity", 1, max_quantity);
    const auto price = item.integer("unitPriceCents", 0, max_unit_price);
    items.push_back(orders::item{std::move(product), quantity, price});
  });
  return items;
}

std::optional<std::string> status_of(body_fields& body) {
  return body.optional_one_of("status", {"pending", "confirmed", "in_production", "ready", "delivered", "cancelled"});
}

orders::new_order new_order_of(const request& req) {
  body_fields body(req);
  orders::new_order o;
  o.customer_name = body.text("customerName", 1, max_name);
  o.items = items_of(body);
  o.due_ms = body.nullable_date("dueAt").value;
  o.notes = body.optional_text("notes", 0, max_notes).value_or("");
  body.finish();
  return o;
}

orders::order_changes changes_of(const request& req) {
  if (req.json && !req.json->is_object()) throw http::http_error(400, boost::json::array{"body must be an object"});
  body_fields body(req);
  orders::order_changes c;
  c.customer_name = body.optional_text("customerName", 1, max_name);
  if (body.has("items")) c.items = items_of(body);
  c.status = status_of(body);
  const auto due = body.nullable_date("dueAt");
  c.set_due = due.given;
  c.due_ms = due.value;
  c.notes = body.optional_text("notes", 0, max_notes);
  body.finish();
  return c;
}

// The editor session of X-Lock-Session; nullopt when missing or malformed
// (then the caller holds no lock with it).
std::optional<std::string> lock_session_of(const request& req) {
  const auto header = req.header("X-Lock-Session");
  if (!header) return std::nullopt;
  try {
    return valid_session_id(header);
  } catch (const http::http_error&) {
    return std::nullopt;
  }
}

// A single-valued query parameter; 400 when repeated.
std::optional<std::string_view> single_query(const request& req, std::string_view name, boost::json::array& errors) {
  if (req.query_count(name) > 1) {
    errors.emplace_back(std::string(name) + " must be given at most once");
    return std::nullopt;
  }
  return req.query(name);
}

struct list_query {
  std::optional<std::string> status;
  std::size_t limit = default_limit;
  std::optional<orders::page_position> after;
};

list_query list_query_of(const request& req) {
  boost::json::array errors;
  list_query q;
  if (const auto status = single_query(req, "status", errors)) {
    if (orders::is_status(*status)) {
      q.status.emplace(*status);
    } else {
      errors.emplace_back(
          "status must be one of the following values: pending, confirmed, in_production, ready, delivered, "
          "cancelled");
    }
  }
  if (const auto limit = single_query(req, "limit", errors)) {
    std::size_t value = 0;
    bool ok = !limit->empty() && limit->size() <= 3;
    for (const char c : *limit) {
      ok = ok && c >= '0' && c <= '9';
      if (ok) value = value * 10 + static_cast<std::size_t>(c - '0');
    }
    if (ok && value >= 1 && value <= max_limit) {
      q.limit = value;
    } else {
      errors.emplace_back("limit must be an integer from 1 to 100");
    }
  }
  if (const auto cursor = single_query(req, "cursor", errors)) {
    q.after = decode_cursor(*cursor);
    if (!q.after) errors.emplace_back("cursor is not valid");
  }
  if (!errors.empty()) throw http::http_error(400, std::move(errors));
  return q;
}

asio::awaitable<response> do_create(request& req, auth_context& auth, orders::order_service& orders) {
  const auto who = co_await authenticate(req, auth);
  auto o = new_order_of(req);
  const auto created = co_await orders.create(who.bakery_id, who.user_id, std::move(o));
  co_return http::json_response(201, orders::to_json(created));
}

asio::awaitable<response> do_list(request& req, auth_context& auth, orders::order_service& orders) {
  const auto who = co_await authenticate(req, auth);
  auto q = list_query_of(req);
  const auto found = co_await orders.list(who.bakery_id, std::move(q.status), q.limit, std::move(q.after));
  boost::json::array items;
  items.reserve(found.items.size());
  for (const auto& o : found.items) items.push_back(orders::to_json(o));
  boost::json::object body{{"items", std::move(items)}};
  body["nextCursor"] = found.next ? boost::json::value(encode_cursor(*found.next)) : boost::json::value(nullptr);
  co_return http::json_response(200, body);
}

asio::awaitable<response> do_get(request& req, auth_context& auth, orders::order_service& orders) {
  const auto who = co_await authenticate(req, auth);
  auto id = order_id_of(req);
  const auto found = co_await orders.get(who.bakery_id, std::move(id));
  if (!found) throw http::http_error(404, "Order not found");
  co_return http::json_response(200, orders::to_json(*found));
}

asio::awaitable<response> do_update(request& req, auth_context& auth, orders::order_service& orders) {
  const auto who = co_await authenticate(req, auth);
  auto id = order_id_of(req);
  auto changes = changes_of(req);
  auto session = lock_session_of(req);
  const auto result =
      co_await orders.update(who.bakery_id, std::move(id), who.user_id, std::move(session), std::move(changes));
  switch (result.outcome) {
    case orders::update_outcome::updated:
      co_return http::json_response(200, orders::to_json(*result.updated));
    case orders::update_outcome::lock_not_held:
      co_return lock_conflict("Order lock not held", result.lock);
    case orders::update_outcome::not_found:
      break;
  }
  throw http::http_error(404, "Order not found");
}

asio::awaitable<response> do_delete(request& req, auth_context& auth, orders::order_service& orders) {
  const auto who = co_await authenticate(req, auth);
  require_manager(who);
  auto id = order_id_of(req);
  const bool removed = co_await orders.remove(who.bakery_id, std::move(id));
  if (!removed) throw http::http_error(404, "Order not found");
  co_return http::empty_response(204);
}

template <class F>
http::handler bind(auth_context& auth, orders::order_service& orders, F f) {
  return [&auth, &orders, f](request& req) { return f(req, auth, orders); };
}

}  // namespace

std::string encode_cursor(const orders::page_position& p) {
  return auth::base64url_encode(std::to_string(p.created_ms) + "|" + p.id);
}

std::optional<orders::page_position> decode_cursor(std::string_view cursor) {
  if (cursor.empty() || cursor.size() > 128) return std::nullopt;
  const auto text = auth::base64url_decode(cursor);
  if (!text) return std::nullopt;
  const auto bar = text->find('|');
  if (bar == std::string::npos || bar == 0 || bar > 16) return std::nullopt;
  long long ms = 0;
  for (std::size_t i = 0; i < bar; ++i) {
    const char c = (*text)[i];
    if (c < '0' || c > '9') return std::nullopt;
    ms = ms * 10 + (c - '0');
  }
  // Years up to 9999 only: every cursor stays a valid timestamp.
  constexpr long long last_ms = 253402300799999LL;
  const auto id = std::string_view(*text).substr(bar + 1);
  if (ms > last_ms || !core::is_uuid(id)) return std::nullopt;
  orders::page_position p{ms, std::string(id)};
  for (auto& c : p.id) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return p;
}

void add_order_routes(http::router& routes, auth_context& auth, orders::order_service& orders) {
  routes.add(method::post, "/api/v1/orders", bind(auth, orders, do_create));
  routes.add(method::get, "/api/v1/orders", bind(auth, orders, do_list));
  routes.add(method::get, "/api/v1/orders/{id}", bind(auth, orders, do_get));
  routes.add(method::patch, "/api/v1/orders/{id}", bind(auth, orders, do_update));
  routes.add(method::del, "/api/v1/orders/{id}", bind(auth, orders, do_delete));
}

}  // namespace bakewind::app
