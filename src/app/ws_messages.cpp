#include "app/ws_messages.hpp"

#include "core/json.hpp"

namespace bakewind::app {

std::optional<std::string> ws_reply(std::string_view message) noexcept {
  try {
    const auto v = core::parse_json(message);
    if (!v || !v->is_object()) return std::nullopt;
    const auto* type = v->as_object().if_contains("type");
    if (type != nullptr && type->is_string() && type->get_string() == "ping") return std::string(R"({"type":"pong"})");
  } catch (const std::bad_alloc&) {
    // A message too big to parse is ignored like any other malformed one.
  }
  return std::nullopt;
}

}  // namespace bakewind::app
