#include "locks/lock_events.hpp"

#include "core/clock.hpp"

namespace bakewind::locks {

boost::json::object lock_event(std::string_view type, const lock_info& l, long long at_ms) {
  auto e = to_json(l);
  e["type"] = type;
  e["at"] = core::iso8601_ms(at_ms);
  return e;
}

boost::json::object unlock_event(const lock_info& l, std::string_view reason, long long at_ms) {
  return {{"type", "order.unlocked"},
          {"at", core::iso8601_ms(at_ms)},
          {"orderId", l.order_id},
          {"userId", l.user_id},
          {"reason", reason}};
}

}  // namespace bakewind::locks
