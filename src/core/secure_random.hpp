#pragma once
// Cryptographically secure random bytes without a system call per call.

#include <cstddef>

namespace bakewind::core {

/// Fills `out` with `n` secure random bytes (for secrets: session ids,
/// token ids). Each thread draws from its own ChaCha20 stream (libsodium's
/// randombytes_buf_deterministic), keyed once from the kernel's CSPRNG and
/// rekeyed from its own output at every refill (fast key erasure): bytes
/// handed out are erased, so a later memory dump cannot recover them, and
/// a child made by fork() reseeds before its first draw. Throws
/// std::runtime_error if libsodium cannot start.
void secure_random(void* out, std::size_t n);

}  // namespace bakewind::core
