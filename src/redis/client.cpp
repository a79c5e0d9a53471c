#include "redis/client.hpp"

#include "core/log.hpp"
#include "redis/detail/client_state.hpp"
#include "redis/server_identity.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>

namespace bakewind::redis {

namespace asio = boost::asio;

namespace detail {
namespace {

/// Completes callers on `ex`, never inline: a caller resumed from inside the
/// queue could issue new commands while the queue is still being walked.
completion_sink post_to(asio::any_io_executor ex) {
  return [ex](handler_slot::handler_type h, boost::system::error_code ec, reply value) {
    asio::post(ex, [h = std::move(h), ec, v = std::move(value)]() mutable {
      // Our cancellation handler goes before the caller resumes and may
      // hand the same slot to its next operation.
      auto slot = asio::get_associated_cancellation_slot(h);
      if (slot.is_connected()) slot.clear();
      std::move(h)(ec, std::move(v));
    });
  };
}

/// Installed in a caller's cancellation slot: forwards the signal to the
/// queue, unless the client is gone by then.
struct cancel_command {
  // A constructor, not an aggregate: emplace() initialises with parentheses,
  // which Clang 14 does not accept for aggregates.
  cancel_command(std::weak_ptr<client_state> s, std::uint64_t i) : state(std::move(s)), id(i) {}

  std::weak_ptr<client_state> state;
  std::uint64_t id;

  void operator()(asio::cancellation_type type) const {
    if (auto s = state.lock()) s->cancel(id, type);
  }
};

}  // namespace

client_state::client_state(asio::any_io_executor ex, redis::options o)
    : queue_(o, counters_, post_to(ex)), link_(ex, std::move(o), "redis", *this, counters_) {}

std::uint64_t client_state::enqueue(request r) {
  const auto id = queue_.enqueue(std::move(r), clock::now());
  if (id == 0) return 0;
  // Lazy connect: the first command starts the connection.
  link_.start(shared_from_this());
  link_.wake_writer();
  return id;
}

void client_state::shut_down() {
  link_.stop();
  queue_.close();
  // A connection closed while stalled (a retired cluster node, shutdown)
  // leaves the process's episode, or it would never end.
  if (stalled_) {
    stalled_ = false;
    stalls().ended(endpoint_of(opts()));
  }
}

asio::awaitable<std::string> client_state::after_connect(transport& stream, resp_reader& parser) {
  if (link_.settings().servers == nullptr) co_return std::string();
  auto failure = co_await identify(stream, parser);
  co_return failure;
}

void client_state::connection_ready() {
  queue_.connected();
  note_answering();
}

bool client_state::take_replies(resp_reader& parser, clock::time_point now) {
  const bool keep = queue_.take_replies(parser, now);
  note_answering();
  if (keep) return true;
  core::log_warn("redis READONLY reply: reconnecting", {{"endpoint", endpoint_of(opts())}});
  return false;
}

void client_state::ping(clock::time_point now) {
  if (queue_.queued() != 0) return;  // a write is on its way anyway
  request ping;
  append_command(ping.payload, {"PING"});
  ping.internal = true;
  ping.deadline = now + opts().read_timeout;
  ping.handler = handler_slot::handler_type([](boost::system::error_code, reply) {});
  queue_.enqueue(std::move(ping), now);
}

stall_episodes& client_state::stalls() noexcept {
  return opts().stalls != nullptr ? *opts().stalls : own_stalls_;
}

void client_state::stalled(clock::time_point) {
  if (!queue_.stop_waiting()) return;
  stalled_ = true;
  stalls().began(endpoint_of(opts()), std::chrono::duration_cast<std::chrono::milliseconds>(opts().command_timeout));
}

void client_state::note_answering() {
  if (!stalled_ || queue_.not_answering()) return;
  stalled_ = false;
  stalls().ended(endpoint_of(opts()));
}

std::size_t client_state::connection_lost() {
  const auto unanswered = queue_.in_flight();
  queue_.connection_lost();
  return unanswered;
}

void client_state::tick(clock::time_point now) {
  queue_.expire(now);
  counters_.queued.store(link_.ready() ? 0 : queue_.queued(), std::memory_order_relaxed);
}

asio::awaitable<std::string> client_state::identify(transport& stream, resp_reader& parser) {
  const auto& opts = link_.settings();
  std::string info;
  append_command(info, {"INFO", "server"});
  std::vector<reply> replies;
  const auto deadline = clock::now() + opts.connect_timeout;
  const auto ec = co_await exchange(stream, parser, info, 1, replies, deadline);
  if (ec) co_return "INFO server: " + ec.message();
  const std::string now = run_id_of(replies.front());
  const std::string before = run_id_;
  if (link_.settings().servers->note(run_id_, now)) {
    core::log_info("redis server new to this connection",
                   {{"endpoint", endpoint_of(opts)},
                    {"runId", now.empty() ? std::string_view("unknown") : std::string_view(now)},
                    {"previous", before.empty() ? std::string_view("none") : std::string_view(before)}});
  }
  co_return std::string();
}

}  // namespace detail

client::client(asio::any_io_executor ex, redis::options o)
    : state_(std::make_shared<detail::client_state>(ex, std::move(o))) {}

client::~client() { state_->shut_down(); }

void client::enqueue(std::string payload, retry policy, std::chrono::steady_clock::time_point deadline,
                     asio::any_completion_handler<completion> handler) {
  auto slot = asio::get_associated_cancellation_slot(handler);
  detail::request r;
  r.payload = std::move(payload);
  r.command = static_cast<std::uint8_t>(command_slot(r.payload));
  r.policy = policy;
  r.deadline = std::min(detail::clock::now() + state_->opts().command_timeout, deadline);
  r.handler = detail::handler_slot(std::move(handler));
  const auto id = state_->enqueue(std::move(r));
  if (id != 0 && slot.is_connected()) {
    slot.template emplace<detail::cancel_command>(std::weak_ptr<detail::client_state>(state_), id);
  }
}

asio::awaitable<reply> client::send(std::string encoded, retry policy, std::chrono::steady_clock::time_point deadline) {
  auto [ec, r] = co_await async_send(std::move(encoded), policy, deadline, asio::as_tuple(asio::use_awaitable));
  if (ec == asio::error::operation_aborted) throw boost::system::system_error(ec);  // cancelled, not an outage
  if (ec == error::retries_exhausted && !state_->last_failure().empty()) {
    // Say why: "authentication failed (WRONGPASS)" helps more than "not connected".
    throw core::unavailable_error("redis", ec.message() + ": " + state_->last_failure());
  }
  if (ec) throw_unavailable(ec);
  co_return r;
}

asio::awaitable<void> client::close() {
  auto state = state_;
  auto& s = *state;
  if (s.closing()) co_return;
  if (s.ready()) {
    s.quitting();
    std::string quit;
    append_command(quit, {"QUIT"});
    // Whatever the answer (or none within the deadline), we close next.
    auto [ec, r] = co_await async_send(std::move(quit), retry::never, asio::as_tuple(asio::use_awaitable));
  }
  s.shut_down();
}

const redis::stats& client::stats() const noexcept { return state_->counters(); }

const std::string& client::server_run_id() const noexcept { return state_->run_id(); }

}  // namespace bakewind::redis
