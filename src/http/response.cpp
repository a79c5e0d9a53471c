#include "http/response.hpp"

#include "core/json.hpp"

namespace bakewind::http {

void add_retry_after(response& res) {
  res.headers.emplace_back("Retry-After", std::to_string(retry_after_seconds));
}

response json_response(unsigned status, const boost::json::value& value) {
  response r;
  r.status = status;
  r.body = core::to_json(value);
  return r;
}

response empty_response(unsigned status) {
  response r;
  r.status = status;
  r.content_type = {};
  return r;
}

std::string_view reason_phrase(unsigned status) noexcept {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Entity";
    case 426:
      return "Upgrade Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

response error_response_value(unsigned status, boost::json::value message, boost::json::object extra) {
  boost::json::object body;
  body["statusCode"] = status;
  body["error"] = reason_phrase(status);
  body["message"] = std::move(message);
  for (auto& field : extra) body[field.key()] = std::move(field.value());
  return json_response(status, body);
}

response error_response(unsigned status, boost::json::array messages, boost::json::object extra) {
  return error_response_value(status, std::move(messages), std::move(extra));
}

response error_response(unsigned status, std::string_view message, boost::json::object extra) {
  return error_response_value(status, boost::json::value(boost::json::string_view(message.data(), message.size())),
                              std::move(extra));
}

}  // namespace bakewind::http
