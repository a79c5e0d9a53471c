#include "auth/revocation_keys.hpp"

#include "auth/base64url.hpp"
#include "core/ids.hpp"

namespace bakewind::auth {

std::string compact_id(std::string_view id) {
  // Ids are UUIDs (users.id, and every jti this service issues); anything
  // else is kept whole rather than refused, so that no revocation is dropped
  // for an unexpected id.
  const auto bytes = core::uuid_bytes(id);
  return bytes ? base64url_encode(*bytes) : std::string(id);
}

std::string revocation_tag(std::string_view user_id) {
  return std::string("{").append(compact_id(user_id)).append("}");
}

std::string revoked_token_key(std::string_view user_id, std::string_view jti) {
  return std::string("auth:revoked:").append(revocation_tag(user_id)).append(":").append(compact_id(jti));
}

std::string cutoff_key(std::string_view user_id) { return std::string("auth:nbf:").append(revocation_tag(user_id)); }

}  // namespace bakewind::auth
