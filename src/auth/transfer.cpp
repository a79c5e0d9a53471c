#include "auth/transfer.hpp"

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/json.hpp"
#include "redis/errors.hpp"

#include <boost/json.hpp>

namespace bakewind::auth {

namespace asio = boost::asio;

namespace {

std::string session_key(std::string_view id) {
  return std::string("auth:transfer:").append(id);
}

bool looks_like_session_id(std::string_view id) {
  if (id.size() != 64) return false;
  for (const char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

asio::awaitable<transfer_session> transfer_sessions::create(std::string access_token, std::string refresh_token,
                                                            std::string user_id) {
  const auto now = std::chrono::system_clock::now();
  const boost::json::object value{{"accessToken", access_token},
                                  {"refreshToken", refresh_token},
                                  {"userId", user_id},
                                  {"createdAt", core::iso8601_ms(now)}};
  const std::string payload = core::to_json(value);
  // 256 random bits never collide in practice; NX makes sure of it anyway.
  for (int attempt = 0; attempt < 3; ++attempt) {
    const std::string id = core::random_hex(32);
    const bool stored = co_await redis_.set_nx(session_key(id), payload, ttl_);
    if (stored) co_return transfer_session{id, core::iso8601_ms(now + ttl_)};
  }
  throw core::unavailable_error("redis", "could not store a transfer session");
}

asio::awaitable<std::optional<transfer_grant>> transfer_sessions::claim(std::string session_id) {
  if (!looks_like_session_id(session_id)) co_return std::nullopt;
  const auto stored = co_await redis_.getdel(session_key(session_id));
  if (!stored) co_return std::nullopt;
  const auto value = core::parse_json(*stored);
  if (!value || !value->is_object()) co_return std::nullopt;
  const auto& o = value->as_object();
  const auto* access = o.if_contains("accessToken");
  const auto* refresh = o.if_contains("refreshToken");
  const auto* user = o.if_contains("userId");
  if (access == nullptr || refresh == nullptr || user == nullptr || !access->is_string() || !refresh->is_string() ||
      !user->is_string()) {
    co_return std::nullopt;
  }
  co_return transfer_grant{std::string(access->get_string()), std::string(refresh->get_string()),
                           std::string(user->get_string())};
}

}  // namespace bakewind::auth
