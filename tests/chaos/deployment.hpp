#pragma once
// The three-instance deployment the fault tests run against, all real and
// on free ports: PostgreSQL with PgBouncer (transaction pooling) in front,
// Redis, three `bakewind serve` instances, and haproxy balancing over them
// with health checks on /health/ready.

#include "traffic.hpp"

#include "support/haproxy_server.hpp"
#include "support/pgbouncer_server.hpp"
#include "support/redis_cluster.hpp"
#include "support/redis_sentinel_group.hpp"

#include <chrono>
#include <memory>
#include <optional>

namespace bakewind::test::chaos {

/// Which Redis the instances use.
enum class redis_topology {
  single,    ///< one redis-server
  sentinel,  ///< a master, a replica and three Sentinels (REDIS_SENTINELS)
  cluster,   ///< a Redis Cluster of 3 masters + 3 replicas (REDIS_CLUSTER_NODES)
};

class deployment {
 public:
  /// Starts everything and migrates the database (straight to PostgreSQL).
  /// `extra` is added to every instance's environment.
  explicit deployment(redis_topology topology = redis_topology::single, int instances = 3, env_list extra = {});

  /// The port clients use (haproxy).
  std::uint16_t port() const noexcept { return proxy_->port(); }
  /// The database, straight (not through PgBouncer): for checks.
  const std::string& database() const noexcept { return direct_url_; }

  postgres_server& postgres() noexcept { return pg_; }
  /// The PgBouncer the instances reach PostgreSQL through.
  pgbouncer_server& bouncer() noexcept { return bouncer_; }
  /// The single Redis (topology single only).
  redis_server& redis() { return redis_.value(); }
  /// The Sentinel group (topology sentinel only).
  redis_sentinel_group& sentinels() { return sentinels_.value(); }
  /// The Redis Cluster (topology cluster only).
  redis_cluster& cluster() { return cluster_.value(); }
  service& instance(std::size_t i) { return *instances_.at(i); }
  std::size_t instances() const noexcept { return instances_.size(); }

  /// One bakery: an owner and `staff` staff members (live tokens), `orders`
  /// orders, and `revoked` access tokens of its users already logged out.
  fixture make_fixture(int staff, int orders, int revoked);

  /// haproxy's log (unusual requests and health-check transitions).
  std::string proxy_log() const { return proxy_->log(); }
  /// Everything instance `i` printed so far (its JSON log lines).
  std::string instance_log(std::size_t i) const { return instances_.at(i)->process().output(); }

  /// Waits until haproxy answers /health/ready with 200 (all recovered), or `limit`.
  bool wait_ready(std::chrono::milliseconds limit) const;

  /// After the traffic: every order's lock as the API shows it equals the
  /// PostgreSQL record (holder and session), for each order of `f`, within
  /// `limit`. Not at once: after a fault the service repairs Redis from the
  /// record in the background (every 250 ms until it can), so an entry the
  /// record no longer has may stand for a moment after the last answer.
  ::testing::AssertionResult locks_agree(const fixture& f,
                                         std::chrono::milliseconds limit = std::chrono::seconds(5)) const;

 private:
  ::testing::AssertionResult locks_agree_now(const fixture& f) const;

  postgres_server pg_;
  std::string direct_url_;
  pgbouncer_server bouncer_;
  std::optional<redis_server> redis_;
  std::optional<redis_sentinel_group> sentinels_;
  std::optional<redis_cluster> cluster_;
  std::vector<std::unique_ptr<service>> instances_;
  std::optional<haproxy_server> proxy_;
};

}  // namespace bakewind::test::chaos
