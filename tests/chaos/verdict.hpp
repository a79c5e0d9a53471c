#pragma once
// What every fault test of tests/chaos/ shares: the traffic's size and
// deadline, the report it prints, and the common verdict.

#include "deployment.hpp"

#include <chrono>

namespace bakewind::test::chaos {

// Well past every deadline of the service (Redis 1 s, PostgreSQL 1 s, each
// tried a few times), well under a client's patience.
inline constexpr std::chrono::seconds request_deadline{5};
inline constexpr int workers = 6;

/// Prints the traffic's counts; when requests were slow or unanswered, also
/// haproxy's unusual lines and the instances' lines of slow requests.
void report(const char* fault, const traffic& t, const deployment& d);

/// Waits until the traffic has made `n` more grants than `from`, or `limit`.
bool grants_resume(const traffic& t, long from, long n, std::chrono::milliseconds limit);

/// The common verdict of a fault: no promise broken, nothing past its
/// deadline, every 503 named, and the recorded history explained by the
/// objects' rules (expect_history_holds).
void expect_promises_kept(const traffic& t);

/// The traffic's recorded history passes history::check(): no order of the
/// requests, each taking effect between its start and its answer, breaks
/// a lock, a revocation, a refresh or a hand-off (issue 21). Prints its counts.
void expect_history_holds(const traffic& t);

}  // namespace bakewind::test::chaos
