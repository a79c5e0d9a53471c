#pragma once
// The no-network entry point of the HTTP layer: bytes as a client would send
// them on one connection in, the bytes the server would write back out. It
// reads with the server's parser and limits and answers through the same
// dispatcher (middleware, router, handlers), so tests and the fuzz targets
// (fuzz/) drive the whole request path without a socket.

#include "http/dispatcher.hpp"
#include "http/router.hpp"
#include "http/server.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace bakewind::http {

/// What a connection fed with some bytes did.
struct exchange_result {
  std::string written;             ///< every response, serialised back to back as on the wire
  std::vector<unsigned> statuses;  ///< the status of each answer, in order (400/413/431 for an unreadable request)
  bool upgraded = false;           ///< it ended with an accepted WebSocket upgrade (the socket part is not run)
};

/// Serves `bytes` as the first bytes of a connection that the client then
/// half-closes: pipelined requests are parsed (options.header_limit and
/// options.body_limit apply), dispatched by `dispatch` (WebSocket upgrades go
/// to `routes`' handler, as far as its accept or reject) and answered in order
/// until one cannot be read (answered 400, 413 or 431 as the server does),
/// the input ends (an incomplete request is dropped unanswered) or a response
/// closes the connection. Interim `100 Continue` answers are not written.
/// `routes` must be the router `dispatch` was built with. Throws only what
/// allocation throws; handler failures are answered as the dispatcher does.
boost::asio::awaitable<exchange_result> exchange(const router& routes, const dispatcher& dispatch,
                                                 std::string_view bytes, const server_options& options);

}  // namespace bakewind::http
