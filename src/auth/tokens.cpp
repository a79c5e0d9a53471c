#include "auth/tokens.hpp"

#include "core/ids.hpp"

#include <vector>

namespace bakewind::auth {

namespace asio = boost::asio;
using std::chrono::system_clock;

namespace {

long long millis_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(system_clock::now().time_since_epoch()).count();
}

// A refresh token the rotation transaction recorded as revoked.
struct recorded_revocation {
  std::string jti;
  std::string user_id;
  long long expires_s = 0;
};

// What the rotation transaction found, and what it revoked (for Redis, once
// it has committed).
struct rotation {
  refresh_check check = refresh_check::invalid;
  std::optional<user> owner;
  std::string family;
  std::vector<recorded_revocation> revoked;
};

}  // namespace

token_service::token_service(const jwt_codec& codec, pg::pool& pg, revocation& revoked, std::chrono::seconds access_ttl,
                             std::chrono::seconds refresh_ttl)
    : codec_(codec), pg_(pg), revoked_(revoked), access_ttl_(access_ttl), refresh_ttl_(refresh_ttl) {}

asio::awaitable<token_pair> token_service::issue(const user& u, std::optional<std::string> family) {
  const auto now = system_clock::now();
  const long long iat = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  claims access{
      u.id, u.bakery_id, u.role, token_type::access, core::random_uuid_v7(now), iat, iat + access_ttl_.count()};
  claims refresh{
      u.id, u.bakery_id, u.role, token_type::refresh, core::random_uuid_v7(now), iat, iat + refresh_ttl_.count()};
  const auto params = pg::params(refresh.jti, family.value_or(core::random_uuid()), u.id, refresh.exp);
  co_await pg_.query(
      "INSERT INTO refresh_tokens (jti, family_id, user_id, expires_at) "
      "VALUES ($1, $2::uuid, $3::uuid, to_timestamp($4::bigint))",
      params);
  co_return token_pair{codec_.sign(access), codec_.sign(refresh), access_ttl_.count()};
}

std::optional<claims> token_service::verify_refresh(std::string_view token) const {
  jwt_error why{};
  auto c = codec_.verify(token, system_clock::now(), why);
  if (!c || c->typ != token_type::refresh || !core::is_uuid(c->sub)) return std::nullopt;
  return c;
}

std::optional<principal> token_service::verify_access(std::string_view token) const {
  jwt_error why{};
  auto c = codec_.verify(token, system_clock::now(), why);
  if (!c || c->typ != token_type::access || !core::is_uuid(c->sub)) return std::nullopt;
  return principal{c->sub, c->bky, c->role, c->jti, c->exp, issued_ms(*c), std::string(token)};
}

