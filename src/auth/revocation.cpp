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
    : redis_(redis), pg_(pg), fallback_(fallback), mirror_(mirror), token_lifetime_(token_lifetime) {}

redis::mirror_spec revocation::mirror_spec(core::revocation_fallback fallback) {
  redis::mirror_spec spec{"revocation", "revocation checks", std::string(ready_marker), {}};
  spec.retired_markers.assign(previous_markers.begin(), previous_markers.end());
  spec.fallback = fallback == core::revocation_fallback::deny ? "deny" : "postgres";
  return spec;
}

asio::awaitable<bool> revocation::is_revoked(std::string jti, std::string user_id, long long issued_ms) {
  stats_.checks.inc();
  std::string cutoff = cutoff_key(user_id);
  std::string marker = redis_.marker_for(mirror_.marker(), cutoff);
  const std::vector<std::string> mget{"MGET", revoked_token_key(user_id, jti), std::move(cutoff), std::move(marker)};
  bool answered = false;
  bool revoked = false;
  bool ready = false;
  try {
    redis::reply r = co_await redis_.command(mget, redis::retry::idempotent);
    if (r.type == redis::reply::kind::array && r.elements.size() == 3) {
      answered = true;
      ready = mirror_.trusted(!r.elements[2].is_nil());
      revoked = !r.elements[0].is_nil() || (!r.elements[1].is_nil() && issued_ms <= to_number(r.elements[1].text));
    }
  } catch (const core::unavailable_error&) {
  } catch (const redis::server_error& e) {
    core::log_warn("revocation check failed in redis", {{"error", e.code()}});
  }
  if (answered && ready) {
    mirror_.answered_by(true);
    if (revoked) stats_.hits.inc();
    co_return revoked;
  }
  if (answered) {
    // Redis answers, but lost what it held: the record decides until refilled.
    mirror_.answered_by(false, "redis not refilled since it lost data or changed server");
  } else {
    mirror_.answered_by(false, "redis unavailable");
    if (fallback_ == core::revocation_fallback::deny) {
      throw core::unavailable_error("redis", "revocation check unavailable (REVOCATION_FALLBACK=deny)");
    }
  }
  stats_.fallbacks.inc();
  const bool in_record = co_await is_revoked_in_postgres(jti, user_id, issued_ms);
  if (in_record) stats_.hits.inc();
  co_return in_record;
}

asio::awaitable<bool> revocation::is_revoked_in_postgres(const std::string& jti, const std::string& user_id,
                                                         long long issued_ms) {
  // A user that no longer exists has no valid tokens.
  const auto params = pg::params(jti, user_id, issued_ms);
  pg::result r = co_await pg_.query(
      "SELECT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = $1) OR "
      "COALESCE((SELECT COALESCE(tokens_valid_after >= to_timestamp($3::bigint / 1000.0), false) "
      "FROM users WHERE id = $2::uuid), true)",
      params);
  co_return r.value(0, 0) == "t";
}

asio::awaitable<void> revocation::redis_write(std::string key, std::string value, long long ttl_s) {
  std::vector<std::string> set{"SET", std::move(key), std::move(value), "EX", std::to_string(std::max(ttl_s, 1LL))};
  // The record has it already; Redis gets it as soon as it answers again, so
  // that a Redis that kept its data (and its marker) does not miss it.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(std::max(ttl_s, 1LL));
  const auto failure = co_await redis::send_or_keep_trying(redis_, std::move(set), until);
  if (failure) core::log_warn("revocation not yet in redis, retrying in the background", {{"error", *failure}});
}

asio::awaitable<void> revocation::revoke(std::string jti, std::string user_id, long long expires_s,
                                         token_type type) {
  const auto params = pg::params(jti, user_id, expires_s, type == token_type::refresh);
  co_await pg_.query(
      "INSERT INTO revoked_tokens (jti, user_id, expires_at, refresh) "
      "VALUES ($1, $2::uuid, to_timestamp($3::bigint), $4::boolean) ON CONFLICT (jti) DO NOTHING",
      params);
  co_await remember(std::move(jti), std::move(user_id), expires_s);
}

asio::awaitable<void> revocation::remember(std::string jti, std::string user_id, long long expires_s) {
  const auto now_s =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  co_await redis_write(revoked_token_key(user_id, jti), user_id, expires_s - now_s);
}

asio::awaitable<void> revocation::revoke_all(std::string user_id, long long cutoff_ms) {
  const auto params = pg::params(user_id, cutoff_ms);
  co_await pg_.query("UPDATE users SET tokens_valid_after = to_timestamp($2::bigint / 1000.0) WHERE id = $1::uuid",
                     params);
  co_await redis_write(cutoff_key(user_id), std::to_string(cutoff_ms), token_lifetime_.count());
}

asio::awaitable<void> revocation::refill() {
  core::log_info("revocation refill started");
  std::size_t copied = 0;
  std::string after;
  while (true) {
    const auto params = pg::params(after, static_cast<long long>(refill_batch));
    pg::result page = co_await pg_.query(
        "SELECT jti, user_id::text, GREATEST(1, ceil(extract(epoch FROM expires_at - now())))::bigint "
        "FROM revoked_tokens WHERE expires_at > now() AND jti > $1 ORDER BY jti LIMIT $2",
        params);
    if (page.rows() == 0) break;
    // One pipeline per page: each SET goes to its user's slot (in a cluster,
    // to as many nodes as the page touches), all in flight at once.
    std::vector<std::vector<std::string>> sets;
    sets.reserve(page.rows());
    for (std::size_t i = 0; i < page.rows(); ++i) {
      const std::string user(page.value(i, 1));
      std::vector<std::string> set{"SET", revoked_token_key(user, page.value(i, 0)), user, "EX",
                                   std::string(page.value(i, 2))};
      sets.push_back(std::move(set));
    }
    co_await write_all(std::move(sets));
    copied += page.rows();
    after = std::string(page.value(page.rows() - 1, 0));
    if (page.rows() < refill_batch) break;
  }
  const auto lifetime = static_cast<long long>(token_lifetime_.count());
  const auto cutoff_params = pg::params(lifetime);
  pg::result cutoffs = co_await pg_.query(
      "SELECT id::text, round(extract(epoch FROM tokens_valid_after) * 1000)::bigint FROM users "
      "WHERE tokens_valid_after > now() - make_interval(secs => $1::bigint)",
      cutoff_params);
  std::vector<std::vector<std::string>> sets;
  for (std::size_t i = 0; i < cutoffs.rows(); ++i) {
    std::vector<std::string> set{"SET", cutoff_key(cutoffs.value(i, 0)), std::string(cutoffs.value(i, 1)), "EX",
                                 std::to_string(lifetime)};
    sets.push_back(std::move(set));
    if (sets.size() == refill_batch || i + 1 == cutoffs.rows()) {
      co_await write_all(std::move(sets));
      sets.clear();
    }
  }
  core::log_info("revocation refill done", {{"tokens", copied}, {"cutoffs", cutoffs.rows()}});
}

asio::awaitable<void> revocation::write_all(std::vector<std::vector<std::string>> commands) {
  const std::vector<redis::reply> replies = co_await redis_.pipeline(std::move(commands), redis::retry::idempotent);
  for (const auto& r : replies) {
    if (r.is_error()) throw redis::server_error(r.text);
  }
}

asio::awaitable<long long> revocation::purge_expired() {
  pg::result r = co_await pg_.query("DELETE FROM revoked_tokens WHERE expires_at < now()");
  co_return r.affected_rows();
}

}  // namespace bakewind::auth
