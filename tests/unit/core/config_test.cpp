#include "core/config.hpp"
#include "core/error.hpp"

#include <gtest/gtest.h>

#include <map>

namespace bakewind::core {
namespace {

config load(std::map<std::string, std::string> vars) {
  return load_config([vars = std::move(vars)](const char* name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  });
}

// Asserts that loading fails naming `variable`, and returns the message.
std::string failure(std::map<std::string, std::string> vars, const std::string& variable) {
  try {
    load(std::move(vars));
  } catch (const config_error& e) {
    EXPECT_EQ(e.variable(), variable);
    EXPECT_NE(std::string(e.what()).find(variable), std::string::npos) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no config_error for " << variable;
  return {};
}

TEST(config, defaults_match_the_design) {
  const auto c = load({});
  EXPECT_EQ(c.port, 8080);
  EXPECT_EQ(c.host, "127.0.0.1");
  EXPECT_EQ(c.site_port, 3000);
  EXPECT_EQ(c.admin_port, 3001);
  EXPECT_GE(c.threads, 1u);
  EXPECT_EQ(c.redis_url, "redis://localhost:6379");
  EXPECT_EQ(c.database_url, "postgres://bakewind:bakewind@localhost:5432/bakewind");
  EXPECT_EQ(c.jwt_access_ttl.count(), 900);
  EXPECT_EQ(c.jwt_refresh_ttl.count(), 604800);
  EXPECT_EQ(c.order_lock_ttl.count(), 300);
  EXPECT_EQ(c.transfer_ttl.count(), 60);
  EXPECT_EQ(c.revocation, revocation_fallback::postgres);
  EXPECT_TRUE(c.rate_limits);
  EXPECT_TRUE(c.pg_prepared_statements);
  EXPECT_EQ(c.rate_limit_login_per_min, 10u);
  EXPECT_EQ(c.rate_limit_login_ip_per_min, 100u);
  EXPECT_EQ(c.rate_limit_claim_per_min, 30u);
  EXPECT_EQ(c.rate_limit_register_per_hour, 10u);
  EXPECT_EQ(c.cors_origins, (std::vector<std::string>{"http://localhost:3000", "http://localhost:3001"}));
  EXPECT_EQ(c.request_timeout.count(), 10000);
}

TEST(config, values_from_the_environment_are_used) {
  const auto c = load({{"PORT", "9090"},
                       {"THREADS", "3"},
                       {"REDIS_URL", "rediss://user:pw@cache:6380/2"},
                       {"DATABASE_URL", "postgresql://u:p@db:5433/x"},
                       {"RATE_LIMITS", "off"},
                       {"PG_PREPARED_STATEMENTS", "off"},
                       {"REVOCATION_FALLBACK", "deny"},
                       {"CORS_ORIGINS", "https://a.example, http://b.example:8080"},
                       {"LOG_LEVEL", "debug"},
                       {"LOG_FORMAT", "json"},
                       {"REDIS_SENTINELS", "s1:26379,s2:26380"},
                       {"REDIS_SENTINEL_NAME", "mymaster"},
                       {"REDIS_SENTINEL_USERNAME", "watcher"},
                       {"REDIS_SENTINEL_PASSWORD", "s3cret"}});
  EXPECT_EQ(c.port, 9090);
  EXPECT_EQ(c.threads, 3u);
  EXPECT_EQ(c.redis_url, "rediss://user:pw@cache:6380/2");
  EXPECT_EQ(c.database_url, "postgresql://u:p@db:5433/x");
  EXPECT_FALSE(c.rate_limits);
  EXPECT_FALSE(c.pg_prepared_statements);
  EXPECT_EQ(c.revocation, revocation_fallback::deny);
  EXPECT_EQ(c.cors_origins, (std::vector<std::string>{"https://a.example", "http://b.example:8080"}));
  EXPECT_EQ(c.level, log_level::debug);
  EXPECT_EQ(c.format, log_format::json);
  ASSERT_EQ(c.redis_sentinels.size(), 2u);
  EXPECT_EQ(c.redis_sentinels[1].host, "s2");
  EXPECT_EQ(c.redis_sentinels[1].port, 26380);
  EXPECT_EQ(c.redis_sentinel_name, "mymaster");
  EXPECT_EQ(c.redis_sentinel_username, "watcher");
  EXPECT_EQ(c.redis_sentinel_password, "s3cret");
}

TEST(config, web_dir_defaults_to_the_checkout_web_folder_and_follows_web_dir) {
  const auto defaults = load({});
  EXPECT_EQ(defaults.web_dir, default_web_dir());
  EXPECT_EQ(defaults.web_dir.front(), '/') << defaults.web_dir;
  EXPECT_TRUE(defaults.web_dir.ends_with("/web")) << defaults.web_dir;
  EXPECT_EQ(load({{"WEB_DIR", "/srv/bakewind/web"}}).web_dir, "/srv/bakewind/web");
  EXPECT_EQ(load({{"WEB_DIR", ""}}).web_dir, default_web_dir());
}

TEST(config, empty_value_means_default) {
  EXPECT_EQ(load({{"PORT", ""}}).port, 8080);
}

TEST(config, bad_port_names_the_variable_and_the_range) {
  EXPECT_NE(failure({{"PORT", "abc"}}, "PORT").find("1 to 65535"), std::string::npos);
  failure({{"PORT", "70000"}}, "PORT");
  failure({{"PORT", "0"}}, "PORT");
  failure({{"PORT", "80x"}}, "PORT");
  failure({{"ADMIN_PORT", "-1"}}, "ADMIN_PORT");
}

TEST(config, web_app_urls_default_to_localhost_and_set_the_cors_default) {
  const auto c = load({{"SITE_PORT", "4000"}, {"ADMIN_PORT", "4001"}});
  EXPECT_TRUE(c.public_api_url.empty());  // http://localhost:PORT, filled in by the app
  EXPECT_EQ(c.cors_origins, (std::vector<std::string>{"http://localhost:4000", "http://localhost:4001"}));

  const auto set = load({{"PUBLIC_API_URL", "https://api.bakewind.test/"},
                         {"PUBLIC_SITE_URL", "https://bakewind.test"},
                         {"PUBLIC_ADMIN_URL", "https://admin.bakewind.test"}});
  EXPECT_EQ(set.public_api_url, "https://api.bakewind.test");
  EXPECT_EQ(set.cors_origins, (std::vector<std::string>{"https://bakewind.test", "https://admin.bakewind.test"}));

  // Port 0 (pick a free one) adds no default origin; CORS_ORIGINS always wins.
  EXPECT_EQ(load({{"SITE_PORT", "0"}, {"ADMIN_PORT", "3001"}}).cors_origins,
            (std::vector<std::string>{"http://localhost:3001"}));
  EXPECT_EQ(load({{"SITE_PORT", "0"}, {"CORS_ORIGINS", "https://x.test"}}).cors_origins,
            (std::vector<std::string>{"https://x.test"}));
  failure({{"PUBLIC_API_URL", "localhost:8080"}}, "PUBLIC_API_URL");
  failure({{"PUBLIC_ADMIN_URL", "http://a.test/admin"}}, "PUBLIC_ADMIN_URL");
  failure({{"PUBLIC_SITE_URL", "http://a.test,http://b.test"}}, "PUBLIC_SITE_URL");
}

TEST(config, bad_numbers_are_refused) {
  failure({{"THREADS", "0"}}, "THREADS");
  failure({{"JWT_ACCESS_TTL", "ten"}}, "JWT_ACCESS_TTL");
  failure({{"RATE_LIMIT_LOGIN_PER_MIN", "0"}}, "RATE_LIMIT_LOGIN_PER_MIN");
  failure({{"PG_POOL_SIZE", "99999"}}, "PG_POOL_SIZE");
}

TEST(config, bad_urls_are_refused) {
  failure({{"REDIS_URL", "http://localhost:6379"}}, "REDIS_URL");
  failure({{"REDIS_URL", "not a url"}}, "REDIS_URL");
  failure({{"DATABASE_URL", "mysql://x/y"}}, "DATABASE_URL");
  failure({{"CORS_ORIGINS", "localhost:3000"}}, "CORS_ORIGINS");
  failure({{"CORS_ORIGINS", "http://a.example/path"}}, "CORS_ORIGINS");
}

TEST(config, bad_words_are_refused) {
  failure({{"LOG_LEVEL", "loud"}}, "LOG_LEVEL");
  failure({{"LOG_FORMAT", "xml"}}, "LOG_FORMAT");
  failure({{"RATE_LIMITS", "maybe"}}, "RATE_LIMITS");
  failure({{"PG_PREPARED_STATEMENTS", "sometimes"}}, "PG_PREPARED_STATEMENTS");
  failure({{"REVOCATION_FALLBACK", "allow"}}, "REVOCATION_FALLBACK");
  failure({{"BAKEWIND_ENV", "staging"}}, "BAKEWIND_ENV");
  failure({{"ACCESS_LOG", "sometimes"}}, "ACCESS_LOG");
}

TEST(config, a_word_not_among_the_choices_is_refused_listing_them) {
  EXPECT_NE(failure({{"LOG_FORMAT", "xml"}}, "LOG_FORMAT").find("must be json, text or auto"), std::string::npos);
  EXPECT_NE(failure({{"ACCESS_LOG", "on "}}, "ACCESS_LOG").find("must be on, errors or off"), std::string::npos);
  EXPECT_NE(failure({{"REVOCATION_FALLBACK", "allow"}}, "REVOCATION_FALLBACK").find("must be postgres or deny"),
            std::string::npos);
  EXPECT_EQ(load({}).access_log, access_log::on);
  EXPECT_EQ(load({{"ACCESS_LOG", "errors"}}).access_log, access_log::errors);
  EXPECT_EQ(load({{"ACCESS_LOG", "off"}}).access_log, access_log::off);
  EXPECT_EQ(load({{"LOG_FORMAT", "auto"}}).format, log_format::automatic);
  EXPECT_EQ(load({{"REVOCATION_FALLBACK", "postgres"}}).revocation, revocation_fallback::postgres);
}

TEST(config, production_requires_a_long_secret) {
  failure({{"BAKEWIND_ENV", "production"}}, "JWT_SECRET");
  failure({{"JWT_SECRET", "short"}}, "JWT_SECRET");
  const std::string secret(32, 'k');
  EXPECT_EQ(load({{"BAKEWIND_ENV", "production"}, {"JWT_SECRET", secret}}).jwt_secret, secret);
}

TEST(config, a_rejected_secret_is_not_echoed) {
  const std::string secret = "hunter2-hunter2";
  const auto message = failure({{"JWT_SECRET", secret}}, "JWT_SECRET");
  EXPECT_EQ(message.find(secret), std::string::npos) << message;
}

TEST(config, cluster_mode_comes_from_the_node_list_or_the_switch) {
  EXPECT_FALSE(load({}).redis_cluster);
  const auto listed = load({{"REDIS_CLUSTER_NODES", "n1:7000,n2:7001"}});
  EXPECT_TRUE(listed.redis_cluster);
  ASSERT_EQ(listed.redis_cluster_nodes.size(), 2u);
  EXPECT_EQ(listed.redis_cluster_nodes[1].port, 7001);
  const auto switched = load({{"REDIS_CLUSTER", "true"}, {"REDIS_URL", "redis://:pw@n1:7000"}});
  EXPECT_TRUE(switched.redis_cluster);
  EXPECT_TRUE(switched.redis_cluster_nodes.empty()) << "REDIS_URL's node is the seed";
  EXPECT_FALSE(load({{"REDIS_CLUSTER", "false"}}).redis_cluster);
  failure({{"REDIS_CLUSTER", "maybe"}}, "REDIS_CLUSTER");
  failure({{"REDIS_CLUSTER", "false"}, {"REDIS_CLUSTER_NODES", "n1:7000"}}, "REDIS_CLUSTER");
  failure({{"REDIS_CLUSTER", "true"}, {"REDIS_SENTINELS", "a:1"}, {"REDIS_SENTINEL_NAME", "m"}}, "REDIS_CLUSTER");
  failure({{"REDIS_CLUSTER_NODES", "n1"}}, "REDIS_CLUSTER_NODES");
}

TEST(config, sentinels_need_a_name_and_exclude_cluster) {
  failure({{"REDIS_SENTINELS", "a:1"}}, "REDIS_SENTINEL_NAME");
  failure({{"REDIS_SENTINELS", "a"}, {"REDIS_SENTINEL_NAME", "m"}}, "REDIS_SENTINELS");
  failure({{"REDIS_SENTINELS", "a:1"}, {"REDIS_SENTINEL_NAME", "m"}, {"REDIS_CLUSTER_NODES", "b:2"}},
          "REDIS_CLUSTER_NODES");
}

}  // namespace
}  // namespace bakewind::core
