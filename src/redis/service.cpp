#include "redis/service.hpp"

#include "redis/errors.hpp"
#include "redis/key_slot.hpp"
#include "redis/routing.hpp"

#include <openssl/sha.h>

namespace bakewind::redis {

namespace asio = boost::asio;

script::script(std::string lua) : source(std::move(lua)) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(source.data()), source.size(), digest);
  static constexpr char hex[] = "0123456789abcdef";
  sha1.reserve(2 * SHA_DIGEST_LENGTH);
  for (unsigned char b : digest) {
    sha1 += hex[b >> 4];
    sha1 += hex[b & 0xF];
  }
}

service::service(client& c) : owned_(std::make_unique<single_node>(c)), link_(*owned_), clustered_(false) {}

service::~service() = default;

std::string service::encode(std::initializer_list<std::string_view> args) {
  std::string out;
  append_command(out, args);
  return out;
}

int service::slot_for(std::string_view key) const {
  // Only a cluster routes by slot: one node pays nothing for it.
  return clustered_ ? static_cast<int>(key_slot(key)) : any_slot;
}

connection::time_point service::admit(const budget* within, retry policy) {
  if (within == nullptr) return client::no_deadline;
  // A write Redis must get is sent all the same, and awaited for what is left.
  if (!within->open() && policy != retry::deliver) {
    throw core::unavailable_error("redis", "not asked: the request's redis budget is spent");
  }
  return within->until();
}

void service::spend_and_rethrow(budget* within) {
  if (within != nullptr) within->spend();
  throw;
}

asio::awaitable<reply> service::checked(std::string encoded, retry policy, int slot, budget* within) {
  const auto deadline = admit(within, policy);
  reply r;
  // The link's send straight away, no frame of ours between: the hot path.
  try {
    r = co_await link_.send(std::move(encoded), policy, slot, deadline);
  } catch (const core::unavailable_error&) {
    spend_and_rethrow(within);
  }
  if (r.is_error()) throw server_error(r.text);
  co_return r;
}

asio::awaitable<void> service::expect_ok(std::string encoded, int slot) {
  reply r = co_await checked(std::move(encoded), retry::never, slot);
  if (r.type != reply::kind::status) throw server_error("ERR unexpected reply");
}

asio::awaitable<std::optional<std::string>> service::optional_text(std::string encoded, retry policy, int slot,
                                                                   budget* within) {
  reply r = co_await checked(std::move(encoded), policy, slot, within);
  if (r.is_nil()) co_return std::nullopt;
  co_return std::move(r.text);
}

asio::awaitable<long long> service::integer(std::string encoded, retry policy, int slot, budget* within) {
  reply r = co_await checked(std::move(encoded), policy, slot, within);
  if (r.type != reply::kind::integer) throw server_error("ERR expected an integer reply");
  co_return r.integer;
}

asio::awaitable<void> service::set(std::string_view key, std::string_view value,
                                   std::optional<std::chrono::seconds> ttl) {
  if (ttl) {
    const auto secs = std::to_string(ttl->count());
    return expect_ok(encode({"SET", key, value, "EX", secs}), slot_for(key));
  }
  return expect_ok(encode({"SET", key, value}), slot_for(key));
}

asio::awaitable<bool> service::set_nx(std::string_view key, std::string_view value,
                                      std::optional<std::chrono::seconds> ttl, budget* within) {
  std::string encoded;
  if (ttl) {
    const auto secs = std::to_string(ttl->count());
    encoded = encode({"SET", key, value, "NX", "EX", secs});
  } else {
    encoded = encode({"SET", key, value, "NX"});
  }
  return [](service* self, std::string e, int slot, budget* b) -> asio::awaitable<bool> {
    reply r = co_await self->checked(std::move(e), retry::never, slot, b);
    co_return !r.is_nil();
  }(this, std::move(encoded), slot_for(key), within);
}

asio::awaitable<std::optional<std::string>> service::get(std::string_view key, budget* within) {
  return optional_text(encode({"GET", key}), retry::idempotent, slot_for(key), within);
}

asio::awaitable<long long> service::del(std::string_view key, budget* within) {
  return integer(encode({"DEL", key}), retry::never, slot_for(key), within);
}

asio::awaitable<bool> service::exists(std::string_view key) {
  return [](service* self, std::string e, int slot) -> asio::awaitable<bool> {
    const long long n = co_await self->integer(std::move(e), retry::idempotent, slot);
    co_return n > 0;
  }(this, encode({"EXISTS", key}), slot_for(key));
}

asio::awaitable<void> service::setex(std::string_view key, std::chrono::seconds ttl, std::string_view value) {
  const auto secs = std::to_string(ttl.count());
  return expect_ok(encode({"SETEX", key, secs, value}), slot_for(key));
}

asio::awaitable<long long> service::ttl(std::string_view key) {
  return integer(encode({"TTL", key}), retry::idempotent, slot_for(key));
}

