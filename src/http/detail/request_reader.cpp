#include "http/detail/request_reader.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>

namespace bakewind::http::detail {

namespace bhttp = boost::beast::http;

request_reader::request_reader(const server_options& options)
    : header_limit_(options.header_limit), body_limit_(options.body_limit) {}

void request_reader::start() {
  parser_ = std::make_unique<parser>();
  parser_->header_limit(static_cast<std::uint32_t>(header_limit_));
  parser_->body_limit(body_limit_);
  // The body in the same call as the header when it is there already.
  parser_->eager(true);
  continued_ = false;
  state_ = state::need_more;
}

std::size_t request_reader::feed(std::string_view bytes) {
  if (state_ != state::need_more || bytes.empty()) return 0;
  if (!parser_) start();
  std::size_t used = 0;
  while (!parser_->is_done()) {
    boost::system::error_code ec;
    const std::size_t n = parser_->put(boost::asio::buffer(bytes.data() + used, bytes.size() - used), ec);
    used += n;
    if (ec == bhttp::error::need_more) break;
    if (ec) {
      fail(ec);
      return used;
    }
    if (parser_->is_header_done() && !parser_->is_done() && !continued_) {
      const auto& fields = parser_->get();
      const auto expect = fields.find(bhttp::field::expect);
      if (expect != fields.end() && boost::beast::iequals(expect->value(), "100-continue")) {
        state_ = state::send_continue;
        return used;
      }
      continued_ = true;  // no interim answer wanted
    }
    if (n == 0) break;
  }
  if (parser_->is_done()) state_ = state::ready;
  return used;
}

void request_reader::continued() {
  continued_ = true;
  if (state_ == state::send_continue) state_ = state::need_more;
}

void request_reader::finish() {
  if (state_ == state::need_more || state_ == state::send_continue) state_ = state::ended;
}

beast_request request_reader::take() {
  beast_request message = parser_->release();
  parser_.reset();
  continued_ = false;
  state_ = state::need_more;
  return message;
}

void request_reader::fail(const boost::system::error_code& ec) {
  // Headers over the limit, a body over the limit, or anything malformed
  // (request line, header, chunk).
  if (ec == bhttp::error::header_limit) {
    failure_status_ = 431;
  } else if (ec == bhttp::error::body_limit) {
    failure_status_ = 413;
  } else {
    failure_status_ = 400;
  }
  state_ = state::failed;
}

std::string request_reader::failure_request_id() const {
  return parser_ ? request_id_of(parser_->get()) : request_id_of(beast_request{});
}

}  // namespace bakewind::http::detail
