#pragma once
// Sans-I/O reading of HTTP/1 requests: the bytes a connection received go
// in, one parsed request (or the reason none can be read) comes out, with
// the server's parser limits. The socket connection (connection.cpp) feeds
// it what it reads; the no-network exchange (exchange.cpp: unit tests and
// the fuzzer) feeds it a string. Both therefore read requests the same way.

#include "http/detail/message.hpp"
#include "http/server.hpp"

#include <boost/beast/http/parser.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace bakewind::http::detail {

class request_reader {
 public:
  /// What the connection does next.
  enum class state {
    need_more,      ///< feed more bytes, or finish() when none will come
    send_continue,  ///< the header asks for `100 Continue` before its body: write it (or not), then continued()
    ready,          ///< take() the request
    failed,         ///< no request can be read: answer failure_status() and close
    ended,          ///< the input ended (finish()): close; a request begun is dropped unanswered
  };

  /// Uses options.header_limit and options.body_limit.
  explicit request_reader(const server_options& options);

  /// Parses from the front of `bytes`; returns how many it used. A header is
  /// only used once it is complete: feed it again with more after it.
  std::size_t feed(std::string_view bytes);
  /// No more bytes will come (the client's half-close, the end of a test's
  /// input, a read that failed): ended.
  void finish();
  /// After send_continue: the interim answer is dealt with.
  void continued();

  state current() const noexcept { return state_; }
  /// The request (when ready); reading goes on with the next one.
  beast_request take();
  /// When failed: 400, 413 or 431.
  unsigned failure_status() const noexcept { return failure_status_; }
  /// The request id of what was read of a failed request (for its answer).
  std::string failure_request_id() const;

 private:
  using parser = boost::beast::http::request_parser<boost::beast::http::string_body>;
  void start();
  void fail(const boost::system::error_code& ec);

  std::size_t header_limit_;
  std::uint64_t body_limit_;
  std::unique_ptr<parser> parser_;  ///< null between requests
  bool continued_ = false;  ///< send_continue was dealt with for the current request
  state state_ = state::need_more;
  unsigned failure_status_ = 0;
};

}  // namespace bakewind::http::detail
