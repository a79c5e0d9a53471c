// The order cache (README "Order cache") seen from outside: reads are served
// from the copy in Redis, and no copy ever outlives a change, across
// instances and across a Redis that comes back with older data.

#include "orders_helpers.hpp"

#include <csignal>
#include <string>

namespace bakewind::test::orders_e2e {
namespace {

std::string cache_key(const std::string& id) { return "order_cache:" + id; }

std::string cached(std::uint16_t redis_port, const std::string& id) {
  const auto r = redis_command(redis_port, {"GET", cache_key(id)});
  return r.null ? std::string() : r.text;
}

std::string run_id_of(std::uint16_t redis_port) {
  const std::string info = redis_command(redis_port, {"INFO", "server"}).text;
  const auto at = info.find("run_id:");
  if (at == std::string::npos) return {};
  return info.substr(at + 7, 40);
}

std::string customer_of(const http_reply& r) { return std::string(json_of(r).at("customerName").as_string()); }

/// Waits until the copy of order `id` is in Redis (a read keeps it after answering).
bool wait_for_copy(std::uint16_t redis_port, const std::string& id) {
  for (int i = 0; i < 100; ++i) {
    const std::string c = cached(redis_port, id);
    if (!c.empty() && c != "~") return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

TEST(orders_cache, a_read_keeps_a_copy_named_after_the_redis_server_and_serves_it) {
  const auto owner = register_owner(port(), "cache_serve");
  const auto id = id_of(make_order(owner, "Ada"));
  ASSERT_EQ(get_order(owner, id).status, 200);
  ASSERT_TRUE(wait_for_copy(shared_redis().port(), id));
  const std::string copy = cached(shared_redis().port(), id);
  const std::string run_id = run_id_of(shared_redis().port());
  ASSERT_EQ(run_id.size(), 40u);
  ASSERT_TRUE(copy.starts_with(run_id + "|")) << copy;

  // A copy that says something else proves where the answer comes from.
  std::string forged = copy;
  forged.replace(forged.find("\"Ada\""), 5, "\"Eve\"");
  ASSERT_EQ(redis_command(shared_redis().port(), {"SET", cache_key(id), forged, "PX", "30000"}).text, "OK");
  const auto served = get_order(owner, id);
  ASSERT_EQ(served.status, 200) << served.body;
  EXPECT_EQ(customer_of(served), "Eve");
  EXPECT_TRUE(is_order(json_of(served)));

  // Made on another server: not believed, and replaced by a fresh copy.
  std::string elsewhere = forged;
  elsewhere.replace(0, 40, std::string(40, 'f'));
  ASSERT_EQ(redis_command(shared_redis().port(), {"SET", cache_key(id), elsewhere, "PX", "30000"}).text, "OK");
  const auto fresh = get_order(owner, id);
  ASSERT_EQ(fresh.status, 200) << fresh.body;
  EXPECT_EQ(customer_of(fresh), "Ada");
  EXPECT_TRUE(wait_for_copy(shared_redis().port(), id));
  EXPECT_TRUE(cached(shared_redis().port(), id).starts_with(run_id + "|"));
}

TEST(orders_cache, a_marked_order_is_read_from_the_record_and_keeps_its_mark) {
  const auto owner = register_owner(port(), "cache_mark");
  const auto id = id_of(make_order(owner, "Ada"));
  ASSERT_EQ(redis_command(shared_redis().port(), {"SET", cache_key(id), "~", "PX", "30000"}).text, "OK");
  for (int i = 0; i < 3; ++i) {
    const auto r = get_order(owner, id);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(customer_of(r), "Ada");
  }
  EXPECT_EQ(cached(shared_redis().port(), id), "~");
}

TEST(orders_cache, another_bakerys_copy_is_not_found) {
  const auto owner = register_owner(port(), "cache_owner");
  const auto stranger = register_owner(port(), "cache_stranger");
  const auto id = id_of(make_order(owner));
  ASSERT_EQ(get_order(owner, id).status, 200);
  ASSERT_TRUE(wait_for_copy(shared_redis().port(), id));
  EXPECT_TRUE(is_order_not_found(get_order(stranger, id)));
}

TEST(orders_cache, every_change_on_one_instance_is_read_at_once_on_another) {
  const auto owner = register_owner(port(), "cache_two");
  service other(service_env(shared_instance().db, shared_redis().url(), {{"ORDER_LOCK_TTL", "60"}}));
  const auto id = id_of(make_order(owner, "v0"));
  lock_order(owner, id, "tab-a");
  for (int i = 1; i <= 20; ++i) {
    // Both instances read (and copy) the order, then the other one changes it.
    ASSERT_EQ(authed(other.port(), "GET", order_path(id), owner.access).status, 200);
    ASSERT_EQ(get_order(owner, id).status, 200);
    const std::string name = "v" + std::to_string(i);
    const std::string header = "X-Lock-Session: tab-a\r\n";
    const auto patched = authed(other.port(), "PATCH", order_path(id), owner.access,
                                core::to_json(boost::json::object{{"customerName", name}}), header);
    ASSERT_EQ(patched.status, 200) << patched.body;
    const auto read = get_order(owner, id);
    ASSERT_EQ(read.status, 200) << read.body;
    EXPECT_EQ(customer_of(read), name) << "round " << i;
    EXPECT_EQ(json_of(read).at("version").as_int64(), i + 1) << "round " << i;
  }
  ASSERT_EQ(get_order(owner, id).status, 200);
  const auto removed = authed(other.port(), "DELETE", order_path(id), owner.access);
  ASSERT_EQ(removed.status, 204) << removed.body;
  EXPECT_TRUE(is_order_not_found(get_order(owner, id)));
}

/// A service on a Redis of its own, and one order of its owner ("before"),
/// locked by session tab-a, read once so that Redis holds its copy.
struct own_redis {
  explicit own_redis(const std::string& prefix)
      : db(migrated_database(prefix)), svc(service_env(db, redis.url(), {{"REDIS_COMMAND_TIMEOUT_MS", "300"}})) {
    owner = register_owner(svc.port(), prefix);
    const auto made = authed(svc.port(), "POST", "/api/v1/orders", owner.access, core::to_json(order_body("before")));
    if (made.status != 201) throw std::runtime_error("create order: " + made.body);
    id = id_of(json_of(made));
    const auto locked = authed(svc.port(), "POST", order_path(id) + "/lock", owner.access,
                               core::to_json(boost::json::object{{"sessionId", "tab-a"}}));
    if (locked.status != 201) throw std::runtime_error("lock: " + locked.body);
    if (get().status != 200 || !wait_for_copy(redis.port(), id)) throw std::runtime_error("no copy kept");
  }
  http_reply get() const { return authed(svc.port(), "GET", order_path(id), owner.access); }
  http_reply rename(const std::string& name) const {
    return authed(svc.port(), "PATCH", order_path(id), owner.access,
                  core::to_json(boost::json::object{{"customerName", name}}), "X-Lock-Session: tab-a\r\n");
  }
  redis_server redis;
  std::string db;
  service svc;
  account owner;
  std::string id;
};

TEST(orders_cache, a_redis_back_with_an_older_copy_never_serves_it) {
  own_redis w("cache_older");
  ASSERT_EQ(redis_command(w.redis.port(), {"SAVE"}).text, "OK");  // the copy of "before"
  const auto patched = w.rename("after");
  ASSERT_EQ(patched.status, 200) << patched.body;
  w.redis.stop();
  w.redis.start();  // the copy of "before" comes back, without the change's mark
  ASSERT_TRUE(cached(w.redis.port(), w.id).find("\"before\"") != std::string::npos)
      << "the test needs the old copy back";

  for (int i = 0; i < 5; ++i) {
    const auto r = w.get();
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(customer_of(r), "after") << "read " << i << " after the restart";
  }
}

TEST(orders_cache, a_change_made_while_redis_hung_is_marked_once_it_resumes) {
  own_redis w("cache_hung");
  ::kill(w.redis.pid(), SIGSTOP);  // a stalled Redis: the marks cannot land now
  const auto patched = w.rename("after");
  ::kill(w.redis.pid(), SIGCONT);
  ASSERT_EQ(patched.status, 200) << "PostgreSQL holds the change; Redis's trouble does not refuse it: " << patched.body;

  // Once Redis answers again the mark replaces the old copy, and reads show the change.
  std::string copy = cached(w.redis.port(), w.id);
  for (int i = 0; i < 100 && copy != "~"; ++i) {
    std::this_thread::sleep_for(20ms);
    copy = cached(w.redis.port(), w.id);
  }
  EXPECT_EQ(copy, "~") << "the old copy outlived the change";
  const auto r = w.get();
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(customer_of(r), "after");
}

TEST(orders_cache, switched_off_it_keeps_no_copy) {
  const std::string db = migrated_database("cache_off");
  service svc(service_env(db, shared_redis().url(), {{"ORDER_CACHE_TTL", "0"}}));
  const auto owner = register_owner(svc.port(), "cache_off");
  const auto made = authed(svc.port(), "POST", "/api/v1/orders", owner.access, core::to_json(order_body()));
  ASSERT_EQ(made.status, 201) << made.body;
  const auto id = id_of(json_of(made));
  for (int i = 0; i < 3; ++i) ASSERT_EQ(authed(svc.port(), "GET", order_path(id), owner.access).status, 200);
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(cached(shared_redis().port(), id), "");
}

}  // namespace
}  // namespace bakewind::test::orders_e2e
