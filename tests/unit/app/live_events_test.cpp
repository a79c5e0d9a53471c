// live_clients' token expiry: one timer for all of a loop's clients, each
// closed with 4001 when its own token expires, once.

#include "app/live_events.hpp"

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace bakewind::app {
namespace {

using namespace std::chrono_literals;

class recording_channel : public http::ws_channel {
 public:
  void send(std::string text) override { sent.push_back(std::move(text)); }
  void close(std::uint16_t code, std::string reason) override { closes.emplace_back(code, std::move(reason)); }

  std::vector<std::string> sent;
  std::vector<std::pair<std::uint16_t, std::string>> closes;
};

long long now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

TEST(live_clients, each_client_is_closed_with_4001_when_its_own_token_expires_once) {
  boost::asio::io_context io;
  live_clients clients(io.get_executor());
  auto later = std::make_shared<recording_channel>();
  auto soon = std::make_shared<recording_channel>();
  auto expired = std::make_shared<recording_channel>();
  clients.add(later, "b1", "u1", "j1", 0, now_s() + 3600);
  clients.add(soon, "b1", "u2", "j2", 0, now_s() + 1);
  clients.add(expired, "b1", "u3", "j3", 0, now_s() - 5);  // added last, due first
  io.run_for(300ms);
  ASSERT_EQ(expired->closes.size(), 1u);
  EXPECT_EQ(expired->closes.front(), std::make_pair(std::uint16_t{4001}, std::string("token expired")));
  EXPECT_TRUE(soon->closes.empty());
  io.run_for(1500ms);
  EXPECT_EQ(soon->closes.size(), 1u);
  EXPECT_EQ(expired->closes.size(), 1u) << "told once";
  EXPECT_TRUE(later->closes.empty());
  EXPECT_EQ(clients.connected(), 3u) << "a client leaves when its connection has closed";
  clients.remove(expired.get());
  clients.remove(soon.get());
  EXPECT_EQ(clients.connected(), 1u);
}

TEST(live_clients, events_go_to_the_clients_of_their_bakery) {
  boost::asio::io_context io;
  live_clients clients(io.get_executor());
  auto mine = std::make_shared<recording_channel>();
  auto other = std::make_shared<recording_channel>();
  clients.add(mine, "b1", "u1", "j1", 0, now_s() + 3600);
  clients.add(other, "b2", "u2", "j2", 0, now_s() + 3600);
  clients.deliver("b1", R"({"type":"order.updated"})");
  EXPECT_EQ(mine->sent, std::vector<std::string>{R"({"type":"order.updated"})"});
  EXPECT_TRUE(other->sent.empty());
  EXPECT_EQ(clients.events_sent(), 1u);
}

}  // namespace
}  // namespace bakewind::app