asio::awaitable<std::pair<refresh_check, token_pair>> token_service::refresh(std::string refresh_token) {
  const auto c = verify_refresh(refresh_token);
  if (!c) co_return std::pair{refresh_check::invalid, token_pair{}};
  const long long issued = issued_ms(*c);
  // One transaction: using the token up and recording its successor are one
  // step, and of two concurrent presentations exactly one wins.
  // Named, not a temporary inside the co_await: GCC 12 destroys such
  // temporaries twice.
  // A used token is recorded as revoked in the same statement, so that the
  // check of POST /auth/transfer (revocation::is_revoked) knows it at once.
  auto rotate = [jti = c->jti, issued](pg::connection& conn) -> asio::awaitable<rotation> {
    const auto params = pg::params(jti, issued);
    pg::result used = co_await conn.query(
        "WITH used AS (UPDATE refresh_tokens rt SET used_at = now() FROM users u "
        "WHERE rt.jti = $1 AND u.id = rt.user_id AND rt.used_at IS NULL AND rt.revoked_at IS NULL "
        "AND rt.expires_at > now() "
        "AND (u.tokens_valid_after IS NULL OR u.tokens_valid_after < to_timestamp($2::bigint / 1000.0)) "
        "RETURNING rt.jti, rt.user_id, rt.expires_at, rt.family_id::text AS family, u.id::text AS id, u.email, "
        "u.name, u.role, u.bakery_id::text AS bakery, "
        "to_char(u.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS created), "
        "recorded AS (INSERT INTO revoked_tokens (jti, user_id, expires_at, refresh) "
        "SELECT jti, user_id, expires_at, true FROM used ON CONFLICT (jti) DO NOTHING) "
        "SELECT family, id, email, name, role, bakery, created, extract(epoch FROM expires_at)::bigint FROM used",
        params);
    if (used.rows() == 1) {
      user u{std::string(used.value(0, 1)), std::string(used.value(0, 2)), std::string(used.value(0, 3)),
             std::string(used.value(0, 4)), std::string(used.value(0, 5)), std::string(used.value(0, 6))};
      recorded_revocation self{jti, u.id, used.integer(0, 7)};
      co_return rotation{refresh_check::ok, std::move(u), std::string(used.value(0, 0)), {std::move(self)}};
    }
    const auto jti_param = pg::params(jti);
    pg::result row = co_await conn.query(
        "SELECT used_at IS NOT NULL, family_id::text, expires_at > now() FROM refresh_tokens WHERE jti = $1",
        jti_param);
    if (row.rows() == 0 || row.value(0, 2) == "f") co_return rotation{};
    rotation out{refresh_check::revoked, std::nullopt, {}, {}};
    if (row.value(0, 0) == "t") {
      // Presented again after rotation: someone else has a copy. Revoke the
      // family, and record its unexpired tokens as revoked.
      const auto family = pg::params(std::string(row.value(0, 1)));
      pg::result revoked = co_await conn.query(
          "WITH revoked AS (UPDATE refresh_tokens SET revoked_at = now() "
          "WHERE family_id = $1::uuid AND revoked_at IS NULL RETURNING jti, user_id, expires_at) "
          "INSERT INTO revoked_tokens (jti, user_id, expires_at, refresh) "
          "SELECT jti, user_id, expires_at, true FROM revoked WHERE expires_at > now() ON CONFLICT (jti) DO NOTHING "
          "RETURNING jti, user_id::text, extract(epoch FROM expires_at)::bigint",
          family);
      for (std::size_t i = 0; i < revoked.rows(); ++i) {
        out.revoked.push_back(
            {std::string(revoked.value(i, 0)), std::string(revoked.value(i, 1)), revoked.integer(i, 2)});
      }
    }
    co_return out;
  };
  auto outcome = co_await pg_.transaction(std::move(rotate));
  // Committed: Redis learns of what it revoked before anyone hears of it.
  for (auto& r : outcome.revoked) co_await revoked_.remember(std::move(r.jti), std::move(r.user_id), r.expires_s);
  if (outcome.check != refresh_check::ok) co_return std::pair{outcome.check, token_pair{}};
  // The family of the used token continues.
  token_pair pair = co_await issue(*outcome.owner, outcome.family);
  co_return std::pair{refresh_check::ok, std::move(pair)};
}

asio::awaitable<bool> token_service::is_live_refresh_token(std::string refresh_token, std::string user_id) {
  const auto c = verify_refresh(refresh_token);
  if (!c || c->sub != user_id) co_return false;
  // Signed by us, so recorded in refresh_tokens when issued; unexpired, as
  // verified. Used and revoked ones are in the revocation record (rotation,
  // logout, reuse), and a logout-all's cutoff covers the rest: the same
  // exact check as an access token's, answered by Redis.
  const bool revoked = co_await revoked_.is_revoked(c->jti, user_id, issued_ms(*c));
  co_return !revoked;
}

asio::awaitable<void> token_service::logout(const principal& who, std::optional<std::string> refresh_token) {
  co_await revoked_.revoke(who.jti, who.user_id, who.exp);
  if (!refresh_token) co_return;
  const auto c = verify_refresh(*refresh_token);
  if (!c || c->sub != who.user_id) co_return;  // not the caller's: ignored, as the seed does
  const auto params = pg::params(c->jti, who.user_id);
  co_await pg_.query(
      "UPDATE refresh_tokens SET revoked_at = now() WHERE jti = $1 AND user_id = $2::uuid AND revoked_at IS NULL",
      params);
  co_await revoked_.revoke(c->jti, who.user_id, c->exp, token_type::refresh);
}

asio::awaitable<long long> token_service::logout_all(const principal& who) {
  // The cutoff is this instant to the millisecond; tokens carry theirs in the jti.
  const long long cutoff = millis_now();
  co_await revoked_.revoke_all(who.user_id, cutoff);
  const auto params = pg::params(who.user_id);
  co_await pg_.query("UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1::uuid AND revoked_at IS NULL",
                     params);
  co_return cutoff;
}

asio::awaitable<long long> token_service::purge_expired() {
  pg::result r = co_await pg_.query("DELETE FROM refresh_tokens WHERE expires_at < now()");
  co_return r.affected_rows();
}

}  // namespace bakewind::auth
