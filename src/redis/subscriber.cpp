#include "redis/subscriber.hpp"

#include "core/log.hpp"
#include "redis/detail/sentinel_link.hpp"
#include "redis/errors.hpp"
#include "redis/resp.hpp"
#include "redis/transport.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <set>

namespace bakewind::redis {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

namespace detail {
namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
using clock = std::chrono::steady_clock;
}  // namespace

struct subscriber_state : std::enable_shared_from_this<subscriber_state> {
  subscriber_state(asio::any_io_executor ex, options o, subscriber::handler h)
      : executor(ex),
        opts(std::move(o)),
        tls(make_tls_context(opts)),
        stream(ex, opts, tls.get()),
        on_message(std::move(h)),
        pause(ex),
        ping_timer(ex) {
    if (!opts.sentinels.empty()) {
      // The link calls back only until it is stopped, which close() does.
      sentinel = std::make_unique<sentinel_link>(ex, opts, tls,
                                                 [this](const server_address& master) { on_master_announced(master); });
    }
  }

  asio::awaitable<void> run();
  asio::awaitable<std::string> connect();
  asio::awaitable<void> backoff(int attempt);
  void on_master_announced(const server_address& master);
  asio::awaitable<void> read_messages();
  asio::awaitable<void> keep_alive();
  asio::awaitable<boost::system::error_code> send_subscribe(const std::vector<std::string>& list);

