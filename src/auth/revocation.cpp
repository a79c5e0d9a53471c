#include "auth/revocation.hpp"

#include "auth/revocation_keys.hpp"
#include "core/log.hpp"
#include "redis/errors.hpp"
#include "redis/keep_trying.hpp"

#include <boost/asio/use_awaitable.hpp>

#include <array>
#include <charconv>

namespace bakewind::auth {

namespace asio = boost::asio;

namespace {

// The marker that vouches for the revocation keys (README "Redis keys"):
// one key on a single node, one per slot in a cluster. Its version changes
// with the key names, so that a Redis filled by an older build holds no
// marker of this version and the first check after an upgrade refills it in
// the new layout, instead of trusting keys that no longer exist under the
// names it reads: ":v2" since the keys are tagged by user id, ":v3" since
// ids are written compactly under auth:revoked: (auth/revocation_keys.hpp),
// ":v4" since used and revoked refresh tokens are among them (migration 0003).
constexpr std::string_view ready_marker = "auth:revocation:ready:v4";
constexpr std::array<std::string_view, 2> previous_markers{"auth:revocation:ready:v3", "auth:revocation:ready:v2"};
constexpr std::size_t refill_batch = 1000;

long long to_number(const std::string& text) {
  long long v = 0;
  std::from_chars(text.data(), text.data() + text.size(), v);
  return v;
}

}  // namespace

revocation::revocation(redis::service& redis, pg::pool& pg, core::revocation_fallback fallback,
                       redis::mirror& mirror, std::chrono::seconds token_lifetime)
    : redis_(redis), record_(pg), fallback_(fallback), mirror_(mirror), token_lifetime_(token_lifetime) {}

redis::mirror_spec revocation::mirror_spec(core::revocation_fallback fallback) {
  redis::mirror_spec spec{"revocation", "revocation checks", std::string(ready_marker), {}};
  spec.retired_markers.assign(previous_markers.begin(), previous_markers.end());
  spec.fallback = fallback == core::revocation_fallback::deny ? "deny" : "postgres";
  return spec;
}

asio::awaitable<bool> revocation::is_revoked(std::string jti, std::string user_id, long long issued_ms,
                                             redis::budget& budget) {
  const std::array<token_ref, 1> tokens{token_ref{jti, issued_ms}};
  std::optional<redis::reply> answer;
  try {
    std::vector<std::string> mget = lookup(user_id, tokens);
    redis::reply r = co_await redis_.command(std::move(mget), redis::retry::idempotent, &budget);
    answer = std::move(r);
  } catch (const core::unavailable_error&) {
  } catch (const redis::server_error& e) {
    core::log_warn("revocation check failed in redis", {{"error", e.code()}});
  }
  const redis::reply* seen = answer ? &*answer : nullptr;
  const std::optional<std::size_t> revoked = co_await first_revoked(user_id, tokens, seen);
  co_return revoked.has_value();
}

std::vector<std::string> revocation::lookup(std::string_view user_id, std::span<const token_ref> tokens) const {
  std::vector<std::string> mget;
  mget.reserve(tokens.size() + 3);
  mget.emplace_back("MGET");
  for (const auto& t : tokens) mget.push_back(revoked_token_key(user_id, t.jti));
  std::string cutoff = cutoff_key(user_id);
  std::string marker = redis_.marker_for(mirror_.marker(), cutoff);
  mget.push_back(std::move(cutoff));
  mget.push_back(std::move(marker));
  return mget;
}

asio::awaitable<std::optional<std::size_t>> revocation::first_revoked(std::string_view user_id,
                                                                      std::span<const token_ref> tokens,
                                                                      const redis::reply* answer) {
  stats_.checks.inc(tokens.size());
  const verdict v = read_answer(answer, tokens);
  if (v.decided) co_return v.revoked;
  const std::optional<std::size_t> in_record = co_await ask_record(user_id, tokens, v.answered);
  co_return in_record;
}

revocation::verdict revocation::read_answer(const redis::reply* answer, std::span<const token_ref> tokens) {
  // Replies: each token's key, then the cutoff, then the marker (lookup).
  const std::size_t n = tokens.size();
  verdict v;
  if (answer != nullptr && answer->is_error()) {
    core::log_warn("revocation check failed in redis", {{"error", std::string(answer->error_code())}});
  } else if (answer != nullptr && answer->type == redis::reply::kind::array && answer->elements.size() == n + 2) {
    const auto& e = answer->elements;
    v.answered = true;
    v.decided = mirror_.trusted(!e[n + 1].is_nil());
    const bool cut = !e[n].is_nil();
    const long long cutoff_ms = cut ? to_number(e[n].text) : 0;
    for (std::size_t i = 0; i < n && !v.revoked; ++i) {
      if (!e[i].is_nil() || (cut && tokens[i].issued_ms <= cutoff_ms)) v.revoked = i;
    }
  }
  if (v.decided) {
    mirror_.answered_by(true);
    if (v.revoked) stats_.hits.inc();
  }
  return v;
}

asio::awaitable<std::optional<std::size_t>> revocation::ask_record(std::string_view user_id,
                                                                   std::span<const token_ref> tokens, bool answered) {
  if (answered) {
    // Redis answers, but lost what it held, or lacks a revocation of ours
    // still on its way: the record decides until refilled, or until it lands.
    mirror_.answered_by(false, "redis lost data or changed server, or lacks a revocation of ours yet");
  } else {
    mirror_.answered_by(false, "redis unavailable");
    if (fallback_ == core::revocation_fallback::deny) {
      throw core::unavailable_error("redis", "revocation check unavailable (REVOCATION_FALLBACK=deny)");
    }
  }
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    stats_.fallbacks.inc();
    std::string jti(tokens[i].jti);
    std::string user(user_id);
    const bool in_record = co_await record_.is_revoked(std::move(jti), std::move(user), tokens[i].issued_ms);
    if (in_record) {
      stats_.hits.inc();
      co_return i;
    }
  }
  co_return std::nullopt;
}

