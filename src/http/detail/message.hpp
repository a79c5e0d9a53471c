#pragma once
// Beast messages to and from the transport-free request and response (for
// request_reader and answer_request, which every transport uses).

#include "http/request.hpp"
#include "http/response.hpp"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <string>

namespace bakewind::http::detail {

using beast_request = boost::beast::http::request<boost::beast::http::string_body>;

/// Fills `out` from the parsed message, moving its body; `out` reads its
/// headers from `in`, which must outlive it. False when the target is not a
/// valid origin-form URL (answered 400).
bool to_request(beast_request& in, request& out);

/// The request id of `message` (choose_request_id of its X-Request-Id): the
/// client's when usable, else a new one. Also for a request whose reading
/// failed: the fields read until then are in the parser's message (a
/// Content-Length over the limit fails before the header counts as done).
std::string request_id_of(const beast_request& message);

/// The status line and headers of `res` on the wire, up to and including
/// the blank line: Content-Type, the extra headers in order, "Connection:
/// close" when not keeping an HTTP/1.1 connection or "Connection:
/// keep-alive" when keeping an HTTP/1.0 one, and Content-Length of
/// `res.body`. Byte for byte what Beast's serializer wrote, except that 1xx,
/// 204 and 304 carry no Content-Length (Beast wrote 0; RFC 9110 8.6). Built
/// in one buffer: Beast's serializer cost a fifth of a small request's
/// instructions.
std::string response_head(const response& res, unsigned version, bool keep_alive);

/// Whether `res.body` goes on the wire after the head (never for 1xx, 204,
/// 304, nor for a HEAD request).
bool sends_body(const response& res, bool head_only) noexcept;

}  // namespace bakewind::http::detail
