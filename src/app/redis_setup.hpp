#pragma once
// Which Redis the configuration asks for (one server or a cluster), built
// for one event loop; and the pub/sub connection that fits it.

#include "core/config.hpp"
#include "redis/cluster.hpp"
#include "redis/cluster_subscriber.hpp"
#include "redis/connection.hpp"
#include "redis/subscriber.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <memory>
#include <optional>

namespace bakewind::app {

/// Cluster mode's seeds (REDIS_CLUSTER_NODES, or REDIS_URL's node with
/// REDIS_CLUSTER=true); nullopt in single-node mode. Throws
/// core::config_error("REDIS_URL", ...) when it names a database other than
/// 0 in cluster mode (a cluster has only database 0).
std::optional<redis::cluster_options> cluster_options_from(const core::config& cfg, const redis::options& node);

/// A loop's connection: a redis::cluster when `cluster` is set, else one
/// client (redis::single_node). Connects nothing yet.
std::unique_ptr<redis::connection> make_redis_connection(const boost::asio::any_io_executor& ex,
                                                         const redis::options& node,
                                                         const std::optional<redis::cluster_options>& cluster);

/// The pub/sub connection: a redis::subscriber on the one server, or a
/// redis::cluster_subscriber on any node of the cluster.
class event_subscription {
 public:
  /// `known` (may be null) names the cluster's nodes beyond the seeds; it must
  /// outlive this object and live on `ex`'s thread.
  event_subscription(const boost::asio::any_io_executor& ex, const redis::options& node,
                     const std::optional<redis::cluster_options>& cluster, redis::subscriber::handler on_message,
                     const redis::cluster* known);
  ~event_subscription();

  void subscribe(std::string channel);
  void close() noexcept;
  const redis::stats& stats() const noexcept;

 private:
  std::unique_ptr<redis::subscriber> single_;            ///< single-node mode
  std::unique_ptr<redis::cluster_subscriber> cluster_;   ///< cluster mode
};

}  // namespace bakewind::app
