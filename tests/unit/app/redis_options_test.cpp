// redis_options_from: what the configuration hands the Redis client, in
// particular Sentinel mode (Sentinels, name and their credentials; the data
// nodes' credentials and database still from REDIS_URL).

#include "app/event_loop.hpp"

#include <gtest/gtest.h>

namespace bakewind::app {
namespace {

TEST(redis_options_from, sentinel_mode_carries_sentinels_name_and_their_credentials) {
  core::config cfg;
  cfg.redis_url = "redis://app:data-pw@ignored:7000/2";
  cfg.redis_sentinels = {{"s1", 26379}, {"s2", 26380}};
  cfg.redis_sentinel_name = "mymaster";
  cfg.redis_sentinel_username = "watcher";
  cfg.redis_sentinel_password = "s3cret";
  const auto o = redis_options_from(cfg);
  ASSERT_EQ(o.sentinels.size(), 2u);
  EXPECT_EQ(o.sentinels[0], (redis::server_address{"s1", 26379}));
  EXPECT_EQ(o.sentinels[1], (redis::server_address{"s2", 26380}));
  EXPECT_EQ(o.sentinel_master, "mymaster");
  EXPECT_EQ(o.sentinel_username, "watcher");
  EXPECT_EQ(o.sentinel_password, "s3cret");
  EXPECT_EQ(o.username, "app");
  EXPECT_EQ(o.password, "data-pw");
  EXPECT_EQ(o.database, 2);
}

TEST(redis_options_from, without_sentinels_the_url_names_the_server) {
  core::config cfg;
  cfg.redis_url = "redis://cache:6380";
  const auto o = redis_options_from(cfg);
  EXPECT_TRUE(o.sentinels.empty());
  EXPECT_EQ(o.host, "cache");
  EXPECT_EQ(o.port, 6380);
}

}  // namespace
}  // namespace bakewind::app
