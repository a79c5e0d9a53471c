#pragma once
// The request validators of the API's routes (API.md): each reads one
// route's JSON body or query the way its NestJS DTO did and returns the
// values, or throws http::http_error 400 with a message per invalid field.
// Pure functions of the request, no I/O: the route handlers call them, and so
// do the unit tests and the fuzz target fuzz_json_validators.

#include "http/request.hpp"
#include "orders/order.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace bakewind::app {

/// POST /api/v1/auth/register.
struct register_body {
  std::string email;
  std::string password;
  std::string name;
  std::string bakery_name;
};
register_body read_register(const http::request& req);

/// POST /api/v1/auth/login (no email format check: a wrong one is just a failed login).
struct login_body {
  std::string email;
  std::string password;
};
login_body read_login(const http::request& req);

/// POST /api/v1/auth/refresh and /api/v1/auth/transfer: the required `refreshToken`.
std::string read_refresh_token(const http::request& req);

/// POST /api/v1/auth/logout: the optional `refreshToken`.
std::optional<std::string> read_optional_refresh_token(const http::request& req);

/// POST /api/v1/auth/transfer/claim: `sessionId` (any string; an unknown one is a 401 later).
std::string read_claim_session(const http::request& req);

/// POST /api/v1/users.
struct new_user_body {
  std::string email;
  std::string password;
  std::string name;
  std::string role;  ///< admin or staff
};
new_user_body read_new_user(const http::request& req);

/// POST /api/v1/orders.
orders::new_order read_new_order(const http::request& req);

/// PATCH /api/v1/orders/{id}; a body that is JSON but not an object is a 400.
orders::order_changes read_order_changes(const http::request& req);

/// GET /api/v1/orders: `status`, `limit` (1..100, default 50) and `cursor`,
/// each at most once.
struct list_query {
  std::optional<std::string> status;
  std::size_t limit = 50;
  std::optional<orders::page_position> after;
};
list_query read_list_query(const http::request& req);

/// The lock routes' `sessionId` from the body (see valid_session_id).
std::string read_lock_session(const http::request& req);

/// The caller's editor session id from a body field or query value: 1..128
/// chars of [A-Za-z0-9_-]. Throws http_error 400 otherwise.
std::string valid_session_id(const std::optional<std::string_view>& value);

/// The list's opaque cursor: base64url of "<createdAt ms>|<id>".
std::string encode_cursor(const orders::page_position& p);

/// Reads what encode_cursor wrote; nullopt for anything else.
std::optional<orders::page_position> decode_cursor(std::string_view cursor);

}  // namespace bakewind::app
