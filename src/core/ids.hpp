#pragma once
// Identifiers and randomness from the system CSPRNG (libsodium).

#include <cstddef>
#include <string>
#include <string_view>

namespace bakewind::core {

/// A random (version 4) UUID in lowercase canonical form.
std::string random_uuid();

/// `bytes` random bytes as 2*bytes lowercase hex characters.
std::string random_hex(std::size_t bytes);

/// True for a canonical 8-4-4-4-12 hex UUID (either case).
bool is_uuid(std::string_view text) noexcept;

}  // namespace bakewind::core
