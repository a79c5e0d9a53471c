#include "core/secure_random.hpp"

#include <pthread.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <optional>
#include <stdexcept>

namespace bakewind::core {
namespace {

// Bumped in every child of fork(): a thread whose stream was keyed in
// another generation keys it again, so parent and child never share bytes.
std::atomic<unsigned> fork_generation{0};

void ensure_sodium() {
  // sodium_init is idempotent and thread-safe; the static makes it once,
  // and registers the fork hook with it.
  static const int ready = [] {
    const int r = sodium_init();
    pthread_atfork(nullptr, nullptr, [] { fork_generation.fetch_add(1, std::memory_order_relaxed); });
    return r;
  }();
  if (ready < 0) throw std::runtime_error("libsodium failed to initialise");
}

// Why not randombytes_buf: it asks the kernel (getrandom) on every call,
// and OpenSSL's RAND_bytes calls getpid() on every call; a system call
// costs about 1 us on the VMs this runs on (bench/README.md, "System calls
// on a machine where each costs microseconds"), which a hand-off paid per id.
class stream {
 public:
  void fill(unsigned char* out, std::size_t n) {
    if (keyed_in_ != fork_generation.load(std::memory_order_relaxed)) key_from_kernel();
    while (n > 0) {
      if (used_ == block_.size()) refill();
      const std::size_t take = std::min(n, block_.size() - used_);
      std::memcpy(out, block_.data() + used_, take);
      sodium_memzero(block_.data() + used_, take);
      used_ += take;
      out += take;
      n -= take;
    }
  }

 private:
  void key_from_kernel() {
    ensure_sodium();
    randombytes_buf(key_.data(), key_.size());
    keyed_in_ = fork_generation.load(std::memory_order_relaxed);
    used_ = block_.size();  // nothing drawn from the old key is handed out
  }

  // The next block of the stream under the current key; its first bytes
  // become the next key and are erased from the block.
  void refill() {
    randombytes_buf_deterministic(block_.data(), block_.size(), key_.data());
    std::memcpy(key_.data(), block_.data(), key_.size());
    sodium_memzero(block_.data(), key_.size());
    used_ = key_.size();
  }

  std::array<unsigned char, randombytes_SEEDBYTES> key_{};
  std::array<unsigned char, 512> block_{};
  std::size_t used_ = block_.size();
  std::optional<unsigned> keyed_in_;  ///< the fork generation the key was drawn in; none yet
};

}  // namespace

void secure_random(void* out, std::size_t n) {
  thread_local stream s;
  s.fill(static_cast<unsigned char*>(out), n);
}

}  // namespace bakewind::core
