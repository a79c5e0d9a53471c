#pragma once
// /api/v1/orders/{id}/lock and /api/v1/locks (API.md "Order locks").

#include "app/auth_context.hpp"
#include "app/request_bodies.hpp"
#include "http/router.hpp"
#include "locks/lock_service.hpp"

namespace bakewind::app {

/// Registers the lock routes; both must outlive `routes`.
void add_lock_routes(http::router& routes, auth_context& auth, locks::lock_service& locks);

/// A 409 `message` carrying the order's current lock (lockInfo or null) in
/// `lock`, as API.md shows both lock conflicts and unfenced PATCHes.
http::response lock_conflict(std::string_view message, const std::optional<locks::lock_info>& current);

/// The `{id}` of an order path, lowercase. Throws order_not_found() for
/// anything that is not a UUID (a malformed id is a missing order).
std::string order_id_of(const http::request& req);

/// The 404 `Order not found` of the order and lock routes: no such order in
/// the caller's bakery. Returned, for the caller to throw.
http::http_error order_not_found();

}  // namespace bakewind::app
