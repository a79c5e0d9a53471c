// JWT parsing and verification (auth/jwt), twice per input:
// - the input as a token, verified as a request's Authorization would be
//   (random bytes almost never carry our HMAC, so this covers the split,
//   the header and the signature checks);
// - the input as the signed part "header.payload", signed here with our
//   secret, so that the claims reading behind the HMAC is reached too.
// Checks: a token that verifies carries what verify() promises, and its
// claims survive sign() and verify() again.

#include "auth/jwt.hpp"
#include "auth/base64url.hpp"
#include "core/ids.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using namespace bakewind;

const std::string secret(32, 's');
const std::string previous(32, 'p');
// A fixed "now" (2026-11-26T00:00Z), so runs are reproducible.
const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1795651200));

std::string sign_part(std::string_view part) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(part.data()), part.size(), out, &len);
  return std::string(part) + "." + auth::base64url_encode(std::string(reinterpret_cast<const char*>(out), len));
}

void check(const auth::jwt_codec& codec, std::string_view token) {
  auth::jwt_error why{};
  const auto c = codec.verify(token, now, why);
  if (!c) return;
  const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (c->exp <= now_s) std::abort();
  // What the token service derives from an accepted token.
  (void)core::is_uuid(c->sub);
  (void)auth::issued_ms(*c);
  const auto again = codec.verify(codec.sign(*c), now, why);
  if (!again || again->sub != c->sub || again->bky != c->bky || again->role != c->role || again->typ != c->typ ||
      again->jti != c->jti || again->iat != c->iat || again->exp != c->exp) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auth::jwt_codec codec(secret, previous);
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check(codec, input);
  if (input.find('.') != std::string_view::npos) check(codec, sign_part(input));
  return 0;
}
