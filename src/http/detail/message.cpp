#include "http/detail/message.hpp"

#include "http/dispatcher.hpp"

#include <boost/beast/http/status.hpp>
#include <boost/url/parse.hpp>

#include <charconv>

namespace bakewind::http::detail {
namespace {

namespace bhttp = boost::beast::http;

std::optional<std::string_view> find_header(const void* message, std::string_view name) {
  const auto& fields = *static_cast<const beast_request*>(message);
  const auto it = fields.find(name);
  if (it == fields.end()) return std::nullopt;
  return it->value();
}

// 1xx, 204 and 304 have no body, so no Content-Length (RFC 9110 8.6).
bool bodiless(unsigned status) noexcept { return status < 200 || status == 204 || status == 304; }

void append_header(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

}  // namespace

bool to_request(beast_request& in, request& out) {
  out.verb_text = std::string(in.method_string());
  out.verb = method_from(out.verb_text);
  out.target = std::string(in.target());
  const auto url = boost::urls::parse_origin_form(out.target);
  if (!url) return false;
  out.path = std::string(url->encoded_path());
  for (const auto seg : url->encoded_segments()) out.segments.push_back(seg.decode());
  if (!out.segments.empty() && out.segments.back().empty()) out.segments.pop_back();
  for (const auto p : url->params()) out.query_params.emplace_back(p.key, p.value);
  out.body = std::move(in.body());
  out.bind_headers(&in, &find_header);
  return true;
}

std::string request_id_of(const beast_request& message) {
  return choose_request_id(find_header(&message, "X-Request-Id"));
}

std::string response_head(const response& res, unsigned version, bool keep_alive) {
  std::string out;
  out.reserve(160 + res.content_type.size() + 64 * res.headers.size());
  out.append(version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  char status[8];
  out.append(status, std::to_chars(status, status + sizeof status, res.status).ptr);
  out += ' ';
  out.append(bhttp::obsolete_reason(static_cast<bhttp::status>(res.status)));
  out.append("\r\n");
  if (!res.content_type.empty()) append_header(out, "Content-Type", res.content_type);
  for (const auto& [name, value] : res.headers) append_header(out, name, value);
  // HTTP/1.1 keeps a connection unless told; HTTP/1.0 closes unless told.
  if (version >= 11 && !keep_alive) append_header(out, "Connection", "close");
  if (version < 11 && keep_alive) append_header(out, "Connection", "keep-alive");
  if (!bodiless(res.status)) {
    char length[24];
    append_header(out, "Content-Length",
                  std::string_view(length, std::to_chars(length, length + sizeof length, res.body.size()).ptr));
  }
  out.append("\r\n");
  return out;
}

bool sends_body(const response& res, bool head_only) noexcept { return !head_only && !bodiless(res.status); }

}  // namespace bakewind::http::detail
