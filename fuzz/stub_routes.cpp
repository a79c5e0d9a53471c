#include "stub_routes.hpp"

#include "app/request_bodies.hpp"
#include "core/ids.hpp"
#include "http/response.hpp"

namespace bakewind::fuzz {
namespace {

namespace asio = boost::asio;
using http::method;
using http::request;
using http::response;

// What every stub answers: the route, its parameters and the query as read.
boost::json::object echo(const request& req) {
  boost::json::object params;
  for (const auto& [name, value] : req.route_params) params[name] = value;
  boost::json::array query;
  for (const auto& [key, value] : req.query_params) query.push_back(boost::json::array{key, value});
  return boost::json::object{{"route", req.route}, {"params", std::move(params)}, {"query", std::move(query)}};
}

// A handler that validates with `read` and echoes the request.
template <class F>
http::handler validating(F read) {
  return [read](request& req) -> asio::awaitable<response> {
    (void)read(req);
    co_return http::json_response(200, echo(req));
  };
}

// As the order and lock routes treat their `{id}`: anything else than a UUID is 404.
template <class F>
http::handler with_order_id(F read) {
  return [read](request& req) -> asio::awaitable<response> {
    if (!core::is_uuid(req.param("id"))) throw http::http_error(404, "Order not found");
    (void)read(req);
    co_return http::json_response(200, echo(req));
  };
}

int nothing(const request&) {
  return 0;
}

std::string query_session(const request& req) {
  return app::valid_session_id(req.query("sessionId"));
}

std::string_view bearer(const request& req) {
  const auto header = req.header("Authorization");
  if (!header || header->size() < 7 || header->substr(0, 7) != "Bearer ") return {};
  return header->substr(7);
}

}  // namespace

http::router stub_routes(const auth::jwt_codec& codec, std::chrono::system_clock::time_point now) {
  http::router r;
  r.add(method::post, "/api/v1/auth/register", validating(app::read_register));
  r.add(method::post, "/api/v1/auth/login", validating(app::read_login));
  r.add(method::post, "/api/v1/auth/refresh", validating(app::read_refresh_token));
  r.add(method::post, "/api/v1/auth/logout", validating(app::read_optional_refresh_token));
  r.add(method::post, "/api/v1/auth/logout-all", validating(nothing));
  r.add(method::get, "/api/v1/auth/me", validating(nothing));
  r.add(method::post, "/api/v1/auth/transfer", validating(app::read_refresh_token));
  r.add(method::post, "/api/v1/auth/transfer/claim", validating(app::read_claim_session));
  r.add(method::post, "/api/v1/users", validating(app::read_new_user));
  r.add(method::get, "/api/v1/users", validating(nothing));
  r.add(method::post, "/api/v1/orders", validating(app::read_new_order));
  r.add(method::get, "/api/v1/orders", validating(app::read_list_query));
  r.add(method::get, "/api/v1/orders/{id}", with_order_id(nothing));
  r.add(method::patch, "/api/v1/orders/{id}", with_order_id(app::read_order_changes));
  r.add(method::del, "/api/v1/orders/{id}", with_order_id(nothing));
  r.add(method::post, "/api/v1/orders/{id}/lock", with_order_id(app::read_lock_session));
  r.add(method::put, "/api/v1/orders/{id}/lock", with_order_id(app::read_lock_session));
  r.add(method::del, "/api/v1/orders/{id}/lock", with_order_id(query_session));
  r.add(method::get, "/api/v1/orders/{id}/lock", with_order_id(nothing));
  r.add(method::get, "/api/v1/locks", validating(nothing));
  r.add(method::get, "/health/live", validating(nothing));
  r.add(method::get, "/health/ready", validating(nothing));
  r.add(method::get, "/health", validating(nothing));
  r.add(method::get, "/metrics", validating(nothing));
  auto upgrade = [&codec, now](request& req) -> asio::awaitable<http::ws_accept> {
    std::string_view token = bearer(req);
    if (token.empty()) token = req.query("access_token").value_or("");
    auth::jwt_error why{};
    if (!codec.verify(token, now, why)) throw http::http_error(401, "Unauthorized");
    co_return http::ws_accept{};
  };
  r.add_websocket("/api/v1/ws", upgrade);
  return r;
}

}  // namespace bakewind::fuzz
