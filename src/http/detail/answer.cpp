#include "http/detail/answer.hpp"

#include <boost/beast/websocket/rfc6455.hpp>

namespace bakewind::http::detail {

namespace bhttp = boost::beast::http;

boost::asio::awaitable<answer> answer_request(const router& routes, const dispatcher& dispatch,
                                              beast_request& message, request& req) {
  answer out;
  out.version = message.version();
  const bool parsed = to_request(message, req);
  if (!parsed) {
    out.res = dispatch.unreadable(400, request_id_of(message), req.remote_address);
    co_return out;
  }
  const ws_handler* upgrade = boost::beast::websocket::is_upgrade(message) ? routes.websocket_for(req) : nullptr;
  if (upgrade != nullptr) {
    ws_accept accept = co_await dispatch.upgrade(req, *upgrade);
    if (!accept.reject) {
      out.upgrade.emplace(std::move(accept));
      co_return out;
    }
    out.res = std::move(*accept.reject);
    co_return out;  // a refused upgrade closes the connection
  }
  out.res = co_await dispatch.handle(req);
  out.keep = message.keep_alive() && !out.res.close;
  out.head_only = message.method() == bhttp::verb::head;
  co_return out;
}

}  // namespace bakewind::http::detail
