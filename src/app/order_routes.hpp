#pragma once
// /api/v1/orders and /api/v1/orders/{id} (API.md "Orders"): parse and
// validate, call the orders service, map the outcome. Nest's order holds:
// authentication (401), then roles (403), then the id (404) and the body or
// query (400), then the outcome (404, 409).

#include "app/auth_context.hpp"
#include "app/request_bodies.hpp"
#include "http/router.hpp"
#include "orders/order.hpp"
#include "orders/order_service.hpp"


namespace bakewind::app {

/// Registers the order routes; both must outlive `routes`.
void add_order_routes(http::router& routes, auth_context& auth, orders::order_service& orders);

}  // namespace bakewind::app
