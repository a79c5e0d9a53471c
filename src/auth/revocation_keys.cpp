#include "auth/revocation_keys.hpp"

#include "auth/base64url.hpp"
#include "core/ids.hpp"

namespace bakewind::auth {

namespace {

constexpr std::size_t compact_size = 22;  // 16 bytes in base64url

// Every authenticated request builds two of these keys: they are written
// straight into one buffer, with no string per part.
void append_compact(std::string& out, std::string_view id) {
  // Ids are UUIDs (users.id, and every jti this service issues); anything
  // else is kept whole rather than refused, so that no revocation is dropped
  // for an unexpected id.
  const auto bytes = core::uuid_bytes(id);
  if (!bytes) {
    out.append(id);
    return;
  }
  base64url_append(out, std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()));
}

void append_tag(std::string& out, std::string_view user_id) {
  out += '{';
  append_compact(out, user_id);
  out += '}';
}

}  // namespace

std::string compact_id(std::string_view id) {
  std::string out;
  append_compact(out, id);
  return out;
}

std::string revocation_tag(std::string_view user_id) {
  std::string out;
  append_tag(out, user_id);
  return out;
}

std::string revoked_token_key(std::string_view user_id, std::string_view jti) {
  constexpr std::string_view prefix = "auth:revoked:";
  std::string out;
  out.reserve(prefix.size() + 2 * compact_size + 3);
  out.append(prefix);
  append_tag(out, user_id);
  out += ':';
  append_compact(out, jti);
  return out;
}

std::string cutoff_key(std::string_view user_id) {
  constexpr std::string_view prefix = "auth:nbf:";
  std::string out;
  out.reserve(prefix.size() + compact_size + 2);
  out.append(prefix);
  append_tag(out, user_id);
  return out;
}

}  // namespace bakewind::auth
