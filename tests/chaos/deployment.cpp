#include "deployment.hpp"

#include <thread>

namespace bakewind::test::chaos {

namespace {

std::string database_name(const std::string& url) { return url.substr(url.rfind('/') + 1); }

}  // namespace

deployment::deployment(redis_topology topology, int instances, env_list extra) : bouncer_(pg_.port(), 10) {
  direct_url_ = pg_.fresh_database("chaos");
  const auto [code, output] = run_bakewind({"migrate"}, {{"DATABASE_URL", direct_url_}});
  if (code != 0) throw std::runtime_error("migrate failed: " + output);
  const std::string through_bouncer = bouncer_.url(database_name(direct_url_));
  std::string redis_url;
  if (topology == redis_topology::single) {
    redis_.emplace();
    redis_url = redis_->url();
  } else if (topology == redis_topology::cluster) {
    cluster_.emplace();
    redis_url = "redis://127.0.0.1:" + std::to_string(cluster_->ports().front());
    extra.emplace_back("REDIS_CLUSTER_NODES", cluster_->seeds());
  } else {
    sentinels_.emplace();
    std::string list;
    for (const auto p : sentinels_->sentinel_ports()) list += (list.empty() ? "" : ",") + ("127.0.0.1:" + std::to_string(p));
    // The host of REDIS_URL is ignored with Sentinels: they name the master.
    redis_url = "redis://127.0.0.1:" + std::to_string(sentinels_->master_port());
    extra.emplace_back("REDIS_SENTINELS", list);
    extra.emplace_back("REDIS_SENTINEL_NAME", sentinels_->name());
  }
  std::vector<std::uint16_t> ports;
  for (int i = 0; i < instances; ++i) {
    instances_.push_back(std::make_unique<service>(service_env(through_bouncer, redis_url, extra)));
    ports.push_back(instances_.back()->port());
  }
  proxy_.emplace(ports);
  if (!wait_ready(std::chrono::seconds(10))) throw std::runtime_error("haproxy never ready:\n" + proxy_->log());
}

fixture deployment::make_fixture(int staff, int orders, int revoked) {
  fixture f;
  const auto owner = register_owner(port(), "chaos_owner");
  f.users.push_back(owner);
  for (int i = 0; i < staff; ++i) f.users.push_back(add_user(port(), owner, "staff", "chaos_" + std::to_string(i)));
  for (int i = 0; i < orders; ++i) f.orders.push_back(create_order(direct_url_, owner));
  for (int i = 0; i < revoked; ++i) {
    const auto session = login(port(), owner.email, owner.password);
    const auto started = std::chrono::steady_clock::now();
    const auto r = authed(port(), "POST", "/api/v1/auth/logout", session.access);
    if (r.status != 204) throw std::runtime_error("logout: " + std::to_string(r.status) + " " + r.body);
    f.revoked.push_back(session.access);
    f.before.push_back({"token:" + session.access, "logout", {}, r.status, {}, started, std::chrono::steady_clock::now()});
  }
  return f;
}

bool deployment::wait_ready(std::chrono::milliseconds limit) const {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      if (http_call(port(), "GET", "/health/ready").status == 200) return true;
    } catch (const std::exception&) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

::testing::AssertionResult deployment::locks_agree(const fixture& f, std::chrono::milliseconds limit) const {
  const auto give_up = std::chrono::steady_clock::now() + limit;
  for (;;) {
    auto agreed = locks_agree_now(f);
    if (agreed || std::chrono::steady_clock::now() >= give_up) return agreed;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

::testing::AssertionResult deployment::locks_agree_now(const fixture& f) const {
  const auto& owner = f.users.front();
  for (const auto& order : f.orders) {
    const auto record = sql_value(direct_url_,
                                  "SELECT COALESCE((SELECT user_id || '/' || session_id FROM order_locks WHERE order_id = '" +
                                      order + "' AND expires_at > now()), '-')");
    const auto r = lock_status(port(), owner, order);
    if (r.status != 200) return ::testing::AssertionFailure() << "lock status " << r.status << " " << r.body;
    const auto body = json_of(r);
    std::string shown = "-";
    if (body.at("locked").as_bool()) {
      shown = std::string(body.at("userId").as_string()) + "/" + std::string(body.at("sessionId").as_string());
    }
    if (shown != record) {
      return ::testing::AssertionFailure() << "order " << order << ": API shows " << shown << ", PostgreSQL holds "
                                           << record;
    }
  }
  return ::testing::AssertionSuccess();
}

}  // namespace bakewind::test::chaos
