// redis::service's batches: many commands issued at once (pipelines), and
// the per-slot markers built on them.

#include "redis/errors.hpp"
#include "redis/key_slot.hpp"
#include "redis/routing.hpp"
#include "redis/service.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace bakewind::redis {

namespace asio = boost::asio;

namespace {

using batch_completion = void(boost::system::error_code, std::vector<reply>);

struct routed_command {
  std::string encoded;
  int slot = any_slot;
};

// The replies of one pipeline as they come in, and who waits for all of them.
struct join_state {
  std::vector<reply> replies;
  std::size_t left = 0;
  boost::system::error_code first_error;
  std::optional<asio::any_completion_handler<batch_completion>> handler;
};

// Keys per pipeline of markers: a few hundred kilobytes per write, and few
// commands in flight at once however many slots there are.
constexpr std::size_t marker_window = 1024;

// Every how many slots marker_missing() looks in a cluster.
constexpr std::size_t marker_sample_stride = 64;

}  // namespace

std::string service::slot_marker(std::string_view base, std::uint16_t slot) {
  std::string key(base);
  key.append(":{").append(tag_for_slot(slot)).append("}");
  return key;
}

std::string service::marker_for(std::string_view base, std::string_view key) const {
  // One node keeps one marker: 16384 keys there would buy nothing.
  if (!clustered_) return std::string(base);
  return slot_marker(base, key_slot(key));
}

asio::awaitable<std::vector<reply>> service::pipeline(std::vector<std::vector<std::string>> commands, retry policy,
                                                      budget* within) {
  std::vector<routed_command> routed;
  routed.reserve(commands.size());
  for (const auto& args : commands) {
    std::vector<std::string_view> parts(args.begin(), args.end());
    routed_command c;
    append_command(c.encoded, parts);
    c.slot = clustered_ ? slot_of_command(parts) : any_slot;
    routed.push_back(std::move(c));
  }
  if (routed.empty()) co_return std::vector<reply>{};
  const auto deadline = admit(within, policy);
  // Every command is handed to the connection before any reply can come
  // back: on each node they leave in one write.
  auto initiate = [this, deadline](auto handler, std::vector<routed_command> cmds, retry p) {
    auto join = std::make_shared<join_state>();
    join->replies.resize(cmds.size());
    join->left = cmds.size();
    join->handler.emplace(std::move(handler));
    for (std::size_t i = 0; i < cmds.size(); ++i) {
      link_.async_send(std::move(cmds[i].encoded), p, cmds[i].slot, deadline, [join, i](boost::system::error_code ec, reply r) {
        if (ec && !join->first_error) join->first_error = ec;
        join->replies[i] = std::move(r);
        if (--join->left > 0) return;
        auto h = std::move(*join->handler);
        join->handler.reset();
        std::move(h)(join->first_error, std::move(join->replies));
      });
    }
  };
  const auto token = asio::as_tuple(asio::use_awaitable);
  auto [ec, replies] =
      co_await asio::async_initiate<decltype(token), batch_completion>(initiate, token, std::move(routed), policy);
  if (ec) {
    if (within != nullptr) within->spend();
    throw_unavailable(ec);
  }
  co_return std::move(replies);
}

asio::awaitable<void> service::drop_marker(std::string base) {
  co_await on_markers([](std::string_view name) { return std::vector<std::string>{"DEL", std::string(name)}; }, base);
}

namespace {

// A refill's token is a key of its own beside the marker (the same hash
// tag), which lives a day: a refill that died leaves nothing for ever.
constexpr std::string_view token_ttl_s = "86400";
// The marker is written only if the refill's token is still there, which
// the script takes: a node that lost its data since begin_refill (FLUSHALL,
// a restart that kept its run_id) lost the token too. Other refills'
// tokens are theirs: each refill that saw no loss since it began has copied
// everything, and seals.
constexpr std::string_view seal_script =
    "if redis.call('DEL', KEYS[2]) == 1 then redis.call('SET', KEYS[1], ARGV[1]) return 1 end return 0";

std::string token_key(std::string_view marker, std::string_view token) {
  std::string key(service::refill_prefix);
  key.append(marker).append(":").append(token);
  return key;
}

}  // namespace

asio::awaitable<void> service::begin_refill(std::string base, std::string token) {
  co_await on_markers(
      [&](std::string_view name) {
        return std::vector<std::string>{"SET", token_key(name, token), "1", "EX", std::string(token_ttl_s)};
      },
      base);
}

asio::awaitable<bool> service::seal_refill(std::string base, std::string token, std::string value) {
  const std::size_t refused = co_await on_markers(
      [&](std::string_view name) {
        return std::vector<std::string>{"EVAL", std::string(seal_script), "2", std::string(name), token_key(name, token),
                                        value};
      },
      base);
  co_return refused == 0;
}

asio::awaitable<std::size_t> service::on_markers(std::function<std::vector<std::string>(std::string_view)> make,
                                                 const std::string& base) {
  if (!clustered_) {
    std::vector<std::vector<std::string>> one;
    one.push_back(make(base));
    const std::vector<reply> r = co_await pipeline(std::move(one), retry::idempotent);
    if (r.front().is_error()) throw server_error(r.front().text);
    co_return r.front().type == reply::kind::integer && r.front().integer == 0 ? 1 : 0;
  }
  co_return co_await on_every_slot([&](std::uint16_t s) { return make(slot_marker(base, s)); });
}

asio::awaitable<std::size_t> service::on_every_slot(std::function<std::vector<std::string>(std::uint16_t)> make) {
  std::size_t zeros = 0;
  for (std::size_t first = 0; first < slot_count; first += marker_window) {
    std::vector<std::vector<std::string>> batch;
    const std::size_t end = std::min<std::size_t>(first + marker_window, slot_count);
    batch.reserve(end - first);
    for (std::size_t s = first; s < end; ++s) batch.push_back(make(static_cast<std::uint16_t>(s)));
    const std::vector<reply> replies = co_await pipeline(std::move(batch), retry::idempotent);
    for (const auto& r : replies) {
      if (r.is_error()) throw server_error(r.text);
      if (r.type == reply::kind::integer && r.integer == 0) ++zeros;
    }
  }
  co_return zeros;
}

asio::awaitable<bool> service::marker_missing(std::string base) {
  if (!clustered_) {
    const auto marker = co_await get(base);
    co_return !marker.has_value();
  }
  std::vector<std::vector<std::string>> gets;
  for (std::size_t s = 0; s < slot_count; s += marker_sample_stride) {
    std::vector<std::string> get_one{"GET", slot_marker(base, static_cast<std::uint16_t>(s))};
    gets.push_back(std::move(get_one));
  }
  const std::vector<reply> replies = co_await pipeline(std::move(gets), retry::idempotent);
  for (const auto& r : replies) {
    if (r.is_error()) throw server_error(r.text);
    if (r.is_nil()) co_return true;
  }
  co_return false;
}

}  // namespace bakewind::redis
