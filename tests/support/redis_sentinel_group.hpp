#pragma once
// A real Redis Sentinel deployment for tests: one master, one replica and
// three Sentinels (`redis-server <conf> --sentinel`), on free ports of
// 127.0.0.1, each in its own folder.

#include "support/child_process.hpp"
#include "support/redis_server.hpp"
#include "support/temp_dir.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace bakewind::test {

/// How to start a redis_sentinel_group beyond the defaults.
struct sentinel_group_options {
  /// The master's name in the Sentinels (REDIS_SENTINEL_NAME).
  std::string name = "mymaster";
  /// When set, the Sentinels require it (requirepass, and sentinel-pass
  /// between them).
  std::string sentinel_password;
};

/// Starts the master, the replica (--replicaof) and three Sentinels
/// (`sentinel monitor NAME 127.0.0.1 PORT 2`, down-after 1 s, failover
/// timeout 3 s), and waits until every Sentinel sees the master, the
/// replica in sync and the two other Sentinels. The destructor kills
/// everything (paused processes included) and removes the folders. Throws
/// std::runtime_error, with the logs, when that takes more than 15 s.
/// Not thread-safe; blocking (it runs redis-cli).
class redis_sentinel_group {
 public:
  explicit redis_sentinel_group(sentinel_group_options options = {});
  ~redis_sentinel_group();
  redis_sentinel_group(const redis_sentinel_group&) = delete;
  redis_sentinel_group& operator=(const redis_sentinel_group&) = delete;

  /// The master's name in the Sentinels.
  const std::string& name() const noexcept { return options_.name; }
  /// The Sentinels' ports, in a fixed order.
  std::vector<std::uint16_t> sentinel_ports() const;
  /// The ports of the two data nodes: the first master, then the first replica.
  std::vector<std::uint16_t> data_ports() const;

  /// The master's port as the first running, unpaused Sentinel names it now;
  /// 0 when none answers.
  std::uint16_t master_port() const;
  /// Until `limit`, waits for every running, unpaused Sentinel to name a master
  /// other than `old_port` and for that node to say ROLE master; its port, or
  /// 0 when that did not happen in time.
  std::uint16_t wait_for_new_master(std::uint16_t old_port, std::chrono::milliseconds limit) const;
  /// SENTINEL FAILOVER on the first running, unpaused Sentinel; throws
  /// std::runtime_error unless it answers OK.
  void failover() const;

  /// SIGKILLs the node (data node or Sentinel) on `port`; it stays down.
  void kill(std::uint16_t port);
  /// SIGSTOPs the node on `port`: it holds its connections and says nothing.
  void pause(std::uint16_t port);
  /// SIGCONTs a paused node.
  void resume(std::uint16_t port);
  /// The pid of the node on `port`, -1 when it is not running.
  int pid(std::uint16_t port) const;

  /// redis-cli against the node on `port` (the Sentinel password added for a
  /// Sentinel): its output without the last newline, one line per element.
  std::string cli(std::uint16_t port, const std::vector<std::string>& command) const;
  /// Every node's log, for failure messages.
  std::string logs() const;

 private:
  struct sentinel_node {
    temp_dir dir;
    std::uint16_t port = 0;
    std::string id;
    std::optional<child_process> process;
  };

  void write_sentinel_conf(sentinel_node& s) const;
  void wait_until_ready() const;
  bool is_sentinel(std::uint16_t port) const;
  bool usable(std::uint16_t port) const;

  sentinel_group_options options_;
  std::unique_ptr<redis_server> master_;
  std::unique_ptr<redis_server> replica_;
  std::vector<sentinel_node> sentinels_;
  std::set<std::uint16_t> paused_;
  std::set<std::uint16_t> killed_;
};

}  // namespace bakewind::test
