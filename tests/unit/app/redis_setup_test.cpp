// Which Redis the configuration asks for: one server or a cluster, and the
// cluster's seeds (REDIS_CLUSTER_NODES, or REDIS_URL's node with REDIS_CLUSTER).

#include "app/event_loop.hpp"
#include "app/redis_setup.hpp"
#include "core/error.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

namespace bakewind::app {
namespace {

core::config config_of(std::vector<std::pair<const char*, std::string>> vars) {
  return core::load_config([vars](const char* name) -> std::optional<std::string> {
    for (const auto& [k, v] : vars) {
      if (std::string_view(k) == name) return v;
    }
    return std::nullopt;
  });
}

TEST(redis_setup, single_node_mode_without_cluster_settings) {
  const auto cfg = config_of({{"REDIS_URL", "redis://cache:6380/2"}});
  EXPECT_FALSE(cluster_options_from(cfg, redis_options_from(cfg)).has_value());
  boost::asio::io_context io;
  const auto link = make_redis_connection(io.get_executor(), redis_options_from(cfg), std::nullopt);
  EXPECT_FALSE(link->clustered());
}

TEST(redis_setup, the_node_list_gives_the_seeds_and_redis_url_the_credentials) {
  const auto cfg = config_of({{"REDIS_URL", "redis://app:secret@ignored:1"}, {"REDIS_CLUSTER_NODES", "n1:7000,n2:7001"}});
  const auto node = redis_options_from(cfg);
  const auto cluster = cluster_options_from(cfg, node);
  ASSERT_TRUE(cluster.has_value());
  ASSERT_EQ(cluster->seeds.size(), 2U);
  EXPECT_EQ(cluster->seeds[0].text(), "n1:7000");
  EXPECT_EQ(cluster->seeds[1].text(), "n2:7001");
  EXPECT_EQ(node.username, "app");
  EXPECT_EQ(node.password, "secret");
  boost::asio::io_context io;
  const auto link = make_redis_connection(io.get_executor(), node, cluster);
  EXPECT_TRUE(link->clustered());
}

TEST(redis_setup, redis_cluster_true_makes_redis_urls_node_the_seed) {
  const auto cfg = config_of({{"REDIS_URL", "rediss://:pw@node-3.internal:7002"}, {"REDIS_CLUSTER", "true"}});
  const auto node = redis_options_from(cfg);
  const auto cluster = cluster_options_from(cfg, node);
  ASSERT_TRUE(cluster.has_value());
  ASSERT_EQ(cluster->seeds.size(), 1U);
  EXPECT_EQ(cluster->seeds[0].text(), "node-3.internal:7002");
  EXPECT_TRUE(node.tls) << "rediss:// applies to every node";
}

TEST(redis_setup, a_database_other_than_0_is_refused_in_cluster_mode) {
  const auto cfg = config_of({{"REDIS_URL", "redis://n1:7000/3"}, {"REDIS_CLUSTER", "on"}});
  try {
    cluster_options_from(cfg, redis_options_from(cfg));
    FAIL() << "accepted database 3";
  } catch (const core::config_error& e) {
    EXPECT_NE(std::string(e.what()).find("REDIS_URL"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace bakewind::app