asio::awaitable<bool> revocation::redis_write(std::string key, std::string value, long long ttl_s,
                                              redis::budget& budget) {
  std::vector<std::string> set{"SET", std::move(key), std::move(value), "EX", std::to_string(std::max(ttl_s, 1LL))};
  // The record has it already; Redis gets it as soon as it answers again, so
  // that a Redis that kept its data (and its marker) does not miss it.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(std::max(ttl_s, 1LL));
  const auto failure = co_await redis::send_or_keep_trying(redis_, std::move(set), until, &budget,
                                                           [this] { return mirror_.unsynced_write(); });
  if (!failure) co_return true;
  core::log_warn("revocation not yet in redis, retrying in the background", {{"error", *failure}});
  co_return false;
}

asio::awaitable<bool> revocation::revoke(std::string jti, std::string user_id, long long expires_s,
                                         redis::budget& budget, token_type type) {
  co_await record_.record(jti, user_id, expires_s, type == token_type::refresh);
  const bool taken = co_await remember(std::move(jti), std::move(user_id), expires_s, budget);
  co_return taken;
}

asio::awaitable<bool> revocation::remember(std::string jti, std::string user_id, long long expires_s,
                                           redis::budget& budget) {
  const auto now_s =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const bool taken = co_await redis_write(revoked_token_key(user_id, jti), user_id, expires_s - now_s, budget);
  co_return taken;
}

asio::awaitable<bool> revocation::revoke_all(std::string user_id, long long cutoff_ms, redis::budget& budget) {
  co_await record_.set_cutoff(user_id, cutoff_ms);
  const bool taken =
      co_await redis_write(cutoff_key(user_id), std::to_string(cutoff_ms), token_lifetime_.count(), budget);
  co_return taken;
}

asio::awaitable<void> revocation::refill() {
  core::log_info("revocation refill started");
  std::size_t copied = 0;
  std::string after;
  while (true) {
    const std::vector<recorded_revocation> page = co_await record_.live_after(after, refill_batch);
    if (page.empty()) break;
    // One pipeline per page: each SET goes to its user's slot (in a cluster,
    // to as many nodes as the page touches), all in flight at once.
    std::vector<std::vector<std::string>> sets;
    sets.reserve(page.size());
    for (const auto& r : page) {
      std::vector<std::string> set{"SET", revoked_token_key(r.user_id, r.jti), r.user_id, "EX",
                                   std::to_string(r.ttl_s)};
      sets.push_back(std::move(set));
    }
    co_await write_all(std::move(sets));
    copied += page.size();
    after = page.back().jti;
    if (page.size() < refill_batch) break;
  }
  const auto lifetime = static_cast<long long>(token_lifetime_.count());
  const std::vector<recorded_cutoff> cutoffs = co_await record_.recent_cutoffs(lifetime);
  std::vector<std::vector<std::string>> sets;
  for (std::size_t i = 0; i < cutoffs.size(); ++i) {
    std::vector<std::string> set{"SET", cutoff_key(cutoffs[i].user_id), std::to_string(cutoffs[i].cutoff_ms), "EX",
                                 std::to_string(lifetime)};
    sets.push_back(std::move(set));
    if (sets.size() == refill_batch || i + 1 == cutoffs.size()) {
      co_await write_all(std::move(sets));
      sets.clear();
    }
  }
  core::log_info("revocation refill done", {{"tokens", copied}, {"cutoffs", cutoffs.size()}});
}

asio::awaitable<void> revocation::write_all(std::vector<std::vector<std::string>> commands) {
  const std::vector<redis::reply> replies = co_await redis_.pipeline(std::move(commands), redis::retry::idempotent);
  for (const auto& r : replies) {
    if (r.is_error()) throw redis::server_error(r.text);
  }
}

asio::awaitable<long long> revocation::purge_expired() {
  const long long purged = co_await record_.purge_expired();
  co_return purged;
}

}  // namespace bakewind::auth
