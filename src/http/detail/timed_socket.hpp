#pragma once
// A connection's socket and its one timer. The timer is a watchdog, not a
// bound per operation: moving the deadline later (the next request, its
// answer, the keep-alive wait) costs nothing but storing it, and the timer
// is only re-armed when the deadline moves earlier or when it fires early.
// A deadline that passes closes the socket, which ends whatever the
// connection awaits on it with an error.

#include "http/detail/server_state.hpp"

#include <chrono>
#include <memory>

namespace bakewind::http::detail {

class timed_socket : public std::enable_shared_from_this<timed_socket> {
 public:
  using clock = std::chrono::steady_clock;

  /// Create with std::make_shared: the timer's pending wait holds a weak_ptr.
  explicit timed_socket(socket_type socket);

  socket_type& socket() noexcept { return socket_; }

  /// The socket is closed if it is still open `d` from now; replaces any
  /// earlier deadline.
  void expire_after(clock::duration d);

  /// No deadline (e.g. while a handler works on a request).
  void expire_never() noexcept { deadline_ = clock::time_point::max(); }

 private:
  void arm();
  void on_timer();

  socket_type socket_;
  timer_type timer_;
  clock::time_point deadline_ = clock::time_point::max();
  bool armed_ = false;  ///< a wait is pending on timer_ (for its expiry)
};

}  // namespace bakewind::http::detail
