#pragma once
// The response a handler returns, and the builders for the NestJS shapes.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bakewind::http {

inline constexpr std::string_view json_content_type = "application/json; charset=utf-8";

struct response {
  unsigned status = 200;
  std::string body;
  /// Empty for none. A view: every type the server sends is a literal or
  /// lives in a table kept for the server's life (static files), and a
  /// string of this length cost a heap allocation per response.
  std::string_view content_type{json_content_type};
  std::vector<std::pair<std::string, std::string>> headers;  ///< extra headers, in order
  bool close = false;                                        ///< close the connection after writing
};

/// `status` with `value` serialised as the body.
response json_response(unsigned status, const boost::json::value& value);

/// The Retry-After of a 503 for a failed dependency: long enough for a
/// Redis failover or a reconnect to PostgreSQL to be under way, short
/// enough that a person retrying does not notice.
inline constexpr int retry_after_seconds = 2;

/// Adds `Retry-After: retry_after_seconds` to `res` (every 503 has it).
void add_retry_after(response& res);

/// A body-less response (204, or a 200/201 with nothing to say).
response empty_response(unsigned status);

/// The standard reason phrase ("Not Found"); "Error" for unknown codes.
std::string_view reason_phrase(unsigned status) noexcept;

/// The NestJS error shape `{statusCode, error, message}` plus `extra` fields.
/// `message` is a string or, for 400, may be an array of strings.
response error_response(unsigned status, std::string_view message, boost::json::object extra = {});

/// The same with one message per invalid field (400).
response error_response(unsigned status, boost::json::array messages, boost::json::object extra = {});

/// The same with the message as any JSON value (what http_error carries).
response error_response_value(unsigned status, boost::json::value message, boost::json::object extra);

/// A client error a handler throws instead of returning; the dispatcher turns
/// it into error_response(status, message, extra). Not for system failures.
class http_error : public std::exception {
 public:
  http_error(unsigned status, std::string_view message, boost::json::object extra = {})
      : status_(status), message_(boost::json::string_view(message.data(), message.size())), extra_(std::move(extra)) {}
  http_error(unsigned status, boost::json::array messages, boost::json::object extra = {})
      : status_(status), message_(std::move(messages)), extra_(std::move(extra)) {}

  const char* what() const noexcept override { return "http_error"; }
  unsigned status() const noexcept { return status_; }
  const boost::json::value& message() const noexcept { return message_; }
  const boost::json::object& extra() const noexcept { return extra_; }

 private:
  unsigned status_;
  boost::json::value message_;
  boost::json::object extra_;
};

}  // namespace bakewind::http
