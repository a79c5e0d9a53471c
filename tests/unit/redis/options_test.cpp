// REDIS_URL parsing (every form the issue lists, and malformed ones) and the
// reconnect delay.

#include "core/error.hpp"
#include "redis/options.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace bakewind::redis {
namespace {

// Asserts that `url` is refused naming REDIS_URL; returns the message.
std::string refused(const std::string& url) {
  try {
    parse_url(url);
  } catch (const core::config_error& e) {
    EXPECT_EQ(e.variable(), "REDIS_URL") << url;
    EXPECT_NE(std::string(e.what()).find("REDIS_URL"), std::string::npos) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "accepted: " << url;
  return {};
}

TEST(parse_url, host_and_port) {
  const auto o = parse_url("redis://cache.internal:6380");
  EXPECT_EQ(o.host, "cache.internal");
  EXPECT_EQ(o.port, 6380);
  EXPECT_EQ(o.username, "");
  EXPECT_EQ(o.password, "");
  EXPECT_EQ(o.database, 0);
  EXPECT_FALSE(o.tls);
}

TEST(parse_url, default_port_is_6379) {
  EXPECT_EQ(parse_url("redis://localhost").port, 6379);
  EXPECT_EQ(parse_url("redis://localhost/").port, 6379);
  EXPECT_EQ(parse_url("rediss://localhost").port, 6379);
}

TEST(parse_url, password_without_user) {
  const auto o = parse_url("redis://:s3cret@localhost:6379");
  EXPECT_EQ(o.username, "");
  EXPECT_EQ(o.password, "s3cret");
  EXPECT_EQ(o.host, "localhost");
}

TEST(parse_url, acl_user_password_and_database) {
  const auto o = parse_url("redis://alice:pw@10.0.0.5:6379/2");
  EXPECT_EQ(o.username, "alice");
  EXPECT_EQ(o.password, "pw");
  EXPECT_EQ(o.host, "10.0.0.5");
  EXPECT_EQ(o.port, 6379);
  EXPECT_EQ(o.database, 2);
}

TEST(parse_url, percent_encoded_credentials_are_decoded) {
  const auto o = parse_url("redis://al%40ice:p%3Aw%2F@localhost");
  EXPECT_EQ(o.username, "al@ice");
  EXPECT_EQ(o.password, "p:w/");
}

TEST(parse_url, rediss_turns_tls_on_and_keeps_verification) {
  const auto o = parse_url("rediss://:pw@redis.example.com:6380/1");
  EXPECT_TRUE(o.tls);
  EXPECT_FALSE(o.tls_insecure);
  EXPECT_EQ(o.host, "redis.example.com");
  EXPECT_EQ(o.port, 6380);
  EXPECT_EQ(o.password, "pw");
  EXPECT_EQ(o.database, 1);
}

TEST(parse_url, ipv6_host_without_brackets) {
  const auto o = parse_url("redis://[::1]:6390");
  EXPECT_EQ(o.host, "::1");
  EXPECT_EQ(o.port, 6390);
  EXPECT_EQ(parse_url("redis://[2001:db8::7]/3").host, "2001:db8::7");
}

TEST(parse_url, database_bounds) {
  EXPECT_EQ(parse_url("redis://h/0").database, 0);
  EXPECT_EQ(parse_url("redis://h/15").database, 15);
}

TEST(parse_url, timing_fields_keep_their_defaults) {
  const auto o = parse_url("redis://h");
  const options defaults;
  EXPECT_EQ(o.command_timeout, defaults.command_timeout);
  EXPECT_EQ(o.connect_timeout, defaults.connect_timeout);
  EXPECT_EQ(o.max_retries_per_request, 3);
  EXPECT_EQ(o.client_name, "bakewind");
}

TEST(parse_url, a_bad_scheme_is_refused) {
  EXPECT_NE(refused("http://localhost:6379").find("scheme"), std::string::npos);
  refused("localhost:6379");
  refused("tcp://localhost:6379");
}

TEST(parse_url, a_database_that_is_not_a_number_is_refused) {
  EXPECT_NE(refused("redis://localhost:6379/abc").find("database"), std::string::npos);
  refused("redis://localhost:6379/2x");
  refused("redis://localhost:6379/-1");
  refused("redis://localhost:6379/1/2");
}

TEST(parse_url, database_16_is_refused) { refused("redis://localhost:6379/16"); }

TEST(parse_url, no_host_is_refused) {
  EXPECT_NE(refused("redis://:6379").find("host"), std::string::npos);
  refused("redis:///2");
  refused("redis:localhost");
}

TEST(parse_url, a_bad_port_is_refused) {
  refused("redis://localhost:0");
  refused("redis://localhost:70000");
  refused("redis://localhost:port");
}

TEST(parse_url, garbage_is_refused) {
  refused("");
  refused("redis://local host");
}

TEST(reconnect_delay, grows_by_50ms_per_attempt_up_to_2s) {
  for (int attempt = 1; attempt <= 50; ++attempt) {
    EXPECT_EQ(reconnect_delay(attempt), std::chrono::milliseconds(std::min(attempt * 50, 2000))) << attempt;
  }
  EXPECT_EQ(reconnect_delay(1), std::chrono::milliseconds(50));
  EXPECT_EQ(reconnect_delay(40), std::chrono::milliseconds(2000));
  EXPECT_EQ(reconnect_delay(1000000), std::chrono::milliseconds(2000));
}

}  // namespace
}  // namespace bakewind::redis
