#include "http/detail/message.hpp"

#include "http/dispatcher.hpp"

#include <boost/url/parse.hpp>

namespace bakewind::http::detail {
namespace {

namespace bhttp = boost::beast::http;

std::optional<std::string_view> find_header(const void* message, std::string_view name) {
  const auto& fields = *static_cast<const beast_request*>(message);
  const auto it = fields.find(name);
  if (it == fields.end()) return std::nullopt;
  return it->value();
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

beast_response to_beast(response& res, unsigned version, bool keep_alive) {
  beast_response out{static_cast<bhttp::status>(res.status), version};
  if (!res.content_type.empty()) out.set(bhttp::field::content_type, res.content_type);
  for (auto& [name, value] : res.headers) out.insert(name, value);
  out.keep_alive(keep_alive);
  out.body() = std::move(res.body);
  out.prepare_payload();
  return out;
}

}  // namespace bakewind::http::detail
