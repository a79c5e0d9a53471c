#pragma once
// Helpers for the black-box security tests of issue 10: one service per test
// binary (its own Redis and database) holding two bakeries, A and B, each
// with an owner and a staff member and one order; the table of every
// authenticated route, read from docs/openapi.json (the committed API
// description, checked against the router by openapi_test); and checks that
// an answer is a clean client error.

#include "auth_helpers.hpp"
#include "support/ws_client.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <tuple>

namespace bakewind::test::security_e2e {

using namespace auth_e2e;  // NOLINT: the auth helpers are this file's vocabulary
using namespace std::chrono_literals;

/// A user of `caller`'s bakery made through POST /api/v1/users, logged in.
inline account add_user(std::uint16_t port, const account& caller, const std::string& role, const std::string& tag) {
  const auto email = unique_email(tag);
  const std::string password = "pass-of-" + tag + "-123";
  const auto body = core::to_json(
      boost::json::object{{"email", email}, {"password", password}, {"name", "User " + tag}, {"role", role}});
  const auto r = authed(port, "POST", "/api/v1/users", caller.access, body);
  if (r.status != 201) throw std::runtime_error("create user: " + std::to_string(r.status) + " " + r.body);
  return login(port, email, password);
}

/// A new order of `a`'s bakery through the API; its id.
inline std::string add_order(std::uint16_t port, const account& a, const std::string& customer) {
  const auto body = core::to_json(boost::json::object{
      {"customerName", customer},
      {"items", boost::json::array{boost::json::object{{"product", "Rye"}, {"quantity", 2}, {"unitPriceCents", 450}}}}});
  const auto r = authed(port, "POST", "/api/v1/orders", a.access, body);
  if (r.status != 201) throw std::runtime_error("create order: " + std::to_string(r.status) + " " + r.body);
  return std::string(json_of(r).at("id").as_string());
}

/// Two bakeries on one service. A's order is locked by A's owner (session
/// "a-session") so that lock routes have something to guard.
struct world {
  world()
      : db(migrated_database("security")), svc(service_env(db, redis.url())) {
    a_owner = register_owner(svc.port(), "sec-a");
    b_owner = register_owner(svc.port(), "sec-b");
    a_staff = add_user(svc.port(), a_owner, "staff", "sec-a-staff");
    b_staff = add_user(svc.port(), b_owner, "staff", "sec-b-staff");
    a_order = add_order(svc.port(), a_owner, "Customer of A");
    b_order = add_order(svc.port(), b_owner, "Customer of B");
    const auto r = authed(svc.port(), "POST", "/api/v1/orders/" + a_order + "/lock", a_owner.access,
                          R"({"sessionId":"a-session"})");
    if (r.status != 201) throw std::runtime_error("lock: " + std::to_string(r.status) + " " + r.body);
  }
  std::uint16_t port() const { return svc.port(); }