  asio::any_io_executor executor;
  options opts;
  std::shared_ptr<asio::ssl::context> tls;
  transport stream;
  resp_reader parser;
  subscriber::handler on_message;
  redis::stats counters;
  std::unique_ptr<sentinel_link> sentinel;  ///< set when opts.sentinels is not empty
  std::set<std::string> channels;    ///< wanted
  std::set<std::string> confirmed;   ///< subscribed on the live connection
  bool started = false;
  bool ready = false;
  bool closing = false;
  bool hurry = false;                ///< the master moved: reconnect without the backoff
  clock::time_point last_read;
  bool ping_outstanding = false;
  asio::steady_timer pause;
  asio::steady_timer ping_timer;
};

asio::awaitable<boost::system::error_code> subscriber_state::send_subscribe(const std::vector<std::string>& list) {
  if (list.empty()) co_return boost::system::error_code{};
  std::vector<std::string_view> parts{"SUBSCRIBE"};
  parts.insert(parts.end(), list.begin(), list.end());
  std::string encoded;
  append_command(encoded, parts);
  const auto ec = co_await stream.write(encoded);
  co_return ec;
}

asio::awaitable<void> subscriber_state::read_messages() {
  std::array<char, 16384> buffer{};
  while (true) {
    auto [ec, n] = co_await stream.read_some(asio::buffer(buffer));
    if (ec) co_return;
    last_read = clock::now();
    try {
      parser.feed(buffer.data(), n);
      while (auto r = parser.next()) {
        if (r->type != reply::kind::array || r->elements.empty()) continue;
        const auto& kind = r->elements[0].text;
        if (kind == "message" && r->elements.size() == 3) {
          counters.commands.fetch_add(1, std::memory_order_relaxed);
          on_message(r->elements[1].text, r->elements[2].text);
        } else if (kind == "subscribe" && r->elements.size() >= 2) {
          confirmed.insert(r->elements[1].text);
        } else if (kind == "pong") {
          ping_outstanding = false;
        }
      }
    } catch (const protocol_error& e) {
      core::log_error("redis subscriber protocol error", {{"detail", e.what()}});
      co_return;
    }
  }
}

asio::awaitable<void> subscriber_state::keep_alive() {
  // A PING when idle; no answer within read_timeout means a dead connection.
  while (true) {
    ping_timer.expires_after(opts.idle_ping);
    auto [ec] = co_await ping_timer.async_wait(use_tuple);
    if (ec) co_return;
    if (ping_outstanding && clock::now() - last_read > opts.read_timeout) {
      core::log_warn("redis subscriber silent, dropping connection");
      co_return;
    }
    if (!ping_outstanding && clock::now() - last_read >= opts.idle_ping) {
      std::string ping;
      append_command(ping, {"PING"});
      ping_outstanding = true;
      const auto wec = co_await stream.write(ping);
      if (wec) co_return;
    }
  }
}

asio::awaitable<std::string> subscriber_state::connect() {
  if (sentinel) {
    auto failure = co_await sentinel->connect(stream, parser);
    co_return failure;
  }
  auto failure = co_await open_connection(stream, parser, opts);
  co_return failure;
}

asio::awaitable<void> subscriber_state::backoff(int attempt) {
  if (!hurry) {
    pause.expires_after(reconnect_delay(attempt));
    co_await pause.async_wait(use_tuple);
  }
  hurry = false;
}

void subscriber_state::on_master_announced(const server_address& master) {
  if (closing || master == sentinel->current()) return;
  // Messages are published on the master: follow it at once.
  if (ready) core::log_info("redis subscriber: master moved, resubscribing there", {{"to", master.text()}});
  hurry = true;
  stream.close();
  pause.cancel();
}

asio::awaitable<void> subscriber_state::run() {
  auto self = shared_from_this();
  int attempt = 0;
  std::string last_failure;  // logged once per new reason, not every attempt
  while (!closing) {
    std::string failure = co_await connect();
    if (closing) break;
    if (failure.empty()) {
      const std::vector<std::string> all(channels.begin(), channels.end());
      const auto sec = co_await send_subscribe(all);
      if (sec) failure = sec.message();
    }
    if (!failure.empty() && hurry) {
      // Abandoned for the master the Sentinels just announced.
      stream.close();
      co_await backoff(attempt);
      continue;
    }
    if (!failure.empty()) {
      stream.close();
      ++attempt;
      counters.errors.fetch_add(1);
      core::log(failure != last_failure ? core::log_level::warn : core::log_level::debug,
                "redis subscriber connect failed",
                {{"error", failure}, {"attempt", attempt}, {"delayMs", reconnect_delay(attempt).count()}});
      last_failure = failure;
      co_await backoff(attempt);
      continue;
    }
    if (counters.connects.fetch_add(1) > 0) counters.reconnects.fetch_add(1);
    last_failure.clear();
    hurry = false;
    ready = true;
    const auto began = clock::now();
    counters.connected = true;
    last_read = clock::now();
    ping_outstanding = false;
    core::log_info("redis subscriber ready", {{"channels", static_cast<std::uint64_t>(channels.size())}});
    co_await (read_messages() || keep_alive());
    ready = false;
    counters.connected = false;
    confirmed.clear();
    stream.close();
    if (closing) break;
    counters.errors.fetch_add(1);
    // As in the client: only a connection that lasted restarts the backoff.
    attempt = clock::now() - began >= std::chrono::seconds(1) ? 1 : attempt + 1;
    core::log_warn("redis subscriber reconnecting", {{"attempt", attempt}, {"delayMs", reconnect_delay(attempt).count()}});
    co_await backoff(attempt);
  }
  stream.close();
}

}  // namespace detail

subscriber::subscriber(asio::any_io_executor ex, options o, handler on_message)
    : state_(std::make_shared<detail::subscriber_state>(ex, std::move(o), std::move(on_message))) {}

subscriber::~subscriber() { close(); }

void subscriber::subscribe(std::string channel) {
  auto& s = *state_;
  if (s.closing || !s.channels.insert(channel).second) return;
  if (!s.started) {
    s.started = true;
    asio::co_spawn(s.executor, s.run(), asio::detached);
    return;
  }
  if (s.ready) {
    // A live connection learns the new channel now; a later one from `channels`.
    asio::co_spawn(
        s.executor,
        [state = state_, channel]() -> asio::awaitable<void> {
          const std::vector<std::string> one{channel};
          co_await state->send_subscribe(one);
        },
        asio::detached);
  }
}

bool subscriber::subscribed() const noexcept {
  return state_->ready && state_->confirmed.size() == state_->channels.size();
}

void subscriber::close() noexcept {
  auto& s = *state_;
  s.closing = true;
  if (s.sentinel) s.sentinel->stop();
  s.on_message = nullptr;
  s.stream.close();
  s.pause.cancel();
  s.ping_timer.cancel();
}

const redis::stats& subscriber::stats() const noexcept { return state_->counters; }

}  // namespace bakewind::redis
