#include "http/router.hpp"

#include <algorithm>
#include <stdexcept>

namespace bakewind::http {

void router::add(method m, std::string_view pattern, handler h) {
  if (pattern.empty() || pattern.front() != '/') throw std::invalid_argument("route must start with /");
  route r{m, std::string(pattern), {}, std::move(h)};
  std::string_view rest = pattern.substr(1);
  while (!rest.empty()) {
    const auto slash = rest.find('/');
    const auto text = rest.substr(0, slash);
    if (text.empty()) throw std::invalid_argument("empty segment in route " + r.pattern);
    if (text.front() == '{') {
      if (text.size() < 3 || text.back() != '}') throw std::invalid_argument("bad parameter in route " + r.pattern);
      r.segments.push_back({std::string(text.substr(1, text.size() - 2)), true});
    } else {
      r.segments.push_back({std::string(text), false});
    }
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  routes_.push_back(std::move(r));
}

void router::add_websocket(std::string_view pattern, ws_handler h) {
  // The pattern is parsed by add(); a plain GET answers 426 as the seed's gateway does.
  add(method::get, pattern, [](request&) -> boost::asio::awaitable<response> {
    co_return error_response(426, "Upgrade Required");
  });
  websockets_.emplace_back(routes_.back(), std::move(h));
}

const ws_handler* router::websocket_for(request& req) const {
  for (const auto& [r, h] : websockets_) {
    if (!matches(r, req.segments)) continue;
    req.route = r.pattern;
    req.route_params.clear();
    for (std::size_t i = 0; i < r.segments.size(); ++i) {
      if (r.segments[i].is_param) req.route_params.emplace_back(r.segments[i].text, req.segments[i]);
    }
    return &h;
  }
  return nullptr;
}

void router::name_service(std::string_view route_prefix, std::string subject) {
  services_.emplace_back(std::string(route_prefix), std::move(subject));
}

std::string_view router::service_at(std::string_view pattern) const {
  std::string_view best = "The service is";
  std::size_t best_length = 0;
  for (const auto& [prefix, subject] : services_) {
    // Whole segments only: "/api/v1/orders" covers "/api/v1/orders/{id}",
    // not "/api/v1/ordersx".
    const bool starts = pattern.starts_with(prefix) && (pattern.size() == prefix.size() || pattern[prefix.size()] == '/');
    if (starts && prefix.size() >= best_length) {
      best = subject;
      best_length = prefix.size();
    }
  }
  return best;
}

bool router::matches(const route& r, const std::vector<std::string>& segments) {
  if (r.segments.size() != segments.size()) return false;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const auto& s = r.segments[i];
    if (s.is_param ? segments[i].empty() : s.text != segments[i]) return false;
  }
  return true;
}

route_match router::match(request& req) const {
  route_match result;
  const route* fallback = nullptr;  // a GET route serving a HEAD request
  for (const auto& r : routes_) {
    if (!matches(r, req.segments)) continue;
    if (r.verb == req.verb) {
      fallback = &r;
      break;
    }
    if (req.verb == method::head && r.verb == method::get && fallback == nullptr) fallback = &r;
    if (result.pattern.empty()) result.pattern = r.pattern;
    if (result.allowed.find(method_name(r.verb)) == std::string::npos) {
      if (!result.allowed.empty()) result.allowed += ", ";
      result.allowed += method_name(r.verb);
    }
  }
  if (fallback != nullptr) {
    result.kind = route_match::found;
    result.target = &fallback->fn;
    result.pattern = fallback->pattern;
    req.route = fallback->pattern;
    req.route_params.clear();
    for (std::size_t i = 0; i < fallback->segments.size(); ++i) {
      if (fallback->segments[i].is_param) req.route_params.emplace_back(fallback->segments[i].text, req.segments[i]);
    }
    return result;
  }
  if (result.allowed.empty() && fallback_ && (req.verb == method::get || req.verb == method::head)) {
    result.kind = route_match::found;
    result.target = &fallback_;
    result.pattern = "/*";
    req.route = result.pattern;
    req.route_params.clear();
    return result;
  }
  result.kind = result.allowed.empty() ? route_match::not_found : route_match::method_not_allowed;
  return result;
}

std::vector<std::pair<std::string, std::vector<method>>> router::table() const {
  std::vector<std::pair<std::string, std::vector<method>>> out;
  for (const auto& r : routes_) {
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& e) { return e.first == r.pattern; });
    if (it == out.end()) {
      out.emplace_back(r.pattern, std::vector<method>{r.verb});
    } else {
      it->second.push_back(r.verb);
    }
  }
  return out;
}

}  // namespace bakewind::http