  redis_server redis;
  std::string db;
  service svc;
  account a_owner, a_staff, b_owner, b_staff;
  std::string a_order, b_order;
};

/// The world every security test shares, made on first use.
inline world& w() {
  static world the;
  return the;
}

// ------------------------------------------------------------------- routes

/// One authenticated route of API.md: method and path template ({id}).
struct route {
  std::string method;
  std::string path;
  bool operator<(const route& o) const { return std::tie(method, path) < std::tie(o.method, o.path); }
};

/// Every route of docs/openapi.json that takes a bearer token.
inline std::vector<route> authenticated_routes() {
  std::ifstream in(source_dir() + "/docs/openapi.json");
  std::stringstream text;
  text << in.rdbuf();
  const auto doc = core::parse_json(text.str());
  if (!doc) throw std::runtime_error("docs/openapi.json is not JSON");
  std::vector<route> out;
  for (const auto& [path, ops] : doc->at("paths").as_object()) {
    for (const auto& [verb, op] : ops.as_object()) {
      const auto* security = op.is_object() ? op.as_object().if_contains("security") : nullptr;
      if (security == nullptr) continue;
      bool bearer = false;
      for (const auto& s : security->as_array()) bearer = bearer || s.as_object().contains("bearerAuth");
      if (!bearer) continue;
      std::string method(verb);
      for (auto& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      out.push_back({method, std::string(path)});
    }
  }
  return out;
}

/// A plausible body for each route (so that only the missing token can be
/// the reason for a refusal), keyed "METHOD path"; throws for a route the
/// table does not know, so a new route must be added here.
inline std::string body_for(const route& r) {
  static const std::map<std::string, std::string> bodies{
      {"POST /api/v1/auth/logout", "{}"},
      {"POST /api/v1/auth/logout-all", ""},
      {"GET /api/v1/auth/me", ""},
      {"POST /api/v1/auth/transfer", R"({"refreshToken":"x.y.z"})"},
      {"POST /api/v1/users", R"({"email":"new@example.com","password":"password-123","name":"N","role":"staff"})"},
      {"GET /api/v1/users", ""},
      {"POST /api/v1/orders",
       R"({"customerName":"C","items":[{"product":"P","quantity":1,"unitPriceCents":100}]})"},
      {"GET /api/v1/orders", ""},
      {"GET /api/v1/orders/{id}", ""},
      {"PATCH /api/v1/orders/{id}", R"({"notes":"changed"})"},
      {"DELETE /api/v1/orders/{id}", ""},
      {"POST /api/v1/orders/{id}/lock", R"({"sessionId":"a-session"})"},
      {"PUT /api/v1/orders/{id}/lock", R"({"sessionId":"a-session"})"},
      {"DELETE /api/v1/orders/{id}/lock", ""},
      {"GET /api/v1/orders/{id}/lock", ""},
      {"GET /api/v1/locks", ""},
      {"GET /api/v1/ws", ""},
  };
  const auto it = bodies.find(r.method + " " + r.path);
  if (it == bodies.end()) throw std::runtime_error("no body for " + r.method + " " + r.path + ": add it to the table");
  return it->second;
}

/// The concrete target of `r` for order `id` (query parameters that the
/// route needs included).
inline std::string target_for(const route& r, const std::string& id, const std::string& query_extra = {}) {
  auto t = r.path;
  const auto at = t.find("{id}");
  if (at != std::string::npos) t.replace(at, 4, id);
  if (r.method == "DELETE" && t.ends_with("/lock")) return t + "?sessionId=a-session" + query_extra;
  return t;
}

/// Extra headers a route needs beyond the token (the WebSocket upgrade, the lock session of a PATCH).
inline std::string headers_for(const route& r) {
  if (r.path == "/api/v1/ws") {
    return "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
  }
  if (r.method == "PATCH") return "X-Lock-Session: a-session\r\n";
  return {};
}

/// Sends `r` with these raw authorization headers ("" for none).
inline http_reply call(std::uint16_t port, const route& r, const std::string& id, const std::string& auth_headers,
                       const std::string& query_extra = {}) {
  const auto body = body_for(r);
  std::string headers = auth_headers + headers_for(r);
  if (!body.empty()) headers += "Content-Type: application/json\r\n";
  return http_call(port, r.method, target_for(r, id, query_extra), body, headers);
}

// ----------------------------------------------------------------- checking

/// A client error (4xx) in the NestJS shape: {statusCode (= the status),
/// error (a non-empty string), message (a non-empty string or array)}.
inline ::testing::AssertionResult is_clean_4xx(const http_reply& r) {
  if (r.status < 400 || r.status > 499) {
    return ::testing::AssertionFailure() << "status " << r.status << " is not a 4xx; body " << r.body.substr(0, 300);
  }
  const auto parsed = core::parse_json(r.body);
  if (!parsed || !parsed->is_object()) return ::testing::AssertionFailure() << "body not JSON: " << r.body.substr(0, 300);
  const auto& o = parsed->as_object();
  const auto* sc = o.if_contains("statusCode");
  const auto* er = o.if_contains("error");
  const auto* me = o.if_contains("message");
  if (sc == nullptr || !sc->is_int64() || sc->as_int64() != r.status) {
    return ::testing::AssertionFailure() << "statusCode wrong: " << r.body;
  }
  if (er == nullptr || !er->is_string() || er->as_string().empty()) {
    return ::testing::AssertionFailure() << "error missing: " << r.body;
  }
  const bool message_ok = me != nullptr && ((me->is_string() && !me->as_string().empty()) ||
                                            (me->is_array() && !me->as_array().empty()));
  if (!message_ok) return ::testing::AssertionFailure() << "message missing: " << r.body;
  return ::testing::AssertionSuccess();
}

/// Neither a 5xx nor a dropped connection: a 4xx in the NestJS shape, or a 2xx.
inline ::testing::AssertionResult is_not_a_server_error(const http_reply& r) {
  if (r.status >= 200 && r.status < 300) return ::testing::AssertionSuccess();
  return is_clean_4xx(r);
}

}  // namespace bakewind::test::security_e2e
