#include "auth/tokens.hpp"

#include "core/error.hpp"
#include "core/ids.hpp"

namespace bakewind::auth {

namespace asio = boost::asio;
using std::chrono::system_clock;

namespace {

long long millis_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(system_clock::now().time_since_epoch()).count();
}

long long seconds_since_epoch(system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

token_service::token_service(const jwt_codec& codec, pg::pool& pg, revocation& revoked, std::chrono::seconds access_ttl,
                             std::chrono::seconds refresh_ttl)
    : codec_(codec), store_(pg), revoked_(revoked), access_ttl_(access_ttl), refresh_ttl_(refresh_ttl) {}

next_refresh token_service::next_refresh_at(system_clock::time_point now) const {
  return {core::random_uuid_v7(now), seconds_since_epoch(now) + refresh_ttl_.count()};
}

token_pair token_service::signed_pair(const user& u, system_clock::time_point now, const next_refresh& r) const {
  const long long iat = seconds_since_epoch(now);
  claims access{
      u.id, u.bakery_id, u.role, token_type::access, core::random_uuid_v7(now), iat, iat + access_ttl_.count()};
  claims refresh{u.id, u.bakery_id, u.role, token_type::refresh, r.jti, iat, r.expires_s};
  return token_pair{codec_.sign(access), codec_.sign(refresh), access_ttl_.count()};
}

asio::awaitable<token_pair> token_service::issue(const user& u) {
  const auto now = system_clock::now();
  const next_refresh r = next_refresh_at(now);
  co_await store_.record_issued(r.jti, core::random_uuid(), u.id, r.expires_s);
  co_return signed_pair(u, now, r);
}

std::optional<claims> token_service::verified(std::string_view token, token_type type) const {
  const auto now = system_clock::now();
  auto c = verified_.find(token, seconds_since_epoch(now));
  if (!c) {
    jwt_error why{};
    c = codec_.verify(token, now, why);
    if (!c || !core::is_uuid(c->sub)) return std::nullopt;
    verified_.remember(token, *c);
  }
  if (c->typ != type) return std::nullopt;
  return c;
}

std::optional<claims> token_service::verify_refresh(std::string_view token) const {
  return verified(token, token_type::refresh);
}

std::optional<principal> token_service::verify_access(std::string_view token) const {
  auto c = verified(token, token_type::access);
  if (!c) return std::nullopt;
  return principal{c->sub, c->bky, c->role, c->jti, c->exp, issued_ms(*c), std::string(token)};
}

asio::awaitable<std::pair<refresh_check, token_pair>> token_service::refresh(std::string refresh_token,
                                                                             redis::budget& budget) {
  const auto c = verify_refresh(refresh_token);
  if (!c) co_return std::pair{refresh_check::invalid, token_pair{}};
  // The family of the used token continues with this one, recorded in the
  // same transaction that uses it up.
  const auto now = system_clock::now();
  const next_refresh next = next_refresh_at(now);
  rotation outcome = co_await store_.rotate(c->jti, issued_ms(*c), next);
  // Committed: Redis learns of what it revoked before anyone hears of it,
  // or, when it does not answer in time, this process asks the record until
  // it has (the rotation stands: its answer goes out).
  for (auto& r : outcome.revoked) {
    co_await revoked_.remember(std::move(r.jti), std::move(r.user_id), r.expires_s, budget);
  }
  if (outcome.check != refresh_check::ok) co_return std::pair{outcome.check, token_pair{}};
  co_return std::pair{refresh_check::ok, signed_pair(*outcome.owner, now, next)};
}

std::optional<claims> token_service::refresh_claims(std::string_view refresh_token, std::string_view user_id) const {
  // Signed by us, so recorded in refresh_tokens when issued; unexpired, as
  // verified. Used and revoked ones are in the revocation record (rotation,
  // logout, reuse), and a logout-all's cutoff covers the rest: the
  // revocation check that the caller makes is the whole answer.
  auto c = verify_refresh(refresh_token);
  if (!c || c->sub != user_id) return std::nullopt;
  return c;
}

asio::awaitable<logout_result> token_service::logout(const principal& who, std::optional<std::string> refresh_token,
                                                     redis::budget& budget) {
  bool everywhere = co_await revoked_.revoke(who.jti, who.user_id, who.exp, budget);
  const auto c = refresh_token ? verify_refresh(*refresh_token) : std::nullopt;
  // Another user's refresh token is ignored, as the seed does.
  if (c && c->sub == who.user_id) {
    co_await store_.revoke(c->jti, who.user_id);
    const bool refresh_everywhere = co_await revoked_.revoke(c->jti, who.user_id, c->exp, budget, token_type::refresh);
    everywhere = everywhere && refresh_everywhere;
  }
  co_return logout_result{everywhere};
}

asio::awaitable<logout_result> token_service::logout_all(const principal& who, redis::budget& budget) {
  // The cutoff is this instant to the millisecond; tokens carry theirs in the jti.
  const long long cutoff = millis_now();
  const bool everywhere = co_await revoked_.revoke_all(who.user_id, cutoff, budget);
  co_await store_.revoke_all(who.user_id);
  co_return logout_result{everywhere, cutoff};
}

asio::awaitable<long long> token_service::purge_expired() {
  const long long purged = co_await store_.purge_expired();
  co_return purged;
}

}  // namespace bakewind::auth
