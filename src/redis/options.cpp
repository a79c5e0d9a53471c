#include "redis/options.hpp"

#include "core/error.hpp"

#include <boost/url/parse.hpp>

#include <algorithm>
#include <charconv>

namespace bakewind::redis {

options parse_url(std::string_view text) {
  auto fail = [](const std::string& why) { return core::config_error("REDIS_URL", why); };
  const auto url = boost::urls::parse_absolute_uri(text);
  if (!url) throw fail("must be redis://[user:password@]host[:port][/db] or rediss://... (not a valid URL)");
  options o;
  std::string scheme(url->scheme());  // schemes are case-insensitive
  for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme == "rediss") {
    o.tls = true;
  } else if (scheme != "redis") {
    throw fail("must use the scheme redis:// or rediss://");
  }
  if (!url->has_authority() || url->host().empty()) throw fail("must name a host");
  o.host = url->host_address();
  if (url->host_type() == boost::urls::host_type::ipv6) o.host = url->host_ipv6_address().to_string();
  if (url->has_port()) {
    if (url->port_number() == 0) throw fail("has an invalid port");
    o.port = url->port_number();
  }
  if (url->has_userinfo()) {
    o.username = url->user();
    if (url->has_password()) o.password = url->password();
    // redis://:password@host means "no user name", as in ioredis.
    if (!url->has_password()) {
      o.password = o.username;
      o.username.clear();
    }
  }
  std::string_view path = url->encoded_path();
  if (!path.empty() && path != "/") {
    path.remove_prefix(1);
    int db = -1;
    const auto [end, ec] = std::from_chars(path.data(), path.data() + path.size(), db);
    if (ec != std::errc{} || end != path.data() + path.size() || db < 0 || db > 15) {
      throw fail("has a database index that is not a number from 0 to 15");
    }
    o.database = db;
  }
  return o;
}

std::chrono::milliseconds reconnect_delay(int attempt) noexcept {
  return std::chrono::milliseconds(std::min(static_cast<long long>(std::max(attempt, 1)) * 50, 2000LL));
}

}  // namespace bakewind::redis
