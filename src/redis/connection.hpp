#pragma once
// What redis::service sends through: one Redis server (single_node, over a
// redis::client) or a Redis Cluster (redis::cluster, one client per master).
// The caller names the slot of each command's keys; a single node ignores it.
// Every implementation is bound to one executor (one event loop) and is not
// thread-safe, like redis::client.

#include "redis/client.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bakewind::redis {

/// The slot of a command without keys (PING, INFO, PUBLISH): any node may run it.
inline constexpr int any_slot = -1;

class connection {
 public:
  using completion = client::completion;
  using time_point = std::chrono::steady_clock::time_point;

  virtual ~connection() = default;

  /// Sends one encoded command to the node serving `slot` (or any node for
  /// any_slot) and returns its reply; an error reply is a reply. Throws
  /// core::unavailable_error("redis", ...) when no reply comes in time: by
  /// the command's own deadline, or `deadline` when that is sooner
  /// (client::no_deadline for none).
  virtual boost::asio::awaitable<reply> send(std::string encoded, retry policy, int slot, time_point deadline) = 0;

  /// The same, completing `handler` (on the connection's executor, never
  /// inline) with error::timeout / connection_lost / retries_exhausted /
  /// closed / not_answering instead of throwing: how many commands are
  /// issued at once.
  virtual void async_send(std::string encoded, retry policy, int slot, time_point deadline,
                          boost::asio::any_completion_handler<completion> handler) = 0;

  /// True for a cluster: keys must then share a slot per command, and the
  /// per-slot markers are used (README "Redis keys").
  virtual bool clustered() const noexcept = 0;

  /// The names ("host:port") of every master now, for work that must visit
  /// each (SCAN); a single node has one. Waits for a cluster's first slot map;
  /// throws core::unavailable_error when there is none in time.
  virtual boost::asio::awaitable<std::vector<std::string>> masters() = 0;

  /// Sends to the master named `node` (from masters()). Throws
  /// core::unavailable_error when it is no longer a master or does not answer.
  virtual boost::asio::awaitable<reply> send_to(std::string node, std::string encoded, retry policy) = 0;

  /// QUIT every connection; afterwards nothing new starts and the executor can drain.
  virtual boost::asio::awaitable<void> close() = 0;

  /// Figures for /health and /metrics, over every connection this one holds.
  virtual const redis::stats& stats() const noexcept = 0;

  /// The `run_id` of the one server every command reaches now (see
  /// client::server_run_id); "" when unknown, and always in a cluster,
  /// where commands reach many servers. Valid until the next suspension.
  virtual std::string_view server_run_id() const noexcept { return {}; }
};

/// One Redis server through one redis::client: every call goes straight to
/// the client (the slot is ignored), so single-node mode pays one virtual call.
class single_node final : public connection {
 public:
  /// Owns a client of its own to the server `o` names.
  single_node(boost::asio::any_io_executor ex, options o) : owned_(std::in_place, ex, std::move(o)), client_(*owned_) {}
  /// Uses `c`, which must outlive this object.
  explicit single_node(client& c) : client_(c) {}

  boost::asio::awaitable<reply> send(std::string encoded, retry policy, int, time_point deadline) override {
    return client_.send(std::move(encoded), policy, deadline);
  }
  void async_send(std::string encoded, retry policy, int, time_point deadline,
                  boost::asio::any_completion_handler<completion> handler) override {
    client_.async_send(std::move(encoded), policy, deadline, std::move(handler));
  }
  bool clustered() const noexcept override { return false; }
  boost::asio::awaitable<std::vector<std::string>> masters() override;
  boost::asio::awaitable<reply> send_to(std::string, std::string encoded, retry policy) override {
    return client_.send(std::move(encoded), policy);
  }
  boost::asio::awaitable<void> close() override { return client_.close(); }
  const redis::stats& stats() const noexcept override { return client_.stats(); }
  std::string_view server_run_id() const noexcept override { return client_.server_run_id(); }

 private:
  std::optional<client> owned_;
  client& client_;
};

}  // namespace bakewind::redis
