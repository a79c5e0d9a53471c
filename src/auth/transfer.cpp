#include "auth/transfer.hpp"

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/json.hpp"
#include "core/log.hpp"
#include "redis/errors.hpp"

#include <array>
#include <cstdint>
#include <cstring>

namespace bakewind::auth {

namespace asio = boost::asio;

namespace {

constexpr std::string_view key_prefix = "auth:transfer:";

std::string session_key(std::string_view id) {
  std::string key;
  key.reserve(key_prefix.size() + id.size());
  key.append(key_prefix).append(id);
  return key;
}

bool looks_like_session_id(std::string_view id) {
  if (id.size() != 64) return false;
  for (const char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Whether any of the 8 bytes in `w` is one a JSON string cannot hold as it
// stands (core::any_to_escape) or one that is not ASCII (from 0x80 up,
// which a parser checks as UTF-8).
constexpr bool any_unplain(std::uint64_t w) noexcept {
  return core::any_to_escape(w) || (w & 0x8080808080808080ULL) != 0;
}

// Skips `lead` and a JSON string's text after it, up to and including its
// closing quote, when that text is plain: printable ASCII without quote or
// backslash, which every parser reads as it stands. False for anything else
// (escapes, UTF-8, control characters: left to the full parser).
bool skip_plain(std::string_view& rest, std::string_view lead) {
  if (!rest.starts_with(lead)) return false;
  std::size_t i = lead.size();
  // Eight bytes at a time: tokens are hundreds of plain bytes.
  for (std::uint64_t w = 0; i + 8 <= rest.size(); i += 8) {
    std::memcpy(&w, rest.data() + i, 8);
    if (any_unplain(w)) break;
  }
  for (; i < rest.size(); ++i) {
    const auto c = static_cast<unsigned char>(rest[i]);
    if (c == '"') {
      rest.remove_prefix(i + 1);
      return true;
    }
    if (c < 0x20 || c >= 0x80 || c == '\\') return false;
  }
  return false;
}

// The payload exactly as transfer_payload writes it, read without building
// a JSON document (every claim reads one): its first three members are the
// grant's JSON as they stand. nullopt sends it to the parser.
std::optional<transfer_grant> read_written_form(std::string& stored) {
  std::string_view rest = stored;
  if (!skip_plain(rest, R"({"accessToken":")") || !skip_plain(rest, R"(,"refreshToken":")") ||
      !skip_plain(rest, R"(,"userId":")")) {
    return std::nullopt;
  }
  const std::size_t grant_end = stored.size() - rest.size();
  if (!skip_plain(rest, R"(,"createdAt":")")) return std::nullopt;
  std::string stored_on;
  if (rest.starts_with(R"(,"storedOn":")")) {
    const std::size_t from = stored.size() - rest.size() + 13;
    if (!skip_plain(rest, R"(,"storedOn":")")) return std::nullopt;
    stored_on.assign(stored, from, stored.size() - rest.size() - 1 - from);
  }
  if (rest != "}") return std::nullopt;
  stored.resize(grant_end);
  stored.push_back('}');
  return transfer_grant{std::move(stored), std::move(stored_on)};
}

// The grant's members, which the claim's answer and the stored payload share.
core::object_writer grant_members(std::string& out, std::string_view access_token, std::string_view refresh_token,
                                  std::string_view user_id) {
  core::object_writer w(out);
  w.string("accessToken", access_token).string("refreshToken", refresh_token).string("userId", user_id);
  return w;
}

std::string grant_json(std::string_view access_token, std::string_view refresh_token, std::string_view user_id) {
  std::string out;
  out.reserve(access_token.size() + refresh_token.size() + user_id.size() + 48);
  grant_members(out, access_token, refresh_token, user_id).close();
  return out;
}

std::optional<transfer_grant> read_any_form(std::string_view stored) {
  const auto value = core::parse_json(stored);
  if (!value || !value->is_object()) return std::nullopt;
  const auto& o = value->as_object();
  const auto* access = o.if_contains("accessToken");
  const auto* refresh = o.if_contains("refreshToken");
  const auto* user = o.if_contains("userId");
  if (access == nullptr || refresh == nullptr || user == nullptr || !access->is_string() || !refresh->is_string() ||
      !user->is_string()) {
    return std::nullopt;
  }
  const auto* stored_on = o.if_contains("storedOn");
  return transfer_grant{grant_json(access->get_string(), refresh->get_string(), user->get_string()),
                        stored_on != nullptr && stored_on->is_string() ? std::string(stored_on->get_string()) : ""};
}

std::vector<std::string> store_command(std::string_view id, std::string_view payload, std::chrono::seconds ttl) {
  return {"SET", session_key(id), std::string(payload), "EX", std::to_string(ttl.count()), "NX"};
}

}  // namespace

std::string transfer_payload(std::string_view access_token, std::string_view refresh_token,
                             std::string_view user_id, std::string_view created_at, std::string_view stored_on) {
  std::string out;
  out.reserve(access_token.size() + refresh_token.size() + user_id.size() + created_at.size() + stored_on.size() + 84);
  auto w = grant_members(out, access_token, refresh_token, user_id);
  w.string("createdAt", created_at);
  if (!stored_on.empty()) w.string("storedOn", stored_on);
  w.close();
  return out;
}

std::optional<transfer_grant> read_transfer_payload(std::string stored) {
  auto grant = read_written_form(stored);
  if (!grant) grant = read_any_form(stored);
  return grant;
}

asio::awaitable<transfer_outcome> transfer_sessions::create(revocation& revoked, transfer_request request,
                                                            redis::budget& budget) {
  const auto now = std::chrono::system_clock::now();
  const std::string created_at = core::iso8601_ms(now);
  // Stamped with the server the SET is about to reach (claim() compares).
  const std::string stamp(redis_.server_run_id());
  const std::array<token_ref, 2> tokens{token_ref{request.access_jti, request.access_issued_ms},
                                        token_ref{request.refresh_jti, request.refresh_issued_ms}};
  // The revocation lookup and the SET leave together: one round trip, not
  // one per step. The SET may so store a hand-off that the lookup then
  // refuses; its id (256 random bits) is told to nobody, so nobody can claim
  // it, and it is deleted at once (or expires with its TTL).
  std::string id = core::random_hex(32);
  std::vector<std::vector<std::string>> commands{
      revoked.lookup(request.user_id, tokens),
      store_command(id, transfer_payload(request.access_token, request.refresh_token, request.user_id, created_at, stamp),
                    ttl_)};
  std::optional<std::vector<redis::reply>> replies;
  try {
    std::vector<redis::reply> r = co_await redis_.pipeline(std::move(commands), redis::retry::idempotent, &budget);
    replies = std::move(r);
  } catch (const core::unavailable_error&) {
    // The lookup goes to the record (or is refused), as when is_revoked gets no reply.
  }
  const redis::reply* answer = replies ? &(*replies)[0] : nullptr;
  const std::optional<std::size_t> refused = co_await revoked.first_revoked(request.user_id, tokens, answer);
  bool stored = replies && (*replies)[1].type == redis::reply::kind::status;
  if (refused) {
    if (stored) co_await forget(std::move(id), budget);
    co_return transfer_outcome{*refused == 0 ? transfer_check::access_revoked : transfer_check::refresh_revoked, {}};
  }
  if (replies && (*replies)[1].is_error()) throw redis::server_error((*replies)[1].text);
  // A reconnect between the stamp and the SET (a failover) sent the SET to
  // another server than the stamp names, where its claim would be refused.
  if (stored && redis_.server_run_id() != stamp) {
    co_await forget(id, budget);
    stored = false;
  }
  if (!stored) id = co_await store_again(request, created_at, budget);
  co_return transfer_outcome{transfer_check::created, {std::move(id), core::iso8601_ms(now + ttl_)}};
}

asio::awaitable<std::string> transfer_sessions::store_again(const transfer_request& request,
                                                           const std::string& created_at, redis::budget& budget) {
  // Not stored yet: Redis gave no reply (this try fails as the SET would
  // have), the id was taken (256 random bits: in practice only by our own
  // SET, applied before a reconnect and sent again), or the server changed.
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::string id = core::random_hex(32);
    const std::string stamp(redis_.server_run_id());
    const bool set = co_await redis_.set_nx(
        session_key(id),
        transfer_payload(request.access_token, request.refresh_token, request.user_id, created_at, stamp), ttl_,
        &budget);
    if (set && redis_.server_run_id() == stamp) co_return id;
    if (set) co_await forget(std::move(id), budget);
  }
  throw core::unavailable_error("redis", "could not store a transfer session");
}

asio::awaitable<void> transfer_sessions::forget(std::string id, redis::budget& budget) {
  const std::string key = session_key(id);
  try {
    co_await redis_.del(key, &budget);
  } catch (const core::unavailable_error&) {
    // Unclaimable anyway (nobody knows the id); it expires with its TTL.
  } catch (const redis::server_error&) {
  }
}

asio::awaitable<std::optional<transfer_grant>> transfer_sessions::claim(std::string session_id,
                                                                       redis::budget& budget) {
  if (!looks_like_session_id(session_id)) co_return std::nullopt;
  const std::string key = session_key(session_id);
  auto stored = co_await redis_.getdel(key, &budget);
  if (!stored) co_return std::nullopt;
  auto grant = read_transfer_payload(std::move(*stored));
  // Redis replicates asynchronously: a replica promoted after an earlier
  // claim's GETDEL may still hold the session, and so may a server restarted
  // from a snapshot. A session is handed over only by the server that
  // stored it; one that came back from elsewhere is refused, as if claimed.
  const std::string_view answering = redis_.server_run_id();
  if (grant && !grant->stored_on.empty() && !answering.empty() && answering != grant->stored_on) {
    core::log_info("hand-off refused: stored on another redis server than the one answering now",
                   {{"storedOn", grant->stored_on}, {"answering", answering}});
    co_return std::nullopt;
  }
  co_return grant;
}

}  // namespace bakewind::auth
