#include "app/order_routes.hpp"

#include "app/lock_routes.hpp"
#include "app/request_bodies.hpp"
#include "app/route_support.hpp"
#include "core/json.hpp"
#include "http/response.hpp"

namespace bakewind::app {

namespace {

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

// `o` as the body: written straight from the order (orders::append_json),
// the same bytes as json_response(status, orders::to_json(o)) without the object.
response order_response(unsigned status, const orders::order& o) {
  response r;
  r.status = status;
  orders::append_json(r.body, o);
  return r;
}

asio::awaitable<response> do_create(request& req, auth_context& auth, orders::order_service& orders) {
  const auto who = co_await authenticate(req, auth);
  auto o = read_new_order(req);
  const auto created = co_await orders.create(who.bakery_id, who.user_id, std::move(o));
  co_return order_response(201, created);
}

asio::awaitable<response> do_list(request& req, auth_context& auth, orders::order_service& orders) {
  auto budget = request_budget(auth);
  const auto who = co_await authenticate(req, auth, budget);
  auto q = read_list_query(req);
  const auto found = co_await orders.list(who.bakery_id, std::move(q.status), q.limit, std::move(q.after), budget);
  // {"items": [order], "nextCursor"}, the bytes json_response would write.
  response r;
  core::object_writer w(r.body);
  std::string& items = w.member("items");
  items += '[';
  for (std::size_t i = 0; i < found.items.size(); ++i) {
    if (i > 0) items += ',';
    orders::append_json(items, found.items[i]);
  }
  items += ']';
  std::optional<std::string> next;
  if (found.next) next = encode_cursor(*found.next);
  w.string_or_null("nextCursor", next).close();
  co_return r;
}

asio::awaitable<response> do_get(request& req, auth_context& auth, orders::order_service& orders) {
  auto budget = request_budget(auth);
  const auto who = co_await authenticate(req, auth, budget);
  auto id = order_id_of(req);
  const auto found = co_await orders.get(who.bakery_id, std::move(id), budget);
  if (!found) throw order_not_found();
  co_return order_response(200, *found);
}

asio::awaitable<response> do_update(request& req, auth_context& auth, orders::order_service& orders) {
  auto budget = request_budget(auth);
  const auto who = co_await authenticate(req, auth, budget);
  auto id = order_id_of(req);
  auto changes = read_order_changes(req);
  auto session = lock_session_of(req);
  const auto result = co_await orders.update(who.bakery_id, std::move(id), who.user_id, std::move(session),
                                             std::move(changes), budget);
  using enum orders::update_outcome;
  if (result.outcome == not_found) throw order_not_found();
  if (result.outcome == lock_not_held) co_return lock_conflict("Order lock not held", result.lock);
  co_return order_response(200, *result.updated);
}

asio::awaitable<response> do_delete(request& req, auth_context& auth, orders::order_service& orders) {
  auto budget = request_budget(auth);
  const auto who = co_await authenticate(req, auth, budget);
  require_manager(who);
  auto id = order_id_of(req);
  const bool removed = co_await orders.remove(who.bakery_id, std::move(id), budget);
  if (!removed) throw order_not_found();
  co_return http::empty_response(204);
}

}  // namespace

void add_order_routes(http::router& routes, auth_context& auth, orders::order_service& orders) {
  routes.add(method::post, "/api/v1/orders", bind_route(do_create, auth, orders));
  routes.add(method::get, "/api/v1/orders", bind_route(do_list, auth, orders));
  routes.add(method::get, "/api/v1/orders/{id}", bind_route(do_get, auth, orders));
  routes.add(method::patch, "/api/v1/orders/{id}", bind_route(do_update, auth, orders));
  routes.add(method::del, "/api/v1/orders/{id}", bind_route(do_delete, auth, orders));
  routes.name_service("/api/v1/orders", "Orders are");
}

}  // namespace bakewind::app
