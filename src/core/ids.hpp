#pragma once
// Identifiers and randomness from the system CSPRNG (libsodium).

#include <array>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace bakewind::core {

/// A random (version 4) UUID in lowercase canonical form.
std::string random_uuid();

/// A random-looking version 4 UUID from a per-thread generator seeded by the
/// CSPRNG: for request ids and the like, never for secrets. No system call.
std::string fast_uuid();

/// A version 7 UUID: 48 bits of Unix time in milliseconds, then randomness.
/// Sorts by creation time and carries it (see uuid_v7_millis).
std::string random_uuid_v7(std::chrono::system_clock::time_point now);

/// The creation time of a version 7 UUID in ms since the epoch; nullopt for
/// anything else.
std::optional<long long> uuid_v7_millis(std::string_view id) noexcept;

/// `bytes` random bytes as 2*bytes lowercase hex characters.
std::string random_hex(std::size_t bytes);

/// True for a canonical 8-4-4-4-12 hex UUID (either case).
bool is_uuid(std::string_view text) noexcept;

/// The 16 bytes of a canonical UUID (either case); nullopt for anything else.
std::optional<std::array<unsigned char, 16>> uuid_bytes(std::string_view text) noexcept;

}  // namespace bakewind::core
