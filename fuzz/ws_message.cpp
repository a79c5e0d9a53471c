// The live-events WebSocket's message handler (app/ws_messages): any text a
// client sends. Checks that only a ping is ever answered, and with a pong.

#include "app/ws_messages.hpp"
#include "core/json.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto reply = bakewind::app::ws_reply(text);
  if (!reply) return 0;
  if (*reply != R"({"type":"pong"})") std::abort();
  const auto v = bakewind::core::parse_json(text);
  const auto* type = v && v->is_object() ? v->as_object().if_contains("type") : nullptr;
  if (type == nullptr || !type->is_string() || type->get_string() != "ping") std::abort();
  return 0;
}
