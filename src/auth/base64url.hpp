#pragma once
// Base64url without padding (RFC 4648 §5), as JWTs use it.

#include <optional>
#include <string>
#include <string_view>

namespace bakewind::auth {

std::string base64url_encode(std::string_view bytes);

/// Appends `bytes` encoded to `out` (what base64url_encode returns).
void base64url_append(std::string& out, std::string_view bytes);

/// nullopt for characters outside the alphabet, padding, or an impossible length.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace bakewind::auth
