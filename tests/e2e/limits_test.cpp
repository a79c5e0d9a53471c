// Black-box tests of issue 10's abuse limits: MAX_CONNECTIONS (a connection
// past it is closed as soon as accepted; below it again, new ones are
// served) and WS_MESSAGE_RATE (a WebSocket client that sends faster is
// closed with 1008; one within it is served).

#include "auth_helpers.hpp"
#include "support/ws_client.hpp"

#include <memory>
#include <thread>

namespace bakewind::test::auth_e2e {
namespace {

using namespace std::chrono_literals;

int live_status(raw_connection& c) {
  if (!c.send("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")) return 0;
  const auto r = c.read_reply(3s);
  return r ? r->status : 0;
}

TEST(connection_limits, past_max_connections_new_ones_are_closed_and_below_it_served_again) {
  const auto db = migrated_database("limits_conns");
  service s(service_env(db, shared_redis().url(), {{"MAX_CONNECTIONS", "4"}}));
  std::vector<std::unique_ptr<raw_connection>> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(std::make_unique<raw_connection>(s.port()));
    ASSERT_EQ(live_status(*held.back()), 200) << "connection " << i << " within the limit";
  }
  raw_connection over(s.port());  // the kernel accepts it; the service closes it
  EXPECT_EQ(live_status(over), 0) << "a fifth connection is served";
  EXPECT_EQ(live_status(*held.front()), 200) << "the connections within the limit still are";

  held.pop_back();  // one goes: there is room again
  int status = 0;
  for (int i = 0; i < 20 && status != 200; ++i) {
    std::this_thread::sleep_for(50ms);
    raw_connection again(s.port());
    status = live_status(again);
  }
  EXPECT_EQ(status, 200) << "a new connection is served once below the limit";
}

TEST(connection_limits, a_client_pipelining_past_the_request_rate_is_slowed_down_not_refused_nor_others) {
  const auto db = migrated_database("limits_rate");
  service s(service_env(db, shared_redis().url(), {{"CONNECTION_REQUEST_RATE", "20"}}));
  raw_connection greedy(s.port());
  std::string burst;
  for (int i = 0; i < 60; ++i) burst += "GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  const auto began = std::chrono::steady_clock::now();
  ASSERT_TRUE(greedy.send(burst));
  // Meanwhile another connection is answered at once.
  std::this_thread::sleep_for(200ms);
  raw_connection other(s.port());
  const auto asked = std::chrono::steady_clock::now();
  EXPECT_EQ(live_status(other), 200);
  EXPECT_LT(std::chrono::steady_clock::now() - asked, 500ms) << "another connection waits for the greedy one";
  int answered = 0;
  for (int i = 0; i < 60; ++i) {
    const auto r = greedy.read_reply(5s);
    if (!r || r->status != 200) break;
    ++answered;
  }
  const auto took = std::chrono::steady_clock::now() - began;
  EXPECT_EQ(answered, 60) << "every pipelined request is answered";
  // 20 saved up, then 40 more at 20 a second: about 2 s.
  EXPECT_GE(took, 1800ms);
  EXPECT_LT(took, 6s);
}

TEST(websocket_limits, a_client_over_its_message_rate_is_closed_with_1008_one_within_it_is_served) {
  const auto db = migrated_database("limits_ws");
  service s(service_env(db, shared_redis().url(), {{"WS_MESSAGE_RATE", "5"}}));
  const auto a = register_owner(s.port(), "wsrate");
  const std::string path = "/api/v1/ws?access_token=" + a.access;

  ws_client calm(s.port(), path);
  ASSERT_EQ(calm.status(), 101);
  for (int i = 0; i < 12; ++i) {  // 4 a second for 3 s: within 5 a second
    ASSERT_TRUE(calm.send_text(R"({"type":"ping"})"));
    const auto pong = calm.read(2s);
    ASSERT_TRUE(pong.has_value() && !pong->closed) << "message " << i;
    EXPECT_EQ(pong->text, R"({"type":"pong"})");
    std::this_thread::sleep_for(250ms);
  }

  ws_client flood(s.port(), path);
  ASSERT_EQ(flood.status(), 101);
  for (int i = 0; i < 40; ++i) {
    if (!flood.send_text(R"({"type":"ping"})")) break;
  }
  std::optional<ws_frame> frame;
  int pongs = 0;
  for (int i = 0; i < 60; ++i) {
    frame = flood.read(2s);
    if (!frame || frame->closed) break;
    ++pongs;
  }
  ASSERT_TRUE(frame.has_value()) << "no close within the wait";
  EXPECT_TRUE(frame->closed);
  EXPECT_EQ(frame->close_code, 1008);
  EXPECT_LE(pongs, 11) << "answered past the burst of twice the rate";
  EXPECT_GE(pongs, 9) << "the burst is allowed";

  ws_client after(s.port(), path);  // the service itself is fine
  EXPECT_EQ(after.status(), 101);
}

}  // namespace
}  // namespace bakewind::test::auth_e2e
