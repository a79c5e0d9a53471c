// Telling Redis servers apart by run_id: the parse of INFO server, and when
// a connection's new server counts as a change (redis/server_identity.hpp).

#include "redis/server_identity.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

namespace bakewind::redis {
namespace {

reply bulk(std::string text) {
  reply r;
  r.type = reply::kind::string;
  r.text = std::move(text);
  return r;
}

TEST(server_identity, run_id_is_read_from_info_server) {
  const auto info = bulk(
      "# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n"
      "run_id:4f1c0c3b9e0d2a7f5b6e8d9c0a1b2c3d4e5f6a7b\r\ntcp_port:6379\r\n");
  EXPECT_EQ(detail::run_id_of(info), "4f1c0c3b9e0d2a7f5b6e8d9c0a1b2c3d4e5f6a7b");
  EXPECT_EQ(detail::run_id_of(bulk("run_id:abc")), "abc") << "last line without CRLF";
  EXPECT_EQ(detail::run_id_of(bulk("# Server\r\nmaster_run_id:zzz\r\n")), "") << "another field's suffix";
  EXPECT_EQ(detail::run_id_of(bulk("# Server\r\nredis_version:7.0.15\r\n")), "");
  reply refused;
  refused.type = reply::kind::error;
  refused.text = "NOPERM this user has no permissions to run the 'info' command";
  EXPECT_EQ(detail::run_id_of(refused), "");
}

TEST(server_identity, a_new_or_unknown_server_counts_the_same_one_does_not) {
  server_history servers;
  int told = 0;
  servers.on_change([&] { ++told; });
  std::string last;
  EXPECT_TRUE(servers.note(last, "a")) << "the first server of a connection";
  EXPECT_EQ(servers.changes(), 1u);
  EXPECT_FALSE(servers.note(last, "a")) << "a reconnect to the same server";
  EXPECT_TRUE(servers.note(last, "b")) << "a promoted replica or a restarted server";
  EXPECT_TRUE(servers.note(last, "")) << "unknown: cannot tell, so it counts";
  EXPECT_TRUE(servers.note(last, "")) << "still unknown";
  EXPECT_EQ(servers.changes(), 4u);
  EXPECT_EQ(told, 4) << "each change is told at once, none polls";
}

TEST(server_identity, a_refill_vouches_only_until_the_next_change) {
  server_history servers;
  refill_mark mark(servers);
  std::string last;
  servers.note(last, "a");
  EXPECT_FALSE(mark.current());
  ASSERT_TRUE(mark.begin());
  EXPECT_FALSE(mark.begin()) << "one refill at a time";
  const auto at = mark.now();
  mark.completed(at);
  mark.ended();
  EXPECT_TRUE(mark.current());
  servers.note(last, "b");
  EXPECT_FALSE(mark.current()) << "a server changed after the refill began";
  // A refill that began before a change vouches for nothing after it.
  ASSERT_TRUE(mark.begin());
  const auto began = mark.now();
  servers.note(last, "c");
  mark.completed(began);
  mark.ended();
  EXPECT_FALSE(mark.current());
}

TEST(server_identity, a_refill_runs_again_when_a_server_changed_during_it) {
  boost::asio::io_context io;
  server_history servers;
  refill_mark mark(servers);
  std::string last;
  int runs = 0;
  auto fill = [&]() -> boost::asio::awaitable<void> {
    if (++runs == 1) servers.note(last, "new-" + std::to_string(servers.changes()));
    co_return;
  };
  boost::asio::co_spawn(io, refill_until_current(mark, fill), boost::asio::detached);
  io.run();
  EXPECT_EQ(runs, 2) << "the first run saw a change: one more";
  EXPECT_TRUE(mark.current());

  // A server that keeps changing: three runs at most.
  runs = 0;
  auto restless = [&]() -> boost::asio::awaitable<void> {
    ++runs;
    servers.note(last, "x-" + std::to_string(servers.changes()));
    co_return;
  };
  boost::asio::co_spawn(io, refill_until_current(mark, restless), boost::asio::detached);
  io.restart();
  io.run();
  EXPECT_EQ(runs, 3);
  EXPECT_FALSE(mark.current());
}

}  // namespace
}  // namespace bakewind::redis
