#pragma once
// Redis Cluster behind the connection interface (DESIGN.md "Redis client"):
// - the slot map comes from CLUSTER SLOTS, asked of any node that answers
//   (known masters, then replicas, then the seeds), on first use, every
//   refresh_period, and in the background whenever a node redirects us or a
//   connection fails (one refresh at a time; requests in between coalesce);
// - one pipelined redis::client per master (its reconnects, deadlines and
//   retry policy as in single-node mode); each command goes to the master of
//   its slot, keyless ones to any connected master;
// - MOVED: the slot is re-pointed at once and the command re-sent there;
//   ASK: ASKING and the command are queued back to back on the target's
//   connection (nothing can come between), the map is left alone; at most
//   max_redirects per command;
// - TRYAGAIN / CLUSTERDOWN, or a master that cannot be reached (the command
//   never left us): a short wait, a map refresh, and another try;
// - a command that may have run (connection lost after it was written, not
//   idempotent) is never re-sent: it fails, as with one node;
// - every command ends by its deadline (options::command_timeout from when it
//   was issued), however many redirects and retries it went through.
// Not thread-safe: every call on the executor's thread (one cluster per loop).

#include "redis/connection.hpp"
#include "redis/slot_map.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <vector>

namespace bakewind::redis {

/// How to find and follow a cluster; the per-node settings (user, password,
/// TLS, timeouts) come from redis::options, with database 0.
struct cluster_options {
  std::vector<node_address> seeds;                  ///< REDIS_CLUSTER_NODES, or REDIS_URL's node
  std::chrono::milliseconds refresh_period{30000};  ///< the map is read again this often anyway
  std::chrono::milliseconds refresh_spacing{100};   ///< least time between two background refreshes
  std::chrono::milliseconds retry_delay{25};        ///< first wait before a retry; grows by as much each time
  std::chrono::milliseconds max_retry_delay{200};   ///< longest wait between retries
  int max_redirects = 5;                            ///< MOVED / ASK followed per command
};

/// What the cluster client did, for tests and logs: readable from any thread.
struct cluster_figures {
  std::atomic<std::uint64_t> moved{0};      ///< MOVED replies followed
  std::atomic<std::uint64_t> asked{0};      ///< ASK replies followed
  std::atomic<std::uint64_t> retried{0};    ///< commands re-sent after TRYAGAIN, CLUSTERDOWN or an unreachable node
  std::atomic<std::uint64_t> refreshes{0};  ///< slot maps read
  std::atomic<std::uint64_t> failed_refreshes{0};  ///< refreshes that found no node to answer
  std::atomic<std::uint64_t> retired{0};           ///< clients closed: of nodes no longer masters, and map probes
};

namespace detail {
struct cluster_state;
}

class cluster final : public connection {
 public:
  /// Connects nothing yet; the first command reads the map. `node_options`
  /// gives every node's user, password, TLS and timing (host and port are
  /// replaced per node). Throws core::config_error for a bad TLS setup or no seeds.
  cluster(boost::asio::any_io_executor ex, options node_options, cluster_options c);
  /// Fails what is still pending with error::closed; call close() first for a clean QUIT.
  ~cluster() override;
  cluster(const cluster&) = delete;
  cluster& operator=(const cluster&) = delete;

  boost::asio::awaitable<reply> send(std::string encoded, retry policy, int slot, time_point deadline) override;
  void async_send(std::string encoded, retry policy, int slot, time_point deadline,
                  boost::asio::any_completion_handler<completion> handler) override;
  bool clustered() const noexcept override { return true; }
  boost::asio::awaitable<std::vector<std::string>> masters() override;
  boost::asio::awaitable<reply> send_to(std::string node, std::string encoded, retry policy) override;
  boost::asio::awaitable<void> close() override;
  const redis::stats& stats() const noexcept override;

  /// The slot map as known now (empty before the first refresh).
  const slot_map& map() const noexcept;

  /// Reads the map again now (in the background; coalesced with one running).
  void refresh();

  /// Redirects, retries and refreshes so far.
  const cluster_figures& figures() const noexcept;

 private:
  std::shared_ptr<detail::cluster_state> state_;
};

}  // namespace bakewind::redis
