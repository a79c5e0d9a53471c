#pragma once
// GET /health/live, /health/ready, /health and /metrics (API.md "Health and
// metrics").

#include "http/router.hpp"

namespace bakewind::app {

struct event_loop;
struct process_services;

/// Registers the health and metrics routes of `loop`; both must outlive `routes`.
void add_health_routes(http::router& routes, event_loop& loop, process_services& shared);

}  // namespace bakewind::app
