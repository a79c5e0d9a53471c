#pragma once
// A Lua script with its SHA1, run with EVALSHA and, when the server does not
// know it yet (NOSCRIPT: first use, restart, failover), with EVAL, which also
// caches it there: each connection's server loads it once.

#include <string>

namespace bakewind::redis {

struct script {
  /// Computes the SHA1 of `lua` (OpenSSL).
  explicit script(std::string lua);

  std::string source;
  std::string sha1;  ///< 40 lowercase hex chars
};

}  // namespace bakewind::redis
