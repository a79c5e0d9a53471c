#include "redis/detail/command_queue.hpp"

#include "redis/errors.hpp"

#include <boost/asio/error.hpp>

#include <algorithm>

namespace bakewind::redis::detail {

namespace asio = boost::asio;

namespace {

/// The request with `id` in `queue` (sorted by id), or end().
std::deque<request>::iterator find(std::deque<request>& queue, std::uint64_t id) {
  auto it = std::lower_bound(queue.begin(), queue.end(), id,
                             [](const request& r, std::uint64_t wanted) { return r.id < wanted; });
  return it != queue.end() && it->id == id ? it : queue.end();
}

}  // namespace

command_queue::command_queue(const options& o, redis::stats& counters, completion_sink sink)
    : max_batch_bytes_(o.max_batch_bytes),
      max_retries_(o.max_retries_per_request),
      counters_(counters),
      sink_(std::move(sink)) {}

std::uint64_t command_queue::enqueue(request r, clock::time_point now) {
  if (closed_) {
    fail(r, make_error_code(error::closed));
    return 0;
  }
  if (failed_connects_ > max_retries_) {
    // Known to be down (the retry budget was spent on earlier commands):
    // fail now instead of making every caller wait out its deadline. The
    // next successful connect closes this circuit again.
    fail(r, make_error_code(error::retries_exhausted));
    return 0;
  }
  if (r.policy == retry::deliver) {
    // Written whatever the caller waits for: with no time left, it waits
    // for nothing.
    if (r.deadline <= now) fail(r, make_error_code(error::timeout));
  } else if (not_answering_ && !r.internal) {
    // Known to owe replies it does not send: asking it more only makes the
    // caller wait out its deadline. The record answers instead.
    counters_.refused.fetch_add(1, std::memory_order_relaxed);
    fail(r, make_error_code(error::not_answering));
    return 0;
  }
  r.id = next_id_++;
  queued_.push_back(std::move(r));
  return queued_.back().id;
}

bool command_queue::next_batch(std::string& out, clock::time_point now) {
  if (queued_.empty()) return false;
  // Everything queued so far goes out in one write: auto-pipelining.
  while (!queued_.empty() && out.size() < max_batch_bytes_) {
    auto& r = queued_.front();
    out += r.payload;
    r.sent_at = now;
    in_flight_.push_back(std::move(r));
    queued_.pop_front();
  }
  return true;
}

bool command_queue::take_replies(resp_reader& parser, clock::time_point now) {
  bool keep = true;
  while (auto r = parser.next()) {
    if (in_flight_.empty()) throw protocol_error("reply without a request");
    auto req = std::move(in_flight_.front());
    in_flight_.pop_front();
    // A replica after failover answers writes with READONLY: the caller
    // gets the reply, and the connection goes so that DNS or Sentinel lead
    // the next one to the new master.
    if (r->is_error() && r->error_code() == "READONLY") keep = false;
    complete(req, {}, std::move(*r), now);
    if (not_answering_) answering();
  }
  return keep;
}

bool command_queue::stop_waiting() {
  if (not_answering_) return false;
  not_answering_ = true;
  counters_.not_answering = true;
  counters_.not_answering_episodes.fetch_add(1, std::memory_order_relaxed);
  for (auto& r : in_flight_) {
    if (r.handler && !r.internal) fail(r, make_error_code(error::not_answering));
  }
  std::erase_if(queued_, [&](request& r) {
    if (r.internal) return false;
    fail(r, make_error_code(error::not_answering));
    return r.policy != retry::deliver;
  });
  return true;
}

void command_queue::connected() noexcept {
  failed_connects_ = 0;
  answering();
}

void command_queue::answering() noexcept {
  not_answering_ = false;
  counters_.not_answering.store(false, std::memory_order_relaxed);
}

void command_queue::expire(clock::time_point now) {
  for (auto& r : in_flight_) {
    if (r.handler && now >= r.deadline) {
      counters_.errors.fetch_add(1);
      fail(r, make_error_code(error::timeout));  // its reply, if it comes, is dropped
    }
  }
  std::erase_if(queued_, [&](request& r) {
    if (now < r.deadline || !r.handler) return false;
    counters_.errors.fetch_add(1);
    fail(r, make_error_code(error::timeout));
    return r.policy != retry::deliver;  // its caller stops waiting; it is still written
  });
}

void command_queue::connect_failed(int attempt) {
  failed_connects_ = attempt;
  std::erase_if(queued_, [&](request& r) {
    if (++r.failed_connects <= max_retries_) return false;
    fail(r, make_error_code(error::retries_exhausted));
    return true;
  });
}

void command_queue::connection_lost() {
  std::deque<request> again;
  for (auto& r : in_flight_) {
    if (r.policy == retry::deliver && !r.internal) {
      again.push_back(std::move(r));  // awaited or not: Redis must still get it
      continue;
    }
    if (!r.handler) continue;
    if (r.policy == retry::idempotent) {
      again.push_back(std::move(r));
    } else {
      fail(r, make_error_code(error::connection_lost));
    }
  }
  in_flight_.clear();
  // In front of the queue: they were issued before everything in it.
  for (auto it = again.rbegin(); it != again.rend(); ++it) queued_.push_front(std::move(*it));
}

void command_queue::cancel(std::uint64_t id, asio::cancellation_type type) {
  if (auto it = find(queued_, id); it != queued_.end()) {
    // Not written: nothing happened, so any cancellation may take it back
    // (but for one Redis must get, which only its caller stops waiting for).
    fail(*it, asio::error::operation_aborted);
    if (it->policy != retry::deliver) queued_.erase(it);
    return;
  }
  // Written: the server may run it whatever we do, which only terminal and
  // partial cancellation allow. It stays in flight to keep replies in order.
  if ((type & (asio::cancellation_type::terminal | asio::cancellation_type::partial)) ==
      asio::cancellation_type::none) {
    return;
  }
  if (auto it = find(in_flight_, id); it != in_flight_.end()) fail(*it, asio::error::operation_aborted);
}

void command_queue::close() {
  closed_ = true;
  for (auto* queue : {&queued_, &in_flight_}) {
    for (auto& r : *queue) fail(r, make_error_code(error::closed));
    queue->clear();
  }
}

std::optional<clock::time_point> command_queue::awaiting_since() const {
  if (in_flight_.empty()) return std::nullopt;
  return in_flight_.front().sent_at;
}

void command_queue::complete(request& r, boost::system::error_code ec, reply value, clock::time_point now) {
  if (!r.handler) return;
  if (!ec && !r.internal) {
    counters_.commands.fetch_add(1, std::memory_order_relaxed);
    counters_.observe_latency(r.command, now - r.sent_at);
  }
  sink_(r.handler.take(), ec, std::move(value));
}

}  // namespace bakewind::redis::detail
