#pragma once
// The API's route table (API.md) with handlers that need no Redis or
// PostgreSQL: each runs its route's real request validator and echoes what
// it read, so the fuzzed path (parser, router, middleware, validators,
// response) is ours and no service is involved.

#include "auth/jwt.hpp"
#include "http/router.hpp"

#include <chrono>

namespace bakewind::fuzz {

/// The routes; the WebSocket route accepts only a token that `codec`
/// verifies at `now` (fixed, so that the seeds' tokens stay valid), from the
/// header or `?access_token=`. `codec` must outlive them.
http::router stub_routes(const auth::jwt_codec& codec, std::chrono::system_clock::time_point now);

}  // namespace bakewind::fuzz
