#pragma once
// How Redis failures reach callers. Two kinds, never mixed up:
// - the server answered with an error reply (`-WRONGTYPE ...`): server_error,
//   an outcome of the command;
// - the server could not answer (down, slow, connection lost, retries used
//   up): core::unavailable_error("redis", ...), answered 503 at the edge.

#include "core/error.hpp"

#include <boost/system/error_code.hpp>

#include <stdexcept>
#include <string>

namespace bakewind::redis {

/// Why a command got no reply. Completion codes of the client's operations.
enum class error {
  timeout = 1,          ///< no reply within the command's deadline
  connection_lost,      ///< sent, but the connection died before the reply (not re-sent: not idempotent)
  retries_exhausted,    ///< queued through max_retries_per_request failed reconnects
  closed,               ///< the client was closed
  protocol,             ///< the server spoke something that is not RESP
  not_answering,        ///< Redis owes replies and sent nothing for command_timeout: not asked until it answers
};

const boost::system::error_category& error_category() noexcept;

inline boost::system::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), error_category()};
}

/// An error reply from the server. `code()` is its first word ("ERR",
/// "WRONGTYPE", "NOSCRIPT", "NOAUTH", "READONLY", ...); what() the whole text.
/// The text may quote user input: log it, never send it to a client.
class server_error : public std::runtime_error {
 public:
  explicit server_error(const std::string& text) : std::runtime_error(text), code_(text.substr(0, text.find(' '))) {}
  const std::string& code() const noexcept { return code_; }

 private:
  std::string code_;
};

/// Throws core::unavailable_error("redis", ...) for `ec`.
[[noreturn]] void throw_unavailable(const boost::system::error_code& ec);

}  // namespace bakewind::redis

template <>
struct boost::system::is_error_code_enum<bakewind::redis::error> : std::true_type {};
