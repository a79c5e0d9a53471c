// The JSON request validators (app/request_bodies, app/body): the input is a
// request body, parsed as the dispatcher parses a JSON body, and read by
// every route's validator; the same bytes are also a query string for the
// orders list, a cursor, a date and an email. A validator may only return
// values or throw http_error 400; anything else is a bug.

#include "app/body.hpp"
#include "app/request_bodies.hpp"
#include "core/json.hpp"
#include "http/response.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using namespace bakewind;

template <class F>
void expect_400_or_value(const F& read) {
  try {
    (void)read();
  } catch (const http::http_error& e) {
    if (e.status() != 400) std::abort();
    if (!e.message().is_array() || e.message().as_array().empty()) std::abort();
  }
}

// "a=1&b=2" as the query parameters of a request, undecoded.
void add_query(std::string_view text, http::request& req) {
  while (!text.empty()) {
    const auto amp = text.find('&');
    const auto pair = text.substr(0, amp);
    const auto eq = pair.find('=');
    req.query_params.emplace_back(std::string(pair.substr(0, eq)),
                                  eq == std::string_view::npos ? std::string() : std::string(pair.substr(eq + 1)));
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
  }
}

void check_date(std::string_view text) {
  const auto ms = app::parse_iso8601_ms(text);
  if (ms && (*ms < -62135596800000LL || *ms > 253402300799999LL)) std::abort();
}

void check_cursor(std::string_view text) {
  const auto p = app::decode_cursor(text);
  if (!p) return;
  const auto back = app::decode_cursor(app::encode_cursor(*p));
  if (!back || back->created_ms != p->created_ms || back->id != p->id) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  http::request req;
  req.body = std::string(text);
  req.json = core::parse_json(text);
  expect_400_or_value([&] { return app::read_register(req); });
  expect_400_or_value([&] { return app::read_login(req); });
  expect_400_or_value([&] { return app::read_refresh_token(req); });
  expect_400_or_value([&] { return app::read_optional_refresh_token(req); });
  expect_400_or_value([&] { return app::read_claim_session(req); });
  expect_400_or_value([&] { return app::read_new_user(req); });
  expect_400_or_value([&] { return app::read_new_order(req); });
  expect_400_or_value([&] { return app::read_order_changes(req); });
  expect_400_or_value([&] { return app::read_lock_session(req); });
  add_query(text, req);
  expect_400_or_value([&] { return app::read_list_query(req); });
  expect_400_or_value([&] { return app::valid_session_id(text); });
  check_date(text);
  check_cursor(text);
  (void)app::is_email(text);
  (void)app::text_length(text);
  return 0;
}
