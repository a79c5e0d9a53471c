#pragma once
// /api/v1/orders and /api/v1/orders/{id} (API.md "Orders"): parse and
// validate, call the orders service, map the outcome. Nest's order holds:
// authentication (401), then roles (403), then the id (404) and the body or
// query (400), then the outcome (404, 409).

#include "app/auth_context.hpp"
#include "http/router.hpp"
#include "orders/order.hpp"
#include "orders/order_service.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace bakewind::app {

/// Registers the order routes; both must outlive `routes`.
void add_order_routes(http::router& routes, auth_context& auth, orders::order_service& orders);

/// The list's opaque cursor: base64url of "<createdAt ms>|<id>".
std::string encode_cursor(const orders::page_position& p);

/// Reads what encode_cursor wrote; nullopt for anything else.
std::optional<orders::page_position> decode_cursor(std::string_view cursor);

}  // namespace bakewind::app
