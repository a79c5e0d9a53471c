#include "app/ws_routes.hpp"

#include "app/ws_messages.hpp"

namespace bakewind::app {

namespace asio = boost::asio;

namespace {

void answer_ping(const std::shared_ptr<http::ws_channel>& channel, std::string_view text) {
  auto reply = ws_reply(text);
  if (reply) channel->send(std::move(*reply));
}

}  // namespace

void add_ws_route(http::router& routes, auth_context& auth, live_clients& clients) {
  routes.add_websocket("/api/v1/ws", [&auth, &clients](http::request& req) -> asio::awaitable<http::ws_accept> {
    std::string_view token = bearer_token(req);
    if (token.empty()) token = req.query("access_token").value_or("");
    // Throws http_error 401 (answered before the upgrade) when it is not valid.
    auto budget = request_budget(auth);
    const auth::principal who = co_await authenticate_token(token, auth, budget);
    req.user_id = who.user_id;
    http::ws_accept accept;
    accept.on_open = [&clients, who](std::shared_ptr<http::ws_channel> channel) {
      clients.add(std::move(channel), who.bakery_id, who.user_id, who.jti, who.issued_ms, who.exp);
    };
    accept.on_message = &answer_ping;
    accept.on_close = [&clients](const std::shared_ptr<http::ws_channel>& channel) { clients.remove(channel.get()); };
    co_return accept;
  });
  routes.name_service("/api/v1/ws", "Live updates are");
}

}  // namespace bakewind::app
