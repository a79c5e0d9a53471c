#pragma once
// What a live-events WebSocket client may say (API.md "Live events"), and
// our answer. Pure: the route (ws_routes) sends what this returns, and the
// fuzz target fuzz_ws_message feeds it arbitrary text.

#include <optional>
#include <string>
#include <string_view>

namespace bakewind::app {

/// The answer to one text message from a client: `{"type":"pong"}` for a
/// JSON object whose `type` is "ping", nothing for anything else (unknown or
/// malformed messages are ignored, never an error). Never throws.
std::optional<std::string> ws_reply(std::string_view message) noexcept;

}  // namespace bakewind::app
