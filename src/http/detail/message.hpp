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
using beast_response = boost::beast::http::response<boost::beast::http::string_body>;

/// Fills `out` from the parsed message, moving its body; `out` reads its
/// headers from `in`, which must outlive it. False when the target is not a
/// valid origin-form URL (answered 400).
bool to_request(beast_request& in, request& out);

/// The request id of `message` (choose_request_id of its X-Request-Id): the
/// client's when usable, else a new one. Also for a request whose reading
/// failed: the fields read until then are in the parser's message (a
/// Content-Length over the limit fails before the header counts as done).
std::string request_id_of(const beast_request& message);

/// The wire message for `res` (moving its body), with Content-Length set.
beast_response to_beast(response& res, unsigned version, bool keep_alive);

}  // namespace bakewind::http::detail
