#pragma once
// GET /health/live and GET /health/ready (API.md "Health and metrics").

#include "http/router.hpp"
#include "observability/health.hpp"

namespace bakewind::app {

/// Registers the health routes; `ready` must outlive `routes`.
void add_health_routes(http::router& routes, const observability::readiness& ready);

}  // namespace bakewind::app
