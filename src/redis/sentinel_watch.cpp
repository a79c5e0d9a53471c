#include "core/log.hpp"
#include "redis/detail/sentinel_link.hpp"
#include "redis/errors.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <array>

namespace bakewind::redis::detail {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
using clock = std::chrono::steady_clock;
}  // namespace

std::string sentinel_trouble(const boost::system::error_code& ec, std::chrono::milliseconds timeout) {
  if (ec == error::timeout) return "Sentinel did not answer within " + std::to_string(timeout.count()) + " ms";
  if (ec == error::protocol) return "Sentinel spoke something that is not RESP";
  return "Sentinel unreachable (" + ec.message() + ")";
}

sentinel_watch::sentinel_watch(asio::any_io_executor ex, const options& data, std::shared_ptr<asio::ssl::context> tls,
                               master_announced on_master)
    : executor_(ex),
      data_(data),
      tls_(std::move(tls)),
      on_master_(std::move(on_master)),
      current_(data),
      stream_(ex, current_, tls_.get()),
      pause_(ex),
      ping_timer_(ex) {}

void sentinel_watch::start(std::size_t first) {
  if (data_.sentinels.empty()) return;
  index_ = first % data_.sentinels.size();
  asio::co_spawn(executor_, run(), asio::detached);
}

void sentinel_watch::stop() noexcept {
  closing_ = true;
  on_master_ = nullptr;
  stream_.close();
  pause_.cancel();
  ping_timer_.cancel();
}

asio::awaitable<void> sentinel_watch::run() {
  auto self = shared_from_this();
  const std::size_t count = data_.sentinels.size();
  std::size_t failures = 0;  // in a row, over all Sentinels
  bool ever_subscribed = false;
  bool all_down = false;     // logged "unreachable": the next success is news
  while (!closing_) {
    const auto where = data_.sentinels[index_].text();
    std::string failure = co_await subscribe();
    if (closing_) break;
    if (!failure.empty()) {
      stream_.close();
      ++failures;
      core::log_debug("redis sentinel watch: Sentinel failed", {{"sentinel", where}, {"error", failure}});
      index_ = (index_ + 1) % count;
      if (failures % count != 0) continue;  // the next Sentinel, at once
      const auto round = static_cast<int>(failures / count);
      if (!all_down) {
        all_down = true;
        core::log_warn("redis sentinel watch: no Sentinel reachable, retrying",
                       {{"sentinels", static_cast<std::uint64_t>(count)}, {"error", failure}});
      }
      pause_.expires_after(reconnect_delay(round));
      co_await pause_.async_wait(use_tuple);
      continue;
    }
    failures = 0;
    const auto level = !ever_subscribed || all_down ? core::log_level::info : core::log_level::debug;
    core::log(level, "redis sentinel watch subscribed", {{"sentinel", where}, {"master", data_.sentinel_master}});
    ever_subscribed = true;
    all_down = false;
    co_await (listen() || keep_alive());
    subscribed_ = false;
    stream_.close();
    if (closing_) break;
    core::log_debug("redis sentinel watch lost, resubscribing", {{"sentinel", where}});
    // The same Sentinel first: if it is gone, it fails fast and the next one is tried.
    pause_.expires_after(reconnect_delay(1));
    co_await pause_.async_wait(use_tuple);
  }
  subscribed_ = false;
  stream_.close();
}

asio::awaitable<std::string> sentinel_watch::subscribe() {
  current_ = sentinel_options(data_, data_.sentinels[index_]);
  const auto deadline = clock::now() + current_.connect_timeout;
  auto ec = co_await stream_.connect(deadline);
  if (ec) co_return sentinel_trouble(ec, current_.connect_timeout);
  parser_.reset();
  auto [commands, count] = lookup_commands(current_);
  const std::string_view subscribe_args[] = {"SUBSCRIBE", switch_master_channel};
  append_command(commands, subscribe_args);
  std::vector<reply> replies;
  ec = co_await exchange(stream_, parser_, commands, count + 1, replies, deadline);
  if (ec) co_return sentinel_trouble(ec, current_.connect_timeout);
  auto found = read_lookup(replies, current_);
  if (!found.address) co_return found.failure;
  const auto& confirmation = replies.back();
  if (confirmation.type != reply::kind::array || confirmation.elements.empty() ||
      confirmation.elements[0].text != "subscribe") {
    co_return "Sentinel refused SUBSCRIBE " + std::string(switch_master_channel);
  }
  subscribed_ = true;
  ping_outstanding_ = false;
  last_read_ = clock::now();
  // A switch may have happened while we were not subscribed: say where the
  // master is now, and let the owner compare.
  if (on_master_) on_master_(*found.address);
  co_return std::string();
}

asio::awaitable<void> sentinel_watch::listen() {
  std::array<char, 4096> buffer{};
  // Messages that came with the SUBSCRIBE confirmation are in the parser already.
  std::size_t received = 0;
  while (take(buffer.data(), received) && !closing_) {
    auto [ec, n] = co_await stream_.read_some(asio::buffer(buffer));
    if (ec) co_return;
    last_read_ = clock::now();
    received = n;
  }
}

bool sentinel_watch::take(const char* data, std::size_t size) {
  try {
    parser_.feed(data, size);
    while (auto r = parser_.next()) {
      if (r->type != reply::kind::array || r->elements.empty()) continue;
      const auto& kind = r->elements[0].text;
      if (kind == "message" && r->elements.size() == 3) {
        on_message(r->elements[2].text);
      } else if (kind == "pong") {
        ping_outstanding_ = false;
      }
    }
  } catch (const protocol_error& e) {
    core::log_warn("redis sentinel watch: protocol error", {{"detail", e.what()}});
    return false;
  }
  return true;
}

void sentinel_watch::on_message(std::string_view payload) {
  const auto change = parse_switch_master(payload);
  if (!change) {
    core::log_warn("redis sentinel watch: malformed +switch-master message ignored");
    return;
  }
  if (change->name != data_.sentinel_master) return;
  core::log_debug("redis sentinel: +switch-master",
                  {{"master", change->name}, {"from", change->from.text()}, {"to", change->to.text()}});
  if (on_master_) on_master_(change->to);
}

asio::awaitable<void> sentinel_watch::keep_alive() {
  // A PING when idle; no answer within read_timeout means a dead Sentinel
  // (stopped, or a half-open connection): the subscription moves on.
  while (true) {
    ping_timer_.expires_after(data_.idle_ping);
    auto [ec] = co_await ping_timer_.async_wait(use_tuple);
    if (ec || closing_) co_return;
    const auto now = clock::now();
    if (ping_outstanding_ && now - last_read_ > data_.read_timeout) {
      core::log_info("redis sentinel watch: Sentinel silent, dropping it",
                     {{"sentinel", current_.host + ":" + std::to_string(current_.port)}});
      co_return;
    }
    if (!ping_outstanding_ && now - last_read_ >= data_.idle_ping) {
      std::string ping;
      append_command(ping, {"PING"});
      ping_outstanding_ = true;
      const auto wec = co_await stream_.write(ping);
      if (wec) co_return;
    }
  }
}

}  // namespace bakewind::redis::detail
