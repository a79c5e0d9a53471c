#include "app/live_events.hpp"

#include "core/json.hpp"

#include <algorithm>

namespace bakewind::app {

void live_clients::add(std::shared_ptr<http::ws_channel> channel, std::string bakery_id, std::string user_id,
                       std::string jti, long long issued_ms, long long exp_s) {
  const auto now_s =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const auto expires = std::chrono::steady_clock::now() + std::chrono::seconds(std::max(0LL, exp_s - now_s));
  clients_.push_back(
      client{std::move(channel), std::move(bakery_id), std::move(user_id), std::move(jti), issued_ms, expires});
  connected_.store(clients_.size(), std::memory_order_relaxed);
  watch_expiry(expires);
}

void live_clients::watch_expiry(std::chrono::steady_clock::time_point at) {
  if (at >= next_expiry_) return;  // the pending wait fires first, and looks again then
  next_expiry_ = at;
  expiry_.expires_at(at);  // a wait pending for later ends with operation_aborted
  // `this` outlives the wait: the timer is a member, and its loop does not
  // run again once the clients are destroyed.
  expiry_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) close_expired();
  });
}

void live_clients::close_expired() {
  // Decides by the clock alone, so that a wait that fired just as an earlier
  // one was armed does no harm.
  next_expiry_ = std::chrono::steady_clock::time_point::max();
  const auto now = std::chrono::steady_clock::now();
  auto earliest = std::chrono::steady_clock::time_point::max();
  for (auto& c : clients_) {
    if (c.expires <= now) {
      c.expires = std::chrono::steady_clock::time_point::max();
      c.channel->close(http::close_code::unauthorized, "token expired");
    } else {
      earliest = std::min(earliest, c.expires);
    }
  }
  if (earliest != std::chrono::steady_clock::time_point::max()) watch_expiry(earliest);
}

void live_clients::remove(const http::ws_channel* channel) {
  std::erase_if(clients_, [&](const client& c) { return c.channel.get() == channel; });
  connected_.store(clients_.size(), std::memory_order_relaxed);
}

void live_clients::deliver(std::string_view bakery_id, const std::string& event_json) {
  for (auto& c : clients_) {
    if (c.bakery_id == bakery_id) {
      c.channel->send(event_json);
      sent_.inc();
    }
  }
}

void live_clients::close_where(const std::function<bool(const client&)>& match) {
  for (auto& c : clients_) {
    if (match(c)) c.channel->close(http::close_code::unauthorized, "token revoked");
  }
}

void live_clients::apply_notice(std::string_view notice_json) {
  const auto v = core::parse_json(notice_json);
  if (!v || !v->is_object()) return;
  const auto& o = v->as_object();
  const auto* type = o.if_contains("type");
  if (type == nullptr || !type->is_string()) return;
  if (type->get_string() == "token.revoked") {
    const auto* jti = o.if_contains("jti");
    if (jti == nullptr || !jti->is_string()) return;
    close_where([&](const client& c) { return c.jti == jti->get_string(); });
  } else if (type->get_string() == "user.logged_out_all") {
    const auto* user = o.if_contains("userId");
    const auto* cutoff = o.if_contains("cutoffMs");
    if (user == nullptr || !user->is_string() || cutoff == nullptr || !cutoff->is_int64()) return;
    close_where([&](const client& c) { return c.user_id == user->get_string() && c.issued_ms <= cutoff->get_int64(); });
  }
}

}  // namespace bakewind::app
