#pragma once
// The master of a Sentinel group, for one connection owner (a client or a
// subscriber) on one executor: found by asking the Sentinels before each
// connect, confirmed with ROLE, and followed through +switch-master.
//
// Each owner keeps its own +switch-master subscription rather than sharing one
// per process: the owners live on different event loops, and a shared watcher
// would need cross-thread signalling and shared mutable state for the price
// of THREADS + 1 idle connections per Sentinel per instance.

#include "redis/options.hpp"
#include "redis/resp.hpp"
#include "redis/sentinel.hpp"
#include "redis/transport.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace bakewind::redis::detail {

/// Called on the executor with the master's address each time the Sentinels
/// announce it: a +switch-master for our name, or the current master when the
/// subscription is (re)made (a switch may have been missed meanwhile).
using master_announced = std::function<void(const server_address&)>;

/// Why a Sentinel could not be asked, from the error of a connect or an
/// exchange bounded by `timeout` ("Sentinel unreachable (Connection refused)").
std::string sentinel_trouble(const boost::system::error_code& ec, std::chrono::milliseconds timeout);

/// One subscription to +switch-master on any Sentinel of the group. Moves to
/// the next Sentinel when one fails, backs off (min(round * 50 ms, 2 s)) after
/// a whole round of failures, and drops a connection that stays silent (PING
/// when idle, read_timeout for the answer). Logs once per change of state.
class sentinel_watch : public std::enable_shared_from_this<sentinel_watch> {
 public:
  /// `data` is copied; `tls` (may be null) is kept alive by the watch.
  sentinel_watch(boost::asio::any_io_executor ex, const options& data, std::shared_ptr<boost::asio::ssl::context> tls,
                 master_announced on_master);

  /// Starts subscribing, at Sentinel `first` (an index into data.sentinels).
  void start(std::size_t first);
  /// Closes; `on_master` is never called afterwards.
  void stop() noexcept;
  /// True while subscribed.
  bool subscribed() const noexcept { return subscribed_; }

 private:
  boost::asio::awaitable<void> run();
  boost::asio::awaitable<std::string> subscribe();
  boost::asio::awaitable<void> listen();
  boost::asio::awaitable<void> keep_alive();
  /// Feeds received bytes and handles every complete message; false when
  /// they are not RESP (the connection must go).
  bool take(const char* data, std::size_t size);
  void on_message(std::string_view payload);

  boost::asio::any_io_executor executor_;
  options data_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  master_announced on_master_;
  options current_;                 ///< the Sentinel being spoken to; stream_ reads it
  transport stream_;
  resp_reader parser_;
  std::size_t index_ = 0;
  bool closing_ = false;
  bool subscribed_ = false;
  bool ping_outstanding_ = false;
  std::chrono::steady_clock::time_point last_read_;
  boost::asio::steady_timer pause_;
  boost::asio::steady_timer ping_timer_;
};

/// What an owner needs from the Sentinels: where to connect, and word when
/// the master moves. Not thread-safe: the owner's executor only.
class sentinel_link {
 public:
  /// `data` is the owner's options, which the owner's transport reads:
  /// connect() sets its host and port to the master's. `data` must outlive
  /// the link; `on_master` is called as sentinel_watch describes.
  sentinel_link(boost::asio::any_io_executor ex, options& data, std::shared_ptr<boost::asio::ssl::context> tls,
                master_announced on_master);
  ~sentinel_link();
  sentinel_link(const sentinel_link&) = delete;
  sentinel_link& operator=(const sentinel_link&) = delete;

  /// Asks the Sentinels (the one that answered last time first, each within
  /// sentinel_timeout) for the master, connects `t` (built on `data`) to it
  /// with the usual handshake and confirms with ROLE that it is a master.
  /// "" on success; otherwise why not, with `t` closed. The same trouble
  /// gives the same text on every attempt (callers log changes only). The
  /// first lookup that succeeds starts the +switch-master subscription, at
  /// the Sentinel that answered.
  boost::asio::awaitable<std::string> connect(transport& t, resp_reader& reader);

  /// Stops the subscription and any lookup under way; no callback afterwards.
  void stop() noexcept;
  /// The address connect() last connected to, or tried to.
  server_address current() const { return {data_.host, data_.port}; }
  /// True while the +switch-master subscription is live.
  bool watching() const noexcept { return watch_ && watch_->subscribed(); }

 private:
  void watch();
  boost::asio::awaitable<std::string> locate();
  boost::asio::awaitable<master_lookup> ask(std::size_t index);
  boost::asio::awaitable<std::string> confirm_master(transport& t, resp_reader& reader);

  boost::asio::any_io_executor executor_;
  options& data_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  master_announced on_master_;
  std::shared_ptr<sentinel_watch> watch_;
  transport* asking_ = nullptr;            ///< the Sentinel connection of a lookup under way
  std::size_t preferred_ = 0;              ///< the Sentinel that answered last
  std::optional<server_address> located_;  ///< the master last named, to log changes only
  std::uint64_t announcements_ = 0;        ///< how many times the watch announced a master
  server_address announced_;               ///< the latest of them
  bool closing_ = false;
};

}  // namespace bakewind::redis::detail
