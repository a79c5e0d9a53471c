#pragma once
// /api/v1/auth/* and /api/v1/users (API.md "Auth", "Users"): parse, call the
// auth layer, map the outcome. Nest's order holds: authentication (401),
// then roles (403), then body validation (400), then rate limits (429).

#include "app/auth_context.hpp"
#include "http/router.hpp"

namespace bakewind::app {

/// Registers the routes; `ctx` must outlive `routes`.
void add_auth_routes(http::router& routes, auth_context& ctx);

/// Appends API.md's `user` object to `out` as JSON text.
void append_user(std::string& out, const auth::user& u);

}  // namespace bakewind::app
