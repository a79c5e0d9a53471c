#include "locks/lock_info.hpp"

#include "core/json.hpp"

#include <boost/json.hpp>

namespace bakewind::locks {

boost::json::object to_json(const lock_info& l) {
  return {{"orderId", l.order_id},
          {"userId", l.user_id},
          {"userName", l.user_name},
          {"sessionId", l.session_id},
          {"acquiredAt", l.acquired_at},
          {"expiresAt", l.expires_at},
          {"lastActivityAt", l.last_activity_at}};
}

void append_json(std::string& out, const lock_info& l) {
  // Keys in to_json's order.
  core::object_writer(out)
      .string("orderId", l.order_id)
      .string("userId", l.user_id)
      .string("userName", l.user_name)
      .string("sessionId", l.session_id)
      .string("acquiredAt", l.acquired_at)
      .string("expiresAt", l.expires_at)
      .string("lastActivityAt", l.last_activity_at)
      .close();
}

std::string to_redis_value(const lock_info& l) {
  auto o = to_json(l);
  o["bakeryId"] = l.bakery_id;
  o["expiresMs"] = l.expires_ms;
  return core::to_json(o);
}

std::optional<lock_info> from_redis_value(std::string_view text) {
  const auto v = core::parse_json(text);
  if (!v || !v->is_object()) return std::nullopt;
  const auto& o = v->as_object();
  lock_info l;
  const std::pair<const char*, std::string*> fields[] = {
      {"orderId", &l.order_id},     {"bakeryId", &l.bakery_id},
      {"userId", &l.user_id},       {"userName", &l.user_name},
      {"sessionId", &l.session_id}, {"acquiredAt", &l.acquired_at},
      {"expiresAt", &l.expires_at}, {"lastActivityAt", &l.last_activity_at}};
  for (const auto& [key, out] : fields) {
    const auto* f = o.if_contains(key);
    if (f == nullptr || !f->is_string()) return std::nullopt;
    out->assign(f->get_string().data(), f->get_string().size());
  }
  const auto* ms = o.if_contains("expiresMs");
  if (ms == nullptr || !ms->is_int64()) return std::nullopt;
  l.expires_ms = ms->get_int64();
  return l;
}

}  // namespace bakewind::locks
