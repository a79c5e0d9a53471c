#pragma once
// A deliberately raw, blocking HTTP/1.1 client for tests: it sends exactly the
// bytes it is given (so tests can send half a request, oversized headers or
// garbage) and parses what comes back without trusting it.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace bakewind::test {

struct http_reply {
  int status = 0;
  std::map<std::string, std::string> headers;  ///< lower-case names
  std::string body;

  /// A header value, or "" when absent.
  std::string header(const std::string& lower_name) const;
};

/// The status line and headers of a response (`head`: up to, not including,
/// the blank line), with no body; nullopt when the status line is not HTTP.
std::optional<http_reply> parse_head(const std::string& head);

class raw_connection {
 public:
  /// Connects to 127.0.0.1:port; throws std::runtime_error on failure.
  explicit raw_connection(std::uint16_t port);
  ~raw_connection();
  raw_connection(const raw_connection&) = delete;
  raw_connection& operator=(const raw_connection&) = delete;

  /// Writes all bytes; false when the peer has closed.
  bool send(const std::string& bytes);

  /// Reads one response (headers, then Content-Length bytes; no body for a
  /// HEAD request when `head` is set). nullopt on close or timeout.
  std::optional<http_reply> read_reply(std::chrono::milliseconds timeout = std::chrono::seconds(10), bool head = false);

  /// Waits until the peer closes the connection; false on timeout. Discards data.
  bool wait_closed(std::chrono::milliseconds timeout);

 private:
  bool fill(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::string buffer_;
};

/// One request on a fresh connection. `extra_headers` are raw "Name: value\r\n" lines.
http_reply http_call(std::uint16_t port, const std::string& method, const std::string& target,
                     const std::string& body = {}, const std::string& extra_headers = {});

}  // namespace bakewind::test
