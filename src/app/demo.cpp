// `bakewind demo`: loads, once, a demo bakery (an owner, an admin, two staff
// and a dozen orders) so that a newcomer can try the API at once, and prints
// the demo logins. Run again, it only prints them.

#include "app/app.hpp"
#include "auth/passwords.hpp"
#include "auth/users.hpp"
#include "core/json.hpp"
#include "core/log.hpp"
#include "orders/order_store.hpp"
#include "pg/pool.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include <array>
#include <cstdio>

namespace bakewind::app {

namespace asio = boost::asio;

namespace {

constexpr std::string_view demo_password = "demo-password";

struct demo_account {
  std::string_view email;
  std::string_view name;
  std::string_view role;
};

constexpr std::array<demo_account, 4> accounts = {{
    {"owner@demo.bakewind.test", "Olivia Owner", "owner"},
    {"admin@demo.bakewind.test", "Adam Admin", "admin"},
    {"sam@demo.bakewind.test", "Sam Staff", "staff"},
    {"sara@demo.bakewind.test", "Sara Staff", "staff"},
}};

struct demo_order {
  std::string_view customer;
  std::string_view product;
  int quantity;
  int unit_price_cents;
  std::string_view status;
  int due_in_hours;  ///< from the hour the demo is loaded; past for delivered and cancelled
};

constexpr std::array<demo_order, 12> orders = {{
    {"Café Lumière", "Sourdough loaf", 12, 650, "pending", 20},
    {"Green Fork Bistro", "Baguette", 30, 280, "confirmed", 6},
    {"Mrs. Patel", "Birthday cake", 1, 4500, "in_production", 4},
    {"Hotel Aurora", "Croissant", 80, 220, "ready", 1},
    {"Corner Deli", "Rye bread", 10, 520, "delivered", -3},
    {"St. Mary School", "Cinnamon roll", 120, 180, "pending", 44},
    {"Tom's Wedding", "Wedding cake", 1, 35000, "confirmed", 122},
    {"Blue Door Café", "Focaccia", 6, 900, "pending", 26},
    {"City Library", "Scone", 40, 250, "cancelled", -22},
    {"Farmers Market", "Country loaf", 25, 700, "in_production", 3},
    {"Ana Gomez", "Fruit tart", 2, 2400, "pending", 50},
    {"Office Park", "Muffin", 60, 210, "ready", 2},
}};

asio::awaitable<bool> load(pg::pool& pool, auth::password_hasher& hasher) {
  auth::users_repository users(pool);
  orders::order_store rows(pool);
  const auto existing = co_await users.find_by_email(std::string(accounts[0].email));
  if (existing) co_return false;
  const std::string hash = co_await hasher.hash(std::string(demo_password));
  const auto owner =
      co_await users.create_owner(std::string(accounts[0].email), hash, std::string(accounts[0].name), "Demo Bakery");
  if (!owner) co_return false;  // another process loaded it meanwhile
  for (std::size_t i = 1; i < accounts.size(); ++i) {
    co_await users.create_member(owner->bakery_id, std::string(accounts[i].email), hash, std::string(accounts[i].name),
                                 std::string(accounts[i].role));
  }
  for (const auto& o : orders) {
    const boost::json::array items{
        boost::json::object{{"product", o.product}, {"quantity", o.quantity}, {"unitPriceCents", o.unit_price_cents}}};
    orders::order_store::sample s{std::string(o.customer), core::to_json(items),
                                  static_cast<long long>(o.quantity) * o.unit_price_cents, std::string(o.status),
                                  o.due_in_hours};
    co_await rows.add_sample(owner->bakery_id, owner->id, std::move(s));
  }
  co_return true;
}

}  // namespace

int load_demo(const core::config& cfg) {
  asio::io_context io(1);
  pg::pool pool(io.get_executor(), cfg.database_url, 2, std::chrono::seconds(30));
  auth::password_hasher hasher(1);
  auto done = asio::co_spawn(io, load(pool, hasher), asio::use_future);
  io.run();
  try {
    const bool loaded = done.get();
    core::log_info(loaded ? "demo data loaded" : "demo data already present");
  } catch (const std::exception& e) {
    core::log_error("demo data not loaded", {{"detail", e.what()}});
    return 1;
  }
  std::printf("Demo logins (password \"%.*s\"):\n", static_cast<int>(demo_password.size()), demo_password.data());
  for (const auto& a : accounts) {
    std::printf("  %-8.*s %.*s\n", static_cast<int>(a.role.size()), a.role.data(), static_cast<int>(a.email.size()),
                a.email.data());
  }
  std::fflush(stdout);
  return 0;
}

}  // namespace bakewind::app
