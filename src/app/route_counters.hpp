#pragma once
// What the auth routes decide that no service below them sees: hand-offs
// created and claimed by outcome, requests refused by a rate limit. Shared
// by every loop (atomics); read by /metrics.

#include "observability/metric_types.hpp"

namespace bakewind::app {

struct route_counters {
  observability::counter transfers_created;    ///< POST /auth/transfer → 201
  observability::counter claims_ok;            ///< POST /auth/transfer/claim → 200
  observability::counter claims_invalid;       ///< → 401 invalid or expired (or already claimed)
  observability::counter register_limited;     ///< 429 on POST /auth/register
  observability::counter login_limited;        ///< 429 on POST /auth/login
  observability::counter claim_limited;        ///< 429 on POST /auth/transfer/claim
};

}  // namespace bakewind::app
