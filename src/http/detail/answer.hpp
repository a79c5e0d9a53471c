#pragma once
// What to write back for one parsed request, whatever carries the bytes:
// the socket connection (connection.cpp) and the no-network exchange
// (exchange.cpp) both answer through here, so they decide alike (WebSocket
// upgrades, unparsable targets, keep-alive, HEAD).

#include "http/detail/message.hpp"
#include "http/dispatcher.hpp"

#include <boost/asio/awaitable.hpp>

#include <optional>

namespace bakewind::http::detail {

/// One request's answer.
struct answer {
  response res;                      ///< unless `upgrade` is set
  unsigned version = 11;             ///< the request's HTTP version (10 or 11)
  bool keep = false;                 ///< the connection stays open after it
  bool head_only = false;            ///< a HEAD: the header only
  std::optional<ws_accept> upgrade;  ///< an accepted WebSocket upgrade: the transport serves it
};

/// Answers `message`, read into `req` (whose `remote_address` the caller
/// set): an upgrade to a WebSocket route goes to that route (accepted, or
/// its rejection answered), every other request to the dispatcher; a target
/// that is not a valid URL gets dispatcher::unreadable's 400 and closes.
/// A transport that is shutting down closes after the answer too (checked
/// once it is ready: a request may finish during the shutdown). `req`
/// reads from `message`: both must outlive the answer's use. Never throws
/// (but what allocation throws).
boost::asio::awaitable<answer> answer_request(const router& routes, const dispatcher& dispatch,
                                              beast_request& message, request& req);

}  // namespace bakewind::http::detail
