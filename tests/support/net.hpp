#pragma once
// Ports for servers started by tests.

#include <cstdint>

namespace bakewind::test {

/// A TCP port on 127.0.0.1 that was free a moment ago (bound, closed),
/// chosen at random below the kernel's range for outgoing connections so
/// that no client socket takes it before the server binds; never the same
/// port twice in one process. Throws std::system_error when no socket can be
/// bound.
std::uint16_t free_port();

/// True when something accepts TCP connections on 127.0.0.1:`port` now.
bool port_accepts(std::uint16_t port);

}  // namespace bakewind::test
