#include "app/lock_routes.hpp"

#include "app/request_bodies.hpp"
#include "app/route_support.hpp"
#include "core/ids.hpp"
#include "http/response.hpp"

namespace bakewind::app {

namespace {

// The lock holder for the caller: its name goes into lockInfo.
asio::awaitable<locks::holder> holder_of(const auth::principal& who, auth_context& auth, std::string session_id) {
  const auto user = co_await auth::find_user(auth.users, auth.user_rows, who.user_id);
  if (!user) throw http::http_error(401, "Unauthorized");
  co_return locks::holder{who.user_id, user->name, who.bakery_id, std::move(session_id)};
}

asio::awaitable<response> do_acquire(request& req, auth_context& auth, locks::lock_service& locks) {
  const auto caller = co_await authenticate(req, auth);  // 401 before 404 and 400
  const auto order_id = order_id_of(req);
  auto session = read_lock_session(req);
  const auto who = co_await holder_of(caller, auth, std::move(session));
  const auto result = co_await locks.acquire(order_id, who);
  switch (result.outcome) {
    case locks::acquire_outcome::acquired:
      co_return http::json_response(201, locks::to_json(*result.current));
    case locks::acquire_outcome::reacquired:
      co_return http::json_response(200, locks::to_json(*result.current));
    case locks::acquire_outcome::conflict:
      co_return lock_conflict("Order is locked by another user", result.current);
    case locks::acquire_outcome::not_found:
      break;
  }
  throw http::http_error(404, "Order not found");
}

asio::awaitable<response> do_renew(request& req, auth_context& auth, locks::lock_service& locks) {
  const auto caller = co_await authenticate(req, auth);
  const auto order_id = order_id_of(req);
  auto session = read_lock_session(req);
  const auto who = co_await holder_of(caller, auth, std::move(session));
  const auto result = co_await locks.renew(order_id, who);
  switch (result.outcome) {
    case locks::change_outcome::done:
      co_return http::json_response(200, locks::to_json(*result.current));
    case locks::change_outcome::conflict:
      co_return lock_conflict("Order is locked by another user", result.current);
    case locks::change_outcome::not_held:
      throw http::http_error(404, "Lock not found");
    case locks::change_outcome::not_found:
      break;
  }
  throw http::http_error(404, "Order not found");
}

asio::awaitable<response> do_release(request& req, auth_context& auth, locks::lock_service& locks) {
  const auto who = co_await authenticate(req, auth);
  const auto force_text = req.query("force");
  const bool force = force_text && *force_text == "true";
  if (force) require_manager(who);
  const auto order_id = order_id_of(req);
  if (force_text && *force_text != "true" && *force_text != "false") {
    throw http::http_error(400, boost::json::array{"force must be a boolean value"});
  }
  std::string session = valid_session_id(req.query("sessionId"));
  const locks::holder h{who.user_id, "", who.bakery_id, std::move(session)};
  const auto result = co_await locks.release(order_id, h, force);
  switch (result.outcome) {
    case locks::change_outcome::done:
      co_return http::empty_response(204);
    case locks::change_outcome::not_held:
    case locks::change_outcome::conflict:
      throw http::http_error(404, "Lock not found");
    case locks::change_outcome::not_found:
      break;
  }
  throw http::http_error(404, "Order not found");
}

asio::awaitable<response> do_status(request& req, auth_context& auth, locks::lock_service& locks) {
  const auto who = co_await authenticate(req, auth);
  const auto order_id = order_id_of(req);
  const auto current = co_await locks.status(who.bakery_id, order_id);
  if (!current) {
    const bool exists = co_await locks.order_exists(order_id, who.bakery_id);
    if (!exists) throw http::http_error(404, "Order not found");
    co_return http::json_response(200, boost::json::object{{"locked", false}});
  }
  auto body = locks::to_json(*current);
  body["locked"] = true;
  co_return http::json_response(200, body);
}

asio::awaitable<response> do_list(request& req, auth_context& auth, locks::lock_service& locks) {
  const auto who = co_await authenticate(req, auth);
  const auto live = co_await locks.list(who.bakery_id);
  boost::json::array items;
  for (const auto& l : live) items.push_back(locks::to_json(l));
  co_return http::json_response(200, boost::json::object{{"items", std::move(items)}});
}

}  // namespace

response lock_conflict(std::string_view message, const std::optional<locks::lock_info>& current) {
  boost::json::object extra;
  extra["lock"] = current ? boost::json::value(locks::to_json(*current)) : boost::json::value(nullptr);
  return http::error_response(409, message, std::move(extra));
}

std::string order_id_of(const request& req) {
  const auto id = req.param("id");
  if (!core::is_uuid(id)) throw http::http_error(404, "Order not found");
  std::string out(id);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

void add_lock_routes(http::router& routes, auth_context& auth, locks::lock_service& locks) {
  routes.add(method::post, "/api/v1/orders/{id}/lock", bind_route(do_acquire, auth, locks));
  routes.add(method::put, "/api/v1/orders/{id}/lock", bind_route(do_renew, auth, locks));
  routes.add(method::del, "/api/v1/orders/{id}/lock", bind_route(do_release, auth, locks));
  routes.add(method::get, "/api/v1/orders/{id}/lock", bind_route(do_status, auth, locks));
  routes.add(method::get, "/api/v1/locks", bind_route(do_list, auth, locks));
  routes.name_service("/api/v1/orders/{id}/lock", "Order locks are");
  routes.name_service("/api/v1/locks", "Order locks are");
}

}  // namespace bakewind::app
