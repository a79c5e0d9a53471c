#include "http/exchange.hpp"

#include "http/detail/answer.hpp"
#include "http/detail/message.hpp"
#include "http/detail/request_reader.hpp"

namespace bakewind::http {
namespace {

namespace asio = boost::asio;

void append(std::string& out, const response& res, unsigned version, bool keep, bool head_only) {
  out += detail::response_head(res, version, keep);
  if (detail::sends_body(res, head_only)) out += res.body;
}

}  // namespace

// The socket connection (connection.cpp) in miniature: the same reader and
// the same answers, with a string for the socket and no deadlines.
asio::awaitable<exchange_result> exchange(const router& routes, const dispatcher& dispatch, std::string_view bytes,
                                          const server_options& options) {
  using state = detail::request_reader::state;
  exchange_result result;
  detail::request_reader reader(options);
  std::string_view rest = bytes;
  for (;;) {
    rest.remove_prefix(reader.feed(rest));
    const state now = reader.current();
    if (now == state::need_more) {
      reader.finish();  // all of the input was fed: the client has half-closed
      continue;
    }
    if (now == state::send_continue) {
      reader.continued();  // interim answers are not written
      continue;
    }
    if (now == state::ended) break;
    if (now == state::failed) {
      response res = dispatch.unreadable(reader.failure_status(), reader.failure_request_id(), {});
      append(result.written, res, 11, false, false);
      result.statuses.push_back(reader.failure_status());
      break;
    }
    detail::beast_request message = reader.take();
    request req;
    detail::answer a = co_await detail::answer_request(routes, dispatch, message, req);
    if (a.upgrade) {
      result.statuses.push_back(101);
      result.upgraded = true;
      break;
    }
    result.statuses.push_back(a.res.status);
    append(result.written, a.res, a.version, a.keep, a.head_only);
    if (!a.keep) break;
  }
  co_return result;
}

}  // namespace bakewind::http
