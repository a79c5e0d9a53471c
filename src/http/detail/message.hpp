#pragma once
// Beast messages to and from the transport-free request and response, shared
// by the network connection (connection.cpp) and the no-network exchange
// (exchange.cpp), so both read and answer a request the same way.

#include "http/request.hpp"
#include "http/response.hpp"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/system/error_code.hpp>

#include <optional>
#include <string_view>

namespace bakewind::http::detail {

using beast_request = boost::beast::http::request<boost::beast::http::string_body>;
using beast_response = boost::beast::http::response<boost::beast::http::string_body>;

/// Fills `out` from the parsed message, moving its body; `out` reads its
/// headers from `in`, which must outlive it. False when the target is not a
/// valid origin-form URL (answered 400).
bool to_request(beast_request& in, request& out);

/// The status a read failure is answered with (400, 413, 431); 0 means drop
/// silently (timeout, reset, a client that went away, a partial message).
unsigned status_for_read_error(const boost::system::error_code& ec);

/// The X-Request-Id header of `message`, if it has one (whether usable or
/// not is choose_request_id's to decide). Also for a request whose reading
/// failed: the fields read until then are in the parser's message (a
/// Content-Length over the limit fails before the header counts as done).
std::optional<std::string_view> sent_request_id(const beast_request& message);

/// The answer to a request that could not be read (status_for_read_error's
/// status) or understood (400: a target that is not a valid URL), with an
/// X-Request-Id as every answer has: the client's own when it sent a usable
/// one before the request went wrong, a new one otherwise.
response unreadable_request_response(unsigned status, std::optional<std::string_view> sent_request_id);

/// The wire message for `res` (moving its body), with Content-Length set.
beast_response to_beast(response& res, unsigned version, bool keep_alive);

}  // namespace bakewind::http::detail
