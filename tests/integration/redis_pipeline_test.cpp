// Auto-pipelining: thousands of concurrent commands on one connection, each
// matched to its own reply, and concurrent commands sharing writes.

#include "redis_fixture.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

namespace bakewind::redis_test {
namespace {

class pipeline_test : public redis_test {
 protected:
  static void SetUpTestSuite() { server_ = new test::redis_server(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  static redis::options roomy_options() {
    auto o = options_for(*server_);
    o.command_timeout = 10s;  // the point is order, not speed (sanitizer builds are slow)
    return o;
  }

  // The server's count of read events (one per read(2) of a client socket).
  static long long server_reads() {
    const auto info = cli(server_->port(), {"INFO", "stats"});
    const std::string field = "total_reads_processed:";
    const auto at = info.find(field);
    if (at == std::string::npos) throw std::runtime_error("no " + field + " in INFO");
    return std::stoll(info.substr(at + field.size()));
  }

  static test::redis_server* server_;
  redis::client client_{io_.get_executor(), roomy_options()};
  redis::service svc_{client_};
};

test::redis_server* pipeline_test::server_ = nullptr;

constexpr int many = 10000;

asio::awaitable<void> set_then_get(redis::service& svc, int i, std::vector<std::string>& got, int& done) {
  const auto key = "p:" + std::to_string(i);
  const auto value = "value-" + std::to_string(i * 7);
  co_await svc.set(key, value);
  auto v = co_await svc.get(key);
  got[i] = v.value_or("<nil>");
  ++done;
}

TEST_F(pipeline_test, ten_thousand_concurrent_set_get_pairs_each_get_their_own_value) {
  std::vector<std::string> got(many);
  int done = 0;
  run([&]() -> asio::awaitable<void> {
    for (int i = 0; i < many; ++i) asio::co_spawn(io_, set_then_get(svc_, i, got, done), asio::detached);
    for (int i = 0; i < 3000 && done < many; ++i) co_await sleep_for(10ms);
  }());
  ASSERT_EQ(done, many);
  int wrong = 0;
  for (int i = 0; i < many; ++i) {
    if (got[i] != "value-" + std::to_string(i * 7) && ++wrong < 5) ADD_FAILURE() << i << " got " << got[i];
  }
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(client_.stats().connects.load(), 1u);
  EXPECT_EQ(client_.stats().errors.load(), 0u);
}

asio::awaitable<void> echo(redis::client& c, int i, std::vector<redis::reply>& got, int& done) {
  const auto text = std::to_string(i);
  auto r = co_await c.command(redis::retry::never, "ECHO", text);
  got[i] = std::move(r);
  ++done;
}

TEST_F(pipeline_test, ten_thousand_concurrent_echoes_are_matched_to_their_replies_in_order) {
  std::vector<redis::reply> got(many);
  int done = 0;
  run([&]() -> asio::awaitable<void> {
    for (int i = 0; i < many; ++i) asio::co_spawn(io_, echo(client_, i, got, done), asio::detached);
    for (int i = 0; i < 3000 && done < many; ++i) co_await sleep_for(10ms);
  }());
  ASSERT_EQ(done, many);
  int wrong = 0;
  for (int i = 0; i < many; ++i) {
    if (got[i].text != std::to_string(i) && ++wrong < 5) ADD_FAILURE() << i << " got " << got[i].text;
  }
  EXPECT_EQ(wrong, 0);
}

TEST_F(pipeline_test, error_replies_in_a_pipeline_stay_with_their_own_command) {
  cli(server_->port(), {"HSET", "hash", "f", "v"});
  std::vector<std::string> got(100);
  int done = 0;
  auto one = [](redis::service& svc, int i, std::vector<std::string>& out, int& n) -> asio::awaitable<void> {
    try {
      const auto key = i % 2 == 0 ? std::string("hash") : "str:" + std::to_string(i);
      auto v = co_await svc.incr(key);
      out[i] = std::to_string(v);
    } catch (const redis::server_error& e) {
      out[i] = e.code();
    }
    ++n;
  };
  run([&]() -> asio::awaitable<void> {
    for (int i = 0; i < 100; ++i) asio::co_spawn(io_, one(svc_, i, got, done), asio::detached);
    for (int i = 0; i < 500 && done < 100; ++i) co_await sleep_for(10ms);
  }());
  ASSERT_EQ(done, 100);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(got[i], i % 2 == 0 ? "WRONGTYPE" : "1") << i;
}

TEST_F(pipeline_test, concurrent_commands_share_writes) {
  run(svc_.ping());
  // Baseline: one at a time, each command is at least one read on the server.
  auto before = server_reads();
  run([&]() -> asio::awaitable<void> {
    for (int i = 0; i < 200; ++i) co_await svc_.ping();
  }());
  const auto sequential = server_reads() - before;
  EXPECT_GE(sequential, 200);
  // Concurrent: 2000 PINGs issued before any reply go out in a few writes.
  int done = 0;
  before = server_reads();
  run([&]() -> asio::awaitable<void> {
    auto ping = [](redis::service& svc, int& n) -> asio::awaitable<void> {
      co_await svc.ping();
      ++n;
    };
    for (int i = 0; i < 2000; ++i) asio::co_spawn(io_, ping(svc_, done), asio::detached);
    for (int i = 0; i < 1000 && done < 2000; ++i) co_await sleep_for(10ms);
  }());
  const auto concurrent = server_reads() - before;
  EXPECT_EQ(done, 2000);
  // 2000 PINGs are 28 kB: two or three 16 kB reads, plus redis-cli's own.
  EXPECT_LT(concurrent, 20) << "sequential 200 PINGs: " << sequential << " reads";
}

}  // namespace
}  // namespace bakewind::redis_test
