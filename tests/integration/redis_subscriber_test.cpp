// redis::subscriber against a real redis-server: messages arrive, a channel
// added while connected is heard, and after a server restart the subscriber
// reconnects and subscribes again by itself.

#include "redis/subscriber.hpp"
#include "redis_fixture.hpp"

namespace bakewind::redis_test {
namespace {

// Runs `io` until `done()` holds or `limit` passes; whether it holds.
template <class Done>
bool run_until(asio::io_context& io, Done done, std::chrono::milliseconds limit = 10s) {
  const auto deadline = clock::now() + limit;
  io.restart();
  while (!done() && clock::now() < deadline) io.run_for(20ms);
  return done();
}

// Publishes from a second client until someone hears it (a subscription is
// confirmed a moment before the server delivers to it).
bool publish_until_heard(std::uint16_t port, const std::string& channel, const std::string& text, asio::io_context& io,
                         const std::vector<std::string>& heard) {
  const auto before = heard.size();
  for (int i = 0; i < 50 && heard.size() == before; ++i) {
    cli(port, {"PUBLISH", channel, text});
    run_until(
        io, [&] { return heard.size() > before; }, 100ms);
  }
  return heard.size() > before;
}

TEST(subscriber, delivers_messages_of_its_channels_only) {
  test::redis_server server;
  asio::io_context io;
  std::vector<std::string> heard;
  redis::subscriber sub(io.get_executor(), options_for(server), [&](std::string_view ch, std::string_view msg) {
    heard.push_back(std::string(ch) + "|" + std::string(msg));
  });
  sub.subscribe("events");
  ASSERT_TRUE(run_until(io, [&] { return sub.subscribed(); }));
  ASSERT_TRUE(publish_until_heard(server.port(), "events", "one", io, heard));
  EXPECT_EQ(heard.back(), "events|one");

  cli(server.port(), {"PUBLISH", "other", "not for us"});
  sub.subscribe("later");  // added while connected
  ASSERT_TRUE(run_until(io, [&] { return sub.subscribed(); }));
  ASSERT_TRUE(publish_until_heard(server.port(), "later", "two", io, heard));
  EXPECT_EQ(heard.back(), "later|two");
  for (const auto& h : heard) EXPECT_NE(h.rfind("other|", 0), 0u) << h;
  sub.close();
}

TEST(subscriber, subscribes_again_after_a_server_restart) {
  test::redis_server server;
  asio::io_context io;
  std::vector<std::string> heard;
  redis::subscriber sub(io.get_executor(), options_for(server),
                        [&](std::string_view, std::string_view msg) { heard.emplace_back(msg); });
  sub.subscribe("a");
  sub.subscribe("b");
  ASSERT_TRUE(run_until(io, [&] { return sub.subscribed(); }));
  ASSERT_TRUE(publish_until_heard(server.port(), "a", "before", io, heard));

  server.stop();
  ASSERT_TRUE(run_until(io, [&] { return !sub.subscribed(); })) << "the loss is noticed";
  server.start();
  ASSERT_TRUE(run_until(io, [&] { return sub.subscribed(); })) << "reconnected and subscribed again";
  ASSERT_TRUE(publish_until_heard(server.port(), "a", "after-a", io, heard));
  ASSERT_TRUE(publish_until_heard(server.port(), "b", "after-b", io, heard));
  EXPECT_EQ(heard.back(), "after-b");
  EXPECT_GE(sub.stats().reconnects.load(), 1u);
  sub.close();
}

}  // namespace
}  // namespace bakewind::redis_test
