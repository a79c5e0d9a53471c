#pragma once
// Pub/sub in Redis Cluster. Classic PUBLISH / SUBSCRIBE messages are
// broadcast to every node over the cluster bus, so one subscribed connection
// to any node hears what is published on any other (sharded SSUBSCRIBE would
// pin the one events channel to one slot's node anyway). This keeps one
// redis::subscriber on one node: the first seed at start, and when the
// connection stays down for `switch_after` (the node died; its replica may
// be promoted elsewhere), the next candidate: the seeds, then every node the
// cluster map names. Messages published while it moves are lost, as on any
// reconnect: clients re-read state when they reconnect (API.md).
// Not thread-safe: every call on the executor's thread.

#include "redis/slot_map.hpp"
#include "redis/subscriber.hpp"

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace bakewind::redis {

class cluster_subscriber {
 public:
  /// Nodes worth trying beyond the seeds (e.g. a cluster's map); called on the executor's thread.
  using node_source = std::function<std::vector<node_address>()>;

  /// Connects nothing yet. `node_options` gives user, password, TLS and
  /// timing (host and port are replaced per node). Throws
  /// core::config_error for a bad TLS setup or no seeds.
  cluster_subscriber(boost::asio::any_io_executor ex, options node_options, std::vector<node_address> seeds,
                     subscriber::handler on_message, node_source more_nodes = {},
                     std::chrono::milliseconds switch_after = std::chrono::milliseconds(1000));
  ~cluster_subscriber();
  cluster_subscriber(const cluster_subscriber&) = delete;
  cluster_subscriber& operator=(const cluster_subscriber&) = delete;

  /// Adds a channel (kept across reconnects and node changes); starts the connection.
  void subscribe(std::string channel);

  /// True once every channel is confirmed subscribed on the live connection.
  bool subscribed() const noexcept;

  /// The node subscribed to now (or being tried).
  const node_address& node() const noexcept { return node_; }

  /// Closes the connection; no message is delivered afterwards.
  void close() noexcept;

  /// Summed over every node it was connected to.
  const redis::stats& stats() const noexcept { return stats_; }

 private:
  void connect_to(const node_address& node);
  void move_on();
  void sync_stats();
  static boost::asio::awaitable<void> watch(cluster_subscriber* self, std::shared_ptr<bool> alive);

  boost::asio::any_io_executor executor_;
  options node_options_;
  std::vector<node_address> seeds_;
  subscriber::handler on_message_;
  node_source more_nodes_;
  std::chrono::milliseconds switch_after_;
  std::set<std::string> channels_;
  std::unique_ptr<subscriber> current_;
  node_address node_;
  std::size_t next_ = 0;  ///< candidates tried so far, round robin
  std::chrono::steady_clock::time_point last_up_;
  redis::stats stats_;
  std::uint64_t gone_connects_ = 0;  ///< figures of the subscribers left behind
  std::uint64_t gone_reconnects_ = 0;
  std::uint64_t gone_errors_ = 0;
  std::uint64_t gone_messages_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  ///< false once closed: the watcher ends
  bool started_ = false;
};

}  // namespace bakewind::redis
