#include "auth/jwt.hpp"

#include "auth/base64url.hpp"
#include "core/ids.hpp"
#include "core/json.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <boost/json.hpp>

#include <algorithm>
#include <limits>

namespace bakewind::auth {
namespace {

// {"alg":"HS256","typ":"JWT"}, encoded once.
const std::string& signed_header() {
  static const std::string h = base64url_encode(R"({"alg":"HS256","typ":"JWT"})");
  return h;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::optional<boost::json::object> decode_object(std::string_view part) {
  const auto raw = base64url_decode(part);
  if (!raw) return std::nullopt;
  auto v = core::parse_json(*raw);
  if (!v || !v->is_object()) return std::nullopt;
  return std::move(v->as_object());
}

bool read_string(const boost::json::object& o, std::string_view key, std::string& out) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return false;
  out.assign(v->get_string().data(), v->get_string().size());
  return true;
}

bool read_seconds(const boost::json::object& o, std::string_view key, long long& out) {
  const auto* v = o.if_contains(key);
  if (v == nullptr) return false;
  if (v->is_int64()) {
    out = v->get_int64();
  } else if (v->is_uint64() && v->get_uint64() < (1ULL << 62)) {
    out = static_cast<long long>(v->get_uint64());
  } else if (v->is_double() && v->get_double() > 0 && v->get_double() < 1e15) {
    out = static_cast<long long>(v->get_double());
  } else {
    return false;
  }
  return true;
}

}  // namespace

long long issued_ms(const claims& c) noexcept {
  if (const auto ms = core::uuid_v7_millis(c.jti)) return *ms;
  // verify() accepts any int64 `iat`: saturate rather than overflow.
  constexpr long long limit = std::numeric_limits<long long>::max() / 1000;
  return std::clamp(c.iat, -limit, limit) * 1000;
}

std::string_view to_string(token_type t) noexcept {
  return t == token_type::access ? "access" : "refresh";
}

jwt_codec::jwt_codec(std::string secret, std::string previous) {
  secrets_.push_back(std::move(secret));
  if (!previous.empty()) secrets_.push_back(std::move(previous));
}

std::string jwt_codec::sign(const claims& c) const {
  const boost::json::object payload{{"sub", c.sub}, {"bky", c.bky}, {"role", c.role}, {"typ", to_string(c.typ)},
                                    {"jti", c.jti}, {"iat", c.iat}, {"exp", c.exp}};
  std::string token = signed_header();
  token += '.';
  token += base64url_encode(core::to_json(payload));
  const auto signature = hmac_sha256(secrets_.front(), token);
  token += '.';
  token += base64url_encode(signature);
  return token;
}

std::optional<claims> jwt_codec::verify(std::string_view token, std::chrono::system_clock::time_point now,
                                        jwt_error& why) const {
  why = jwt_error::malformed;
  const auto first = token.find('.');
  const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) return std::nullopt;
  const auto header = decode_object(token.substr(0, first));
  if (!header) return std::nullopt;
  const auto* alg = header->if_contains("alg");
  if (alg == nullptr || !alg->is_string() || alg->get_string() != "HS256") {
    why = jwt_error::wrong_algorithm;
    return std::nullopt;
  }
  const auto signature = base64url_decode(token.substr(second + 1));
  if (!signature) return std::nullopt;
  const auto signed_part = token.substr(0, second);
  bool valid = false;
  for (const auto& secret : secrets_) {
    const auto expected = hmac_sha256(secret, signed_part);
    valid = valid || (expected.size() == signature->size() &&
                      CRYPTO_memcmp(expected.data(), signature->data(), expected.size()) == 0);
  }
  if (!valid) {
    why = jwt_error::bad_signature;
    return std::nullopt;
  }
  const auto payload = decode_object(token.substr(first + 1, second - first - 1));
  claims c;
  std::string typ;
  if (!payload || !read_string(*payload, "sub", c.sub) || !read_string(*payload, "bky", c.bky) ||
      !read_string(*payload, "role", c.role) || !read_string(*payload, "jti", c.jti) ||
      !read_string(*payload, "typ", typ) || !read_seconds(*payload, "iat", c.iat) ||
      !read_seconds(*payload, "exp", c.exp)) {
    return std::nullopt;
  }
  if (typ == "access") {
    c.typ = token_type::access;
  } else if (typ == "refresh") {
    c.typ = token_type::refresh;
  } else {
    why = jwt_error::unknown_type;
    return std::nullopt;
  }
  const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (c.exp <= now_s) {
    why = jwt_error::expired;
    return std::nullopt;
  }
  // We never issue a token from the future: one that is (iat, or the
  // optional nbf, ahead of our clock by more than instances' clocks may
  // differ) was not made by us as it claims, or not for now.
  long long nbf = 0;
  const bool has_nbf = payload->contains("nbf");
  if (has_nbf && !read_seconds(*payload, "nbf", nbf)) return std::nullopt;
  if (c.iat > now_s + k_jwt_clock_skew_s || (has_nbf && nbf > now_s + k_jwt_clock_skew_s)) {
    why = jwt_error::not_yet_valid;
    return std::nullopt;
  }
  return c;
}

}  // namespace bakewind::auth