asio::awaitable<bool> service::expire(std::string_view key, std::chrono::seconds ttl) {
  const auto secs = std::to_string(ttl.count());
  return [](service* self, std::string e, int slot) -> asio::awaitable<bool> {
    const long long n = co_await self->integer(std::move(e), retry::never, slot);
    co_return n == 1;
  }(this, encode({"EXPIRE", key, secs}), slot_for(key));
}

asio::awaitable<long long> service::incr(std::string_view key) {
  return integer(encode({"INCR", key}), retry::never, slot_for(key));
}

asio::awaitable<std::optional<std::string>> service::getdel(std::string_view key, budget* within) {
  return optional_text(encode({"GETDEL", key}), retry::never, slot_for(key), within);
}

asio::awaitable<long long> service::publish(std::string_view channel, std::string_view message, budget* within) {
  // Classic PUBLISH reaches the subscribers of every node over the cluster
  // bus, so any node will do (README "Redis Cluster").
  return integer(encode({"PUBLISH", channel, message}), retry::never, any_slot, within);
}

asio::awaitable<scan_page> service::scan(std::string_view cursor, std::string_view match, std::size_t count) {
  const auto n = std::to_string(count);
  return [](service* self, std::string e) -> asio::awaitable<scan_page> {
    reply r = co_await self->checked(std::move(e), retry::idempotent, any_slot);
    if (r.type != reply::kind::array || r.elements.size() != 2) throw server_error("ERR unexpected SCAN reply");
    scan_page page;
    page.cursor = std::move(r.elements[0].text);
    for (auto& k : r.elements[1].elements) page.keys.push_back(std::move(k.text));
    co_return page;
  }(this, encode({"SCAN", cursor, "MATCH", match, "COUNT", n}));
}

asio::awaitable<std::vector<std::string>> service::scan_all(std::string match, std::size_t count) {
  const auto n = std::to_string(count);
  std::vector<std::string> keys;
  const std::vector<std::string> nodes = co_await link_.masters();
  for (const auto& node : nodes) {
    std::string cursor = "0";
    do {
      std::string step = encode({"SCAN", cursor, "MATCH", match, "COUNT", n});
      reply r = co_await link_.send_to(node, std::move(step), retry::idempotent);
      if (r.is_error()) throw server_error(r.text);
      if (r.type != reply::kind::array || r.elements.size() != 2) throw server_error("ERR unexpected SCAN reply");
      cursor = std::move(r.elements[0].text);
      for (auto& k : r.elements[1].elements) keys.push_back(std::move(k.text));
    } while (cursor != "0");
  }
  // SCAN may return a key twice (and a key migrating between masters may
  // show on both): each once.
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  co_return keys;
}

asio::awaitable<reply> service::eval(const script& s, std::span<const std::string> keys,
                                     std::span<const std::string> args, retry policy, budget* within) {
  std::vector<std::string_view> parts;
  const auto numkeys = std::to_string(keys.size());
  parts.reserve(3 + keys.size() + args.size());
  parts.insert(parts.end(), {"EVALSHA", s.sha1, numkeys});
  parts.insert(parts.end(), keys.begin(), keys.end());
  parts.insert(parts.end(), args.begin(), args.end());
  // KEYS[1]'s slot, every other key checked against it; scripts without keys go anywhere.
  const int slot = clustered_ ? slot_of_keys(std::span<const std::string_view>(parts).subspan(3, keys.size())) : any_slot;
  std::string by_sha;
  append_command(by_sha, parts);
  parts[0] = "EVAL";
  parts[1] = s.source;
  std::string by_source;
  append_command(by_source, parts);
  return [](service* self, std::string sha, std::string source, retry p, int slot,
            budget* b) -> asio::awaitable<reply> {
    const auto deadline = admit(b, p);
    reply r;
    try {
      r = co_await self->link_.send(std::move(sha), p, slot, deadline);
      if (r.is_error() && r.error_code() == "NOSCRIPT") {
        // The same slot, so the same node: the one that lacks the script.
        r = co_await self->link_.send(std::move(source), p, slot, deadline);
      }
    } catch (const core::unavailable_error&) {
      spend_and_rethrow(b);
    }
    if (r.is_error()) throw server_error(r.text);
    co_return r;
  }(this, std::move(by_sha), std::move(by_source), policy, slot, within);
}

asio::awaitable<void> service::ping() {
  return [](service* self, std::string e) -> asio::awaitable<void> {
    reply r = co_await self->checked(std::move(e), retry::idempotent, any_slot);
    if (r.text != "PONG") throw server_error("ERR unexpected PING reply");
  }(this, encode({"PING"}));
}

asio::awaitable<reply> service::command(std::vector<std::string> args, retry policy, budget* within) {
  std::vector<std::string_view> parts(args.begin(), args.end());
  std::string encoded;
  append_command(encoded, parts);
  return checked(std::move(encoded), policy, clustered_ ? slot_of_command(parts) : any_slot, within);
}

}  // namespace bakewind::redis
