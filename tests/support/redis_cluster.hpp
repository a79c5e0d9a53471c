#pragma once
// A real Redis Cluster for tests: masters and replicas (redis-server
// --cluster-enabled yes), each on free ports with its own folder, joined by
// `redis-cli --cluster create`, and helpers that look at it and disturb it the
// way an operator would (kill a master, move a slot), all through redis-cli.

#include "support/redis_server.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace bakewind::test {

/// Runs redis-cli against 127.0.0.1:`port` (without -c: redirections are
/// shown, not followed) and returns its output without the last newline.
/// Throws std::runtime_error when it does not exit within `timeout`.
std::string redis_cli(std::uint16_t port, const std::vector<std::string>& args,
                      std::chrono::milliseconds timeout = std::chrono::seconds(5));

/// How to start a redis_cluster.
struct redis_cluster_options {
  int masters = 3;
  int replicas_per_master = 1;
  int node_timeout_ms = 1000;  ///< cluster-node-timeout: how soon a dead master is failed over
};

/// One node as CLUSTER NODES describes it.
struct cluster_node_info {
  std::string id;
  std::uint16_t port = 0;
  bool master = false;
  bool failed = false;                     ///< flagged fail (or pfail)
  std::string master_id;                   ///< a replica's master; "-" for a master
  std::vector<std::pair<int, int>> slots;  ///< served ranges, inclusive
};

class redis_cluster {
 public:
  /// Starts the nodes, creates the cluster and waits until every node says
  /// cluster_state:ok and every replica is in sync (at most 60 s). Throws
  /// std::runtime_error with the nodes' logs when that fails.
  explicit redis_cluster(redis_cluster_options options = {});
  /// Stops every node and removes their folders.
  ~redis_cluster();
  redis_cluster(const redis_cluster&) = delete;
  redis_cluster& operator=(const redis_cluster&) = delete;

  /// Every node's port, in start order.
  std::vector<std::uint16_t> ports() const;
  /// "127.0.0.1:p1,127.0.0.1:p2,...": REDIS_CLUSTER_NODES for every node.
  std::string seeds() const;
  /// The node listening on `port`.
  redis_server& node(std::uint16_t port);

  /// CLUSTER NODES as seen by a live node.
  std::vector<cluster_node_info> nodes();
  /// The ports of the masters now (that are not failed).
  std::vector<std::uint16_t> master_ports();
  /// The port of the master serving `slot` now.
  std::uint16_t master_of(int slot);
  /// CLUSTER KEYSLOT `key`, asked of the cluster.
  int keyslot(const std::string& key);

  /// Waits until every running node says cluster_state:ok with all slots
  /// served by masters that are up, and agrees on who serves slot 0; throws
  /// after `limit`.
  void wait_ok(std::chrono::milliseconds limit = std::chrono::seconds(30));

  /// Moves `slot` to the master on `to` step by step, as redis-cli's
  /// reshard does: begin_migration marks it IMPORTING / MIGRATING,
  /// migrate_keys moves up to `count` of its keys (MIGRATE), end_migration
  /// assigns it to `to` on every master.
  void begin_migration(int slot, std::uint16_t to);
  std::size_t migrate_keys(int slot, std::uint16_t to, std::size_t count);
  void end_migration(int slot, std::uint16_t to);

  /// Every node's log, for a failure message.
  std::string logs() const;

 private:
  std::uint16_t any_live_port();
  std::string id_of(std::uint16_t port);

  redis_cluster_options options_;
  std::vector<std::unique_ptr<redis_server>> servers_;
};

}  // namespace bakewind::test
