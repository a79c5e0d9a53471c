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

namespace {

// to_json's members, in its order; the object left open.
core::object_writer& client_members(core::object_writer& w, const lock_info& l) {
  return w.string("orderId", l.order_id)
      .string("userId", l.user_id)
      .string("userName", l.user_name)
      .string("sessionId", l.session_id)
      .string("acquiredAt", l.acquired_at)
      .string("expiresAt", l.expires_at)
      .string("lastActivityAt", l.last_activity_at);
}

}  // namespace

void append_json(std::string& out, const lock_info& l) {
  core::object_writer w(out);
  client_members(w, l).close();
}

std::string to_redis_value(const lock_info& l) {
  // Every lock write stores one: written straight, the bytes the DOM wrote
  // (the client's members, then the two only Redis keeps), so that older
  // instances read it during a rolling deploy.
  std::string out;
  out.reserve(320 + l.user_name.size());
  core::object_writer w(out);
  client_members(w, l).string("bakeryId", l.bakery_id).integer("expiresMs", l.expires_ms);
  if (l.pending) w.integer("pending", 1);
  w.close();
  return out;
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
  l.pending = o.contains("pending");
  return l;
}

}  // namespace bakewind::locks
