#include "http/detail/timed_socket.hpp"

#include "http/detail/plain_allocator.hpp"

#include <boost/asio/bind_allocator.hpp>

namespace bakewind::http::detail {

timed_socket::timed_socket(socket_type socket) : socket_(std::move(socket)), timer_(socket_.get_executor()) {}

void timed_socket::expire_after(clock::duration d) {
  deadline_ = clock::now() + d;
  // A pending wait that fires no later than the deadline re-arms itself for
  // the rest: nothing to do, which is the common case of every request.
  if (armed_ && timer_.expiry() <= deadline_) return;
  arm();
}

void timed_socket::arm() {
  timer_.expires_at(deadline_);  // a wait pending for a later expiry ends with operation_aborted
  armed_ = true;
  auto handler = [weak = weak_from_this()](const boost::system::error_code& ec) {
    if (ec) return;  // replaced by an earlier deadline, or the connection is gone
    if (auto self = weak.lock()) self->on_timer();
  };
  // Pending for as long as the connection lives: see plain_allocator.hpp.
  timer_.async_wait(boost::asio::bind_allocator(plain_allocator<void>(), std::move(handler)));
}

void timed_socket::on_timer() {
  // A wait that had already fired when a new one was armed lands here too:
  // deciding from deadline_ alone keeps that harmless.
  armed_ = false;
  if (deadline_ == clock::time_point::max()) return;
  if (clock::now() < deadline_) {
    arm();
    return;
  }
  boost::system::error_code ignored;
  socket_.close(ignored);
}

}  // namespace bakewind::http::detail
