#pragma once
// Pub/sub on its own connection (a subscribed connection can do nothing
// else). Connects on the first subscribe, and re-subscribes every channel
// after each reconnect. The connection is kept as redis::client's is, by
// the same supervisor (detail/supervisor.hpp): reconnect with backoff,
// Sentinel master following, PING when idle and a read deadline.
// Not thread-safe: every call on the executor's thread.

#include "redis/options.hpp"
#include "redis/stats.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace bakewind::redis {

namespace detail {
class subscriber_state;
}

class subscriber {
 public:
  /// Called on the executor's thread for each message; must not block.
  using handler = std::function<void(std::string_view channel, std::string_view message)>;

  /// Connects nothing yet. Throws core::config_error for a bad TLS setup.
  subscriber(boost::asio::any_io_executor ex, options o, handler on_message);
  ~subscriber();
  subscriber(const subscriber&) = delete;
  subscriber& operator=(const subscriber&) = delete;

  /// Adds a channel (kept across reconnects); starts the connection.
  void subscribe(std::string channel);

  /// True once every channel is confirmed subscribed on the live connection.
  bool subscribed() const noexcept;

  /// Closes the connection; no message is delivered afterwards.
  void close() noexcept;

  const redis::stats& stats() const noexcept;

 private:
  std::shared_ptr<detail::subscriber_state> state_;
};

}  // namespace bakewind::redis
