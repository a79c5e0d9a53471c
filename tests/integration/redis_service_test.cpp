// redis::service against a real redis-server: every command, TTL semantics,
// scripts with the NOSCRIPT fallback, and error replies as server_error.

#include "redis_fixture.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

#include <future>
#include <set>
#include <thread>

namespace bakewind::redis_test {
namespace {

class service_test : public redis_test {
 protected:
  static void SetUpTestSuite() { server_ = new test::redis_server(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  // The same key in this test and in redis-cli checks.
  std::string key(const std::string& name) const {
    return std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + ":" + name;
  }

  static test::redis_server* server_;
  redis::client client_{io_.get_executor(), options_for(*server_)};
  redis::service svc_{client_};
};

test::redis_server* service_test::server_ = nullptr;

TEST_F(service_test, set_then_get_returns_the_value_and_get_of_a_missing_key_is_nullopt) {
  const auto k = key("k");
  auto got = run([&]() -> asio::awaitable<std::optional<std::string>> {
    co_await svc_.set(k, "v1");
    auto v = co_await svc_.get(k);
    co_return v;
  }());
  EXPECT_EQ(got, "v1");
  EXPECT_EQ(cli(server_->port(), {"GET", k}), "v1");
  EXPECT_EQ(cli(server_->port(), {"TTL", k}), "-1");
  auto missing = run(svc_.get(key("missing")));
  EXPECT_EQ(missing, std::nullopt);
}

TEST_F(service_test, values_are_binary_safe) {
  const auto k = key("bin");
  const std::string value("a\r\nb\0c\xff", 7);
  auto got = run([&]() -> asio::awaitable<std::optional<std::string>> {
    co_await svc_.set(k, value);
    auto v = co_await svc_.get(k);
    co_return v;
  }());
  EXPECT_EQ(got, value);
  EXPECT_EQ(cli(server_->port(), {"STRLEN", k}), "7");
}

TEST_F(service_test, set_with_ttl_sets_an_expiry) {
  const auto k = key("k");
  run(svc_.set(k, "v", std::chrono::seconds(100)));
  const long long ttl = std::stoll(cli(server_->port(), {"TTL", k}));
  EXPECT_GT(ttl, 95);
  EXPECT_LE(ttl, 100);
}

TEST_F(service_test, set_nx_sets_only_when_absent) {
  const auto k = key("k");
  const auto first = run(svc_.set_nx(k, "one", std::chrono::seconds(60)));
  const auto second = run(svc_.set_nx(k, "two"));
  EXPECT_TRUE(first);
  EXPECT_FALSE(second);
  EXPECT_EQ(cli(server_->port(), {"GET", k}), "one");
  EXPECT_GT(std::stoll(cli(server_->port(), {"TTL", k})), 50);
  const auto other = run(svc_.set_nx(key("other"), "x"));
  EXPECT_TRUE(other);
  EXPECT_EQ(cli(server_->port(), {"TTL", key("other")}), "-1");
}

TEST_F(service_test, del_counts_removed_keys_and_exists_follows) {
  const auto k = key("k");
  cli(server_->port(), {"SET", k, "v"});
  EXPECT_TRUE(run(svc_.exists(k)));
  EXPECT_EQ(run(svc_.del(k)), 1);
  EXPECT_EQ(run(svc_.del(k)), 0);
  EXPECT_FALSE(run(svc_.exists(k)));
}

TEST_F(service_test, setex_sets_value_and_ttl) {
  const auto k = key("k");
  run(svc_.setex(k, std::chrono::seconds(50), "v"));
  EXPECT_EQ(cli(server_->port(), {"GET", k}), "v");
  const long long ttl = std::stoll(cli(server_->port(), {"TTL", k}));
  EXPECT_GT(ttl, 45);
  EXPECT_LE(ttl, 50);
}

TEST_F(service_test, ttl_is_minus_two_when_missing_minus_one_without_expiry_else_seconds_left) {
  const auto k = key("k");
  EXPECT_EQ(run(svc_.ttl(k)), -2);
  cli(server_->port(), {"SET", k, "v"});
  EXPECT_EQ(run(svc_.ttl(k)), -1);
  EXPECT_TRUE(run(svc_.expire(k, std::chrono::seconds(30))));
  const long long left = run(svc_.ttl(k));
  EXPECT_GT(left, 25);
  EXPECT_LE(left, 30);
}

TEST_F(service_test, expire_is_false_for_a_missing_key) { EXPECT_FALSE(run(svc_.expire(key("k"), 10s))); }

TEST_F(service_test, a_key_with_a_one_second_ttl_is_gone_after_it) {
  const auto k = key("k");
  run(svc_.set(k, "v", std::chrono::seconds(1)));
  EXPECT_TRUE(run(svc_.exists(k)));
  std::this_thread::sleep_for(1100ms);
  EXPECT_FALSE(run(svc_.exists(k)));
  EXPECT_EQ(run(svc_.ttl(k)), -2);
}

TEST_F(service_test, incr_counts_up_from_zero) {
  const auto k = key("n");
  EXPECT_EQ(run(svc_.incr(k)), 1);
  EXPECT_EQ(run(svc_.incr(k)), 2);
  cli(server_->port(), {"SET", k, "41"});
  EXPECT_EQ(run(svc_.incr(k)), 42);
}

TEST_F(service_test, getdel_returns_the_value_once) {
  const auto k = key("k");
  cli(server_->port(), {"SET", k, "v"});
  EXPECT_EQ(run(svc_.getdel(k)), "v");
  EXPECT_EQ(run(svc_.getdel(k)), std::nullopt);
  EXPECT_EQ(cli(server_->port(), {"EXISTS", k}), "0");
}

TEST_F(service_test, concurrent_getdel_has_exactly_one_winner) {
  const auto k = key("k");
  cli(server_->port(), {"SET", k, "v"});
  const int winners = run([&]() -> asio::awaitable<int> {
    std::vector<std::future<std::optional<std::string>>> all;
    for (int i = 0; i < 20; ++i) all.push_back(asio::co_spawn(io_, svc_.getdel(k), asio::use_future));
    co_await sleep_for(200ms);
    int n = 0;
    for (auto& f : all) {
      if (f.wait_for(0s) != std::future_status::ready) {
        ADD_FAILURE() << "a GETDEL got no answer";
        continue;
      }
      n += f.get().has_value() ? 1 : 0;
    }
    co_return n;
  }());
  EXPECT_EQ(winners, 1);
}

TEST_F(service_test, publish_counts_subscribers) {
  EXPECT_EQ(run(svc_.publish(key("ch"), "hello")), 0);
  auto subscriber = cli_in_background(server_->port(), {"SUBSCRIBE", key("ch")});
  long long received = 0;
  for (int i = 0; i < 50 && received == 0; ++i) {
    received = run(svc_.publish(key("ch"), "hello"));
    if (received == 0) std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(received, 1);
}

TEST_F(service_test, scan_with_match_visits_every_matching_key_and_no_other) {
  const auto prefix = key("scan");
  auto keys = run([&]() -> asio::awaitable<std::set<std::string>> {
    for (int i = 0; i < 500; ++i) {
      co_await svc_.set(prefix + ":" + std::to_string(i), "v");
      co_await svc_.set(prefix + "-other:" + std::to_string(i), "v");
    }
    std::set<std::string> seen;
    std::string cursor = "0";
    int pages = 0;
    do {
      auto page = co_await svc_.scan(cursor, prefix + ":*", 50);
      seen.insert(page.keys.begin(), page.keys.end());
      cursor = page.cursor;
      ++pages;
    } while (cursor != "0" && pages < 10000);
    EXPECT_GT(pages, 1);
    co_return seen;
  }());
  ASSERT_EQ(keys.size(), 500u);
  for (int i = 0; i < 500; ++i) EXPECT_TRUE(keys.count(prefix + ":" + std::to_string(i))) << i;
}

TEST_F(service_test, eval_runs_a_script_and_falls_back_to_eval_after_script_flush) {
  const redis::script s("return {KEYS[1], ARGV[1], redis.call('INCR', KEYS[1])}");
  const std::vector<std::string> keys{key("n")};
  const std::vector<std::string> args{"arg"};
  // First call: the server does not know the SHA yet (NOSCRIPT, then EVAL).
  cli(server_->port(), {"SCRIPT", "FLUSH"});
  auto first = run(svc_.eval(s, keys, args));
  ASSERT_EQ(first.type, redis::reply::kind::array);
  ASSERT_EQ(first.elements.size(), 3u);
  EXPECT_EQ(first.elements[0].text, keys[0]);
  EXPECT_EQ(first.elements[1].text, "arg");
  EXPECT_EQ(first.elements[2].integer, 1);
  EXPECT_EQ(cli(server_->port(), {"SCRIPT", "EXISTS", s.sha1}), "1");
  // Loaded: EVALSHA answers directly.
  auto second = run(svc_.eval(s, keys, args));
  EXPECT_EQ(second.elements[2].integer, 2);
  // Flushed again: the fallback runs it once, not twice.
  cli(server_->port(), {"SCRIPT", "FLUSH"});
  auto third = run(svc_.eval(s, keys, args));
  EXPECT_EQ(third.elements[2].integer, 3);
  EXPECT_EQ(cli(server_->port(), {"GET", keys[0]}), "3");
}

TEST_F(service_test, script_sha1_matches_the_servers) {
  const redis::script s("return 1");
  EXPECT_EQ(cli(server_->port(), {"SCRIPT", "LOAD", s.source}), s.sha1);
}

TEST_F(service_test, a_script_error_throws_server_error) {
  const redis::script s("return redis.call('NOSUCHCOMMAND')");
  const std::vector<std::string> none;
  EXPECT_THROW(run(svc_.eval(s, none, none)), redis::server_error);
}

TEST_F(service_test, ping_succeeds) { EXPECT_NO_THROW(run(svc_.ping())); }

TEST_F(service_test, command_sends_any_command) {
  const auto h = key("h");
  auto got = run([&]() -> asio::awaitable<redis::reply> {
    std::vector<std::string> hset{"HSET", h, "f", "v", "g", "w"};
    auto added = co_await svc_.command(hset);
    EXPECT_EQ(added.integer, 2);
    std::vector<std::string> hget{"HGET", h, "g"};
    auto r = co_await svc_.command(hget);
    co_return r;
  }());
  EXPECT_EQ(got.type, redis::reply::kind::string);
  EXPECT_EQ(got.text, "w");
  EXPECT_EQ(cli(server_->port(), {"HGET", h, "f"}), "v");
}

TEST_F(service_test, wrongtype_throws_server_error_with_its_code_not_unavailable) {
  const auto h = key("h");
  cli(server_->port(), {"HSET", h, "f", "v"});
  try {
    run(svc_.get(h));
    FAIL() << "no exception";
  } catch (const core::unavailable_error& e) {
    FAIL() << "an error reply must not look like an outage: " << e.what();
  } catch (const redis::server_error& e) {
    EXPECT_EQ(e.code(), "WRONGTYPE");
    EXPECT_NE(std::string(e.what()).find("wrong kind"), std::string::npos) << e.what();
  }
  EXPECT_THROW(run(svc_.incr(h)), redis::server_error);
  // An error reply is data: the connection stays up and in order.
  EXPECT_EQ(run(svc_.incr(key("n"))), 1);
  EXPECT_EQ(client_.stats().reconnects.load(), 0u);
}

TEST_F(service_test, an_unknown_command_throws_server_error_err) {
  std::vector<std::string> bogus{"NOSUCHCOMMAND", "x"};
  try {
    run(svc_.command(bogus));
    FAIL() << "no exception";
  } catch (const redis::server_error& e) {
    EXPECT_EQ(e.code(), "ERR");
  }
}

TEST_F(service_test, stats_count_connects_commands_and_latencies) {
  const auto& st = client_.stats();
  EXPECT_EQ(st.connects.load(), 0u);
  EXPECT_FALSE(st.connected.load());
  run(svc_.ping());
  EXPECT_EQ(st.connects.load(), 1u);
  EXPECT_EQ(st.reconnects.load(), 0u);
  EXPECT_TRUE(st.connected.load());
  EXPECT_GT(st.connected_since_ms.load(), 0);
  const auto before = st.commands.load();
  const std::size_t set_slot = bakewind::redis::command_slot("*3\r\n$3\r\nSET\r\n");
  ASSERT_EQ(bakewind::redis::timed_commands[set_slot], "set");
  const auto sets_before = st.latency[set_slot].snapshot();
  for (int i = 0; i < 10; ++i) run(svc_.set(key("k"), "v"));
  EXPECT_EQ(st.commands.load(), before + 10);
  const auto sets_after = st.latency[set_slot].snapshot();
  EXPECT_EQ(sets_after.count, sets_before.count + 10);  // timed under "set", not "other"
  EXPECT_GT(sets_after.sum_seconds, sets_before.sum_seconds);
  EXPECT_EQ(st.errors.load(), 0u);
}

TEST_F(service_test, a_refill_seals_its_marker_only_where_its_token_survived) {
  const std::string base = key("ready");
  run(svc_.begin_refill(base, "token-1"));
  EXPECT_TRUE(run(svc_.seal_refill(base, "token-1", "yes")));
  EXPECT_EQ(run(svc_.get(base)), "yes");
  EXPECT_FALSE(run(svc_.seal_refill(base, "token-1", "again"))) << "a token seals once";

  // Data lost while a refill copies: its token goes too, and no marker is set.
  run(svc_.del(base));
  run(svc_.begin_refill(base, "token-2"));
  const std::vector<std::string> flush{"FLUSHALL"};
  run(svc_.command(flush));
  EXPECT_FALSE(run(svc_.seal_refill(base, "token-2", "yes")));
  EXPECT_FALSE(run(svc_.get(base)).has_value()) << "a marker vouching for what the flush took";

  // Two refills at once (two instances saw the same new server): no loss
  // since either began, so each has copied everything and each seals.
  run(svc_.begin_refill(base, "token-3"));
  run(svc_.begin_refill(base, "token-4"));
  EXPECT_TRUE(run(svc_.seal_refill(base, "token-4", "four")));
  EXPECT_TRUE(run(svc_.seal_refill(base, "token-3", "three")));
  EXPECT_EQ(run(svc_.get(base)), "three");

  // A loss after one refill began, then another began: the first one's
  // token went with the loss, whatever the second wrote since.
  run(svc_.del(base));
  run(svc_.begin_refill(base, "token-5"));
  run(svc_.command(flush));
  run(svc_.begin_refill(base, "token-6"));
  EXPECT_FALSE(run(svc_.seal_refill(base, "token-5", "five")));
  EXPECT_FALSE(run(svc_.get(base)).has_value());
  EXPECT_TRUE(run(svc_.seal_refill(base, "token-6", "six")));
  EXPECT_EQ(run(svc_.get(base)), "six");
}

}  // namespace
}  // namespace bakewind::redis_test
