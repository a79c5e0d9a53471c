#pragma once
// The WebSocket clients of one event loop (API.md "Live events"): who they
// are, which bakery's events they get, and when they must be closed with
// 4001 (their token expired, was revoked, or was cut off by logout-all).
// Touched only from its loop's thread.

#include "http/websocket.hpp"
#include "observability/metric_types.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace bakewind::app {

class live_clients {
 public:
  explicit live_clients(boost::asio::any_io_executor ex) : expiry_(std::move(ex)) {}

  /// Adds a client of `bakery_id`, holding token `jti` that expires at `exp_s`.
  void add(std::shared_ptr<http::ws_channel> channel, std::string bakery_id, std::string user_id, std::string jti,
           long long issued_ms, long long exp_s);

  /// Forgets a client (it has closed).
  void remove(const http::ws_channel* channel);

  /// Sends `event_json` to every client of `bakery_id`.
  void deliver(std::string_view bakery_id, const std::string& event_json);

  /// Applies an instance-internal notice (`token.revoked`, `user.logged_out_all`).
  void apply_notice(std::string_view notice_json);

  /// Clients connected now; readable from any thread.
  std::uint64_t connected() const noexcept { return connected_.load(std::memory_order_relaxed); }

  /// Events handed to clients so far; readable from any thread.
  std::uint64_t events_sent() const noexcept { return sent_.value(); }

 private:
  struct client {
    std::shared_ptr<http::ws_channel> channel;
    std::string bakery_id;
    std::string user_id;
    std::string jti;
    long long issued_ms = 0;
    std::chrono::steady_clock::time_point expires;  ///< when its token does; max() once it was told
  };

  void close_where(const std::function<bool(const client&)>& match);
  void watch_expiry(std::chrono::steady_clock::time_point at);
  void close_expired();

  // One timer for all the loop's clients, not one each: it fires at the
  // earliest expiry, closes whoever is due, and waits for the next.
  boost::asio::steady_timer expiry_;
  std::chrono::steady_clock::time_point next_expiry_ = std::chrono::steady_clock::time_point::max();
  std::deque<client> clients_;  ///< not a vector: no spare capacity, which 10,000 clients would feel
  std::atomic<std::uint64_t> connected_{0};  ///< clients_.size(), for the scrape
  observability::counter sent_;
};

/// The bakery id under which instance-internal notices travel on the events channel.
inline constexpr std::string_view notice_channel_id = "-";

}  // namespace bakewind::app
