#include "http/exchange.hpp"

#include "http/detail/message.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <sstream>

namespace bakewind::http {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using detail::beast_request;

// Parses one request from the front of `rest`, consuming what it read. The
// error is the one a connection's read would end with once the client has
// half-closed: when the parser needs more than `rest` holds, end_of_stream
// or partial_message.
boost::system::error_code read_one(std::string_view& rest, bhttp::request_parser<bhttp::string_body>& parser) {
  boost::system::error_code ec;
  while (!parser.is_done()) {
    const std::size_t used = parser.put(asio::buffer(rest.data(), rest.size()), ec);
    rest.remove_prefix(used);
    if (ec == bhttp::error::need_more) ec = {};
    if (ec) return ec;
    if (used == 0) {  // nothing more will come
      parser.put_eof(ec);
      if (!ec && !parser.is_done()) ec = bhttp::error::partial_message;
      return ec;
    }
  }
  return ec;
}

void append(std::string& out, detail::beast_response& message, bool head_only) {
  std::ostringstream text;
  if (head_only) {
    text << message.base();
  } else {
    text << message;
  }
  out += text.str();
}

}  // namespace

asio::awaitable<exchange_result> exchange(const router& routes, const dispatcher& dispatch, std::string_view bytes,
                                          const server_options& options) {
  exchange_result result;
  std::string_view rest = bytes;
  while (!rest.empty()) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options.header_limit));
    parser.body_limit(options.body_limit);
    const auto ec = read_one(rest, parser);
    if (ec) {
      const unsigned status = detail::status_for_read_error(ec);
      if (status != 0) {
        response res = detail::unreadable_request_response(status, detail::request_id_of(parser.get()));
        auto out = detail::to_beast(res, 11, false);
        append(result.written, out, false);
        result.statuses.push_back(status);
      }
      break;
    }
    beast_request message = parser.release();
    request req;
    const bool parsed = detail::to_request(message, req);
    const ws_handler* upgrade =
        parsed && boost::beast::websocket::is_upgrade(message) ? routes.websocket_for(req) : nullptr;
    if (upgrade != nullptr) {
      ws_accept accept = co_await dispatch.upgrade(req, *upgrade);
      result.statuses.push_back(accept.reject ? accept.reject->status : 101);
      if (accept.reject) {
        auto out = detail::to_beast(*accept.reject, message.version(), false);
        append(result.written, out, false);
      } else {
        result.upgraded = true;
      }
      break;
    }
    response res;
    if (parsed) {
      res = co_await dispatch.handle(req);
    } else {
      res = detail::unreadable_request_response(400, detail::request_id_of(message));
      res.close = true;
    }
    result.statuses.push_back(res.status);
    const bool keep = message.keep_alive() && !res.close;
    auto out = detail::to_beast(res, message.version(), keep);
    append(result.written, out, message.method() == bhttp::verb::head);
    if (!keep) break;
  }
  co_return result;
}

}  // namespace bakewind::http
