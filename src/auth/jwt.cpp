#include "auth/jwt.hpp"

#include "auth/base64url.hpp"
#include "core/ids.hpp"
#include "core/json.hpp"

#include <openssl/crypto.h>
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

crypto_auth_hmacsha256_state keyed(std::string_view secret) {
  crypto_auth_hmacsha256_state s;
  crypto_auth_hmacsha256_init(&s, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  return s;
}

std::string hmac_sha256(const crypto_auth_hmacsha256_state& key, std::string_view data) {
  crypto_auth_hmacsha256_state s = key;  // the key's pads are absorbed already
  crypto_auth_hmacsha256_update(&s, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  std::string out(crypto_auth_hmacsha256_BYTES, '\0');
  crypto_auth_hmacsha256_final(&s, reinterpret_cast<unsigned char*>(out.data()));
  return out;
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

// The three dot-separated parts of a compact token.
struct token_parts {
  std::string_view header;
  std::string_view payload;
  std::string_view signature;
  std::string_view signed_part;  // header.payload: what the signature covers
};

// nullopt unless there are exactly three parts.
std::optional<token_parts> split_token(std::string_view token) {
  const auto first = token.find('.');
  const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) return std::nullopt;
  return token_parts{token.substr(0, first), token.substr(first + 1, second - first - 1), token.substr(second + 1),
                     token.substr(0, second)};
}

// The algorithm is pinned: a header naming any other is refused, whatever
// its signature.
bool is_hs256(const boost::json::object& header) {
  const auto* alg = header.if_contains("alg");
  return alg != nullptr && alg->is_string() && alg->get_string() == "HS256";
}

// Compared in constant time, so that the time taken tells nothing of how
// much of a forged signature was right.
bool signed_by_any(const std::vector<crypto_auth_hmacsha256_state>& keys, std::string_view signed_part,
                   const std::string& signature) {
  bool valid = false;
  for (const auto& key : keys) {
    const auto expected = hmac_sha256(key, signed_part);
    valid = valid || (expected.size() == signature.size() &&
                      CRYPTO_memcmp(expected.data(), signature.data(), expected.size()) == 0);
  }
  return valid;
}

// The claims of a verified payload. nullopt when one is missing or of the
// wrong kind (why stays malformed), or the type is neither access nor
// refresh (why: unknown_type).
std::optional<claims> read_claims(const boost::json::object& payload, jwt_error& why) {
  claims c;
  std::string typ;
  if (!read_string(payload, "sub", c.sub) || !read_string(payload, "bky", c.bky) ||
      !read_string(payload, "role", c.role) || !read_string(payload, "jti", c.jti) ||
      !read_string(payload, "typ", typ) || !read_seconds(payload, "iat", c.iat) ||
      !read_seconds(payload, "exp", c.exp)) {
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
  return c;
}

// Whether the token is valid at `now`: unexpired, and not from the future.
// We never issue a token from the future: one that is (iat, or the optional
// nbf, ahead of our clock by more than instances' clocks may differ) was not
// made by us as it claims, or not for now.
bool valid_at(const boost::json::object& payload, const claims& c, std::chrono::system_clock::time_point now,
              jwt_error& why) {
  const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (c.exp <= now_s) {
    why = jwt_error::expired;
    return false;
  }
  long long nbf = 0;
  const bool has_nbf = payload.contains("nbf");
  if (has_nbf && !read_seconds(payload, "nbf", nbf)) return false;
  if (c.iat > now_s + k_jwt_clock_skew_s || (has_nbf && nbf > now_s + k_jwt_clock_skew_s)) {
    why = jwt_error::not_yet_valid;
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
  keys_.push_back(keyed(secret));
  if (!previous.empty()) keys_.push_back(keyed(previous));
}

std::string jwt_codec::sign(const claims& c) const {
  const boost::json::object payload{{"sub", c.sub}, {"bky", c.bky}, {"role", c.role}, {"typ", to_string(c.typ)},
                                    {"jti", c.jti}, {"iat", c.iat}, {"exp", c.exp}};
  std::string token = signed_header();
  token += '.';
  token += base64url_encode(core::to_json(payload));
  const auto signature = hmac_sha256(keys_.front(), token);
  token += '.';
  token += base64url_encode(signature);
  return token;
}

std::optional<claims> jwt_codec::verify(std::string_view token, std::chrono::system_clock::time_point now,
                                        jwt_error& why) const {
  why = jwt_error::malformed;
  const auto parts = split_token(token);
  if (!parts) return std::nullopt;
  const auto header = decode_object(parts->header);
  if (!header) return std::nullopt;
  if (!is_hs256(*header)) {
    why = jwt_error::wrong_algorithm;
    return std::nullopt;
  }
  const auto signature = base64url_decode(parts->signature);
  if (!signature) return std::nullopt;
  if (!signed_by_any(keys_, parts->signed_part, *signature)) {
    why = jwt_error::bad_signature;
    return std::nullopt;
  }
  // The payload is read only once the signature vouches for it.
  const auto payload = decode_object(parts->payload);
  if (!payload) return std::nullopt;
  auto c = read_claims(*payload, why);
  if (!c || !valid_at(*payload, *c, now, why)) return std::nullopt;
  return c;
}

}  // namespace bakewind::auth
