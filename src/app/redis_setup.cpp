#include "app/redis_setup.hpp"

#include "core/error.hpp"

namespace bakewind::app {

std::optional<redis::cluster_options> cluster_options_from(const core::config& cfg, const redis::options& node) {
  if (!cfg.redis_cluster) return std::nullopt;
  if (node.database != 0) {
    throw core::config_error("REDIS_URL", "must name database 0 (or none) with Redis Cluster, which has only that one");
  }
  redis::cluster_options c;
  for (const auto& n : cfg.redis_cluster_nodes) c.seeds.push_back({n.host, n.port});
  // REDIS_CLUSTER=true without a list: REDIS_URL names one node, any node.
  if (c.seeds.empty()) c.seeds.push_back({node.host, node.port});
  return c;
}

std::unique_ptr<redis::connection> make_redis_connection(const boost::asio::any_io_executor& ex,
                                                         const redis::options& node,
                                                         const std::optional<redis::cluster_options>& cluster) {
  if (cluster) return std::make_unique<redis::cluster>(ex, node, *cluster);
  return std::make_unique<redis::single_node>(ex, node);
}

event_subscription::event_subscription(const boost::asio::any_io_executor& ex, const redis::options& node,
                                       const std::optional<redis::cluster_options>& cluster,
                                       redis::subscriber::handler on_message, const redis::cluster* known) {
  if (!cluster) {
    single_ = std::make_unique<redis::subscriber>(ex, node, std::move(on_message));
    return;
  }
  redis::cluster_subscriber::node_source more;
  if (known != nullptr) {
    more = [known] {
      std::vector<redis::node_address> nodes = known->map().masters();
      const auto& replicas = known->map().replicas();
      nodes.insert(nodes.end(), replicas.begin(), replicas.end());
      return nodes;
    };
  }
  cluster_ = std::make_unique<redis::cluster_subscriber>(ex, node, cluster->seeds, std::move(on_message),
                                                         std::move(more));
}

event_subscription::~event_subscription() = default;

void event_subscription::subscribe(std::string channel) {
  if (single_) {
    single_->subscribe(std::move(channel));
  } else {
    cluster_->subscribe(std::move(channel));
  }
}

void event_subscription::close() noexcept {
  if (single_) single_->close();
  if (cluster_) cluster_->close();
}

const redis::stats& event_subscription::stats() const noexcept {
  return single_ ? single_->stats() : cluster_->stats();
}

}  // namespace bakewind::app
