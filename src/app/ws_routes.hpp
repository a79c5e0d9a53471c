#pragma once
// GET /api/v1/ws (API.md "Live events"): the upgrade is authenticated with
// the access token from `Authorization: Bearer` or `?access_token=`; without
// a valid one it is answered 401. Clients may send {"type":"ping"}.

#include "app/auth_context.hpp"
#include "app/live_events.hpp"
#include "http/router.hpp"

namespace bakewind::app {

/// Registers the route; both must outlive `routes`.
void add_ws_route(http::router& routes, auth_context& auth, live_clients& clients);

}  // namespace bakewind::app
