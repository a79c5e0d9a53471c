#pragma once
// Beast messages to and from the transport-free request and response, shared
// by the network connection (connection.cpp) and the no-network exchange
// (exchange.cpp), so both read and answer a request the same way.

#include "http/request.hpp"
#include "http/response.hpp"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/system/error_code.hpp>

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

/// The answer to a request that could not be read, for status_for_read_error's status.
response read_error_response(unsigned status);

/// The wire message for `res` (moving its body), with Content-Length set.
beast_response to_beast(response& res, unsigned version, bool keep_alive);

}  // namespace bakewind::http::detail
