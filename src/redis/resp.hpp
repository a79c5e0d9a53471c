#pragma once
// RESP2 without I/O: commands encoded into a buffer, replies parsed from
// bytes by hiredis's redisReader. Tested by feeding bytes, no server.

#include "redis/reply.hpp"

#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

struct redisReader;

namespace bakewind::redis {

/// Appends one command as a RESP array of bulk strings (what
/// redisFormatCommandArgv produces, written straight into `out`).
void append_command(std::string& out, std::span<const std::string_view> args);
void append_command(std::string& out, std::initializer_list<std::string_view> args);

/// The server sent bytes that are not RESP: the connection must be dropped.
class protocol_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// An incremental reply parser. Feed bytes as they arrive, in any split.
class resp_reader {
 public:
  resp_reader();
  ~resp_reader();
  resp_reader(const resp_reader&) = delete;
  resp_reader& operator=(const resp_reader&) = delete;

  /// Forgets everything fed so far (for a new connection).
  void reset();

  /// Adds received bytes.
  void feed(const char* data, std::size_t size);

  /// The next complete reply, or nullopt until more bytes arrive.
  /// Throws protocol_error on malformed input; the reader is unusable after.
  std::optional<reply> next();

 private:
  struct deleter {
    void operator()(redisReader* r) const noexcept;
  };
  std::unique_ptr<redisReader, deleter> reader_;
};

}  // namespace bakewind::redis
