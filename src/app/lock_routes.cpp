#include "app/lock_routes.hpp"

#include "app/request_bodies.hpp"
#include "app/route_support.hpp"
#include "core/ids.hpp"
#include "http/response.hpp"

namespace bakewind::app {

namespace {

constexpr std::string_view locked_by_another = "Order is locked by another user";

// The 404 of a renew or release by a caller who holds no live lock on the
// order with that session.
http::http_error lock_not_found() {
  return http::http_error(404, "Lock not found");
}

// What an acquire or a renew is about: the order, and the caller as its
// lock holder (the holder's name goes into lockInfo).
struct lock_request {
  std::string order_id;
  locks::holder holder;
};

// Checked in Nest's order: the token (401), the order id (404), the body's
// sessionId (400), then the caller's account (401 when it is gone).
asio::awaitable<lock_request> read_lock_request(request& req, auth_context& auth, redis::budget& budget) {
  const auto caller = co_await authenticate(req, auth, budget);
  auto order_id = order_id_of(req);
  auto session = read_lock_session(req);
  const auto user = co_await auth::find_user(auth.users, auth.user_rows, caller.user_id);
  if (!user) throw http::http_error(401, "Unauthorized");
  locks::holder holder{caller.user_id, user->name, caller.bakery_id, std::move(session)};
  co_return lock_request{std::move(order_id), std::move(holder)};
}

asio::awaitable<response> do_acquire(request& req, auth_context& auth, locks::lock_service& locks) {
  auto budget = request_budget(auth);
  const auto target = co_await read_lock_request(req, auth, budget);
  const auto result = co_await locks.acquire(target.order_id, target.holder, budget);
  using enum locks::acquire_outcome;
  if (result.outcome == not_found) throw order_not_found();
  if (result.outcome == conflict) co_return lock_conflict(locked_by_another, result.current);
  const int status = result.outcome == acquired ? 201 : 200;  // 200: the caller's own lock, its TTL restarted
  co_return http::json_response(status, locks::to_json(*result.current));
}

asio::awaitable<response> do_renew(request& req, auth_context& auth, locks::lock_service& locks) {
  auto budget = request_budget(auth);
  const auto target = co_await read_lock_request(req, auth, budget);
  const auto result = co_await locks.renew(target.order_id, target.holder, budget);
  using enum locks::change_outcome;
  if (result.outcome == not_found) throw order_not_found();
  if (result.outcome == not_held) throw lock_not_found();
  if (result.outcome == conflict) co_return lock_conflict(locked_by_another, result.current);
  co_return http::json_response(200, locks::to_json(*result.current));
}

asio::awaitable<response> do_release(request& req, auth_context& auth, locks::lock_service& locks) {
  auto budget = request_budget(auth);
  const auto who = co_await authenticate(req, auth, budget);
  const auto force_text = req.query("force");
  const bool force = force_text && *force_text == "true";
  if (force) require_manager(who);
  const auto order_id = order_id_of(req);
  if (force_text && *force_text != "true" && *force_text != "false") {
    throw http::http_error(400, boost::json::array{"force must be a boolean value"});
  }
  std::string session = valid_session_id(req.query("sessionId"));
  const locks::holder h{who.user_id, "", who.bakery_id, std::move(session)};
  const auto result = co_await locks.release(order_id, h, force, budget);
  using enum locks::change_outcome;
  if (result.outcome == not_found) throw order_not_found();
  if (result.outcome != done) throw lock_not_found();  // another's lock is none of the caller's to release
  co_return http::empty_response(204);
}

asio::awaitable<response> do_status(request& req, auth_context& auth, locks::lock_service& locks) {
  auto budget = request_budget(auth);
  const auto who = co_await authenticate(req, auth, budget);
  const auto order_id = order_id_of(req);
  const auto current = co_await locks.status(who.bakery_id, order_id, budget);
  if (!current) {
    const bool exists = co_await locks.order_exists(order_id, who.bakery_id);
    if (!exists) throw order_not_found();
    co_return http::json_response(200, boost::json::object{{"locked", false}});
  }
  auto body = locks::to_json(*current);
  body["locked"] = true;
  co_return http::json_response(200, body);
}

asio::awaitable<response> do_list(request& req, auth_context& auth, locks::lock_service& locks) {
  auto budget = request_budget(auth);
  const auto who = co_await authenticate(req, auth, budget);
  const auto live = co_await locks.list(who.bakery_id, budget);
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
  if (!core::is_uuid(id)) throw order_not_found();
  std::string out(id);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

http::http_error order_not_found() {
  return http::http_error(404, "Order not found");
}

void add_lock_routes(http::router& routes, auth_context& auth, locks::lock_service& locks) {
  constexpr std::string_view order_lock = "/api/v1/orders/{id}/lock";
  routes.add(method::post, order_lock, bind_route(do_acquire, auth, locks));
  routes.add(method::put, order_lock, bind_route(do_renew, auth, locks));
  routes.add(method::del, order_lock, bind_route(do_release, auth, locks));
  routes.add(method::get, order_lock, bind_route(do_status, auth, locks));
  routes.add(method::get, "/api/v1/locks", bind_route(do_list, auth, locks));
  routes.name_service(order_lock, "Order locks are");
  routes.name_service("/api/v1/locks", "Order locks are");
}

}  // namespace bakewind::app
