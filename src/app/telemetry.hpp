#pragma once
// What /health and /metrics report over every event loop of the process:
// the Redis connection figures, the business counts, and the registry of
// Prometheus families (names as the NestJS service exported them, where it
// had them, so that existing dashboards keep working).

#include "http/server.hpp"

#include <boost/json/object.hpp>

namespace bakewind::app {

struct process_services;

/// Adds /health's figures to a readiness body: `redis` {connected,
/// uptimeSeconds (of our youngest connection; null while one is down),
/// reconnects, errors, usedMemoryBytes}, `counts` {activeOrderLocks,
/// revokedTokens, pendingTransferSessions} (null before the first count) and
/// `countsAgeSeconds` (null likewise).
void add_health_figures(boost::json::object& body, const process_services& shared);

/// Registers every /metrics family with `shared.metrics`. Call once, after
/// the loops, their Redis connections and the server are in `shared` and
/// before serving; all must outlive the registry's use.
void register_metrics(process_services& shared, const http::server& server);

}  // namespace bakewind::app
