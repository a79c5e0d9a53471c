#include "traffic.hpp"

#include <atomic>
#include <random>
#include <sstream>

namespace bakewind::test::chaos {

namespace {

using clock = std::chrono::steady_clock;
using namespace auth_e2e;

// The X-Request-Id of this thread's latest request: a slow one is reported
// with it, to be found in the instances' access logs.
thread_local std::string last_request_id;

// One request on the worker's keep-alive connection (opened on first use,
// again after a failure), as a browser sends it. Never throws: a refused or
// dropped connection, or no reply within 10 s, is status 0 (never retried:
// the request may have been served).
http_reply call(std::unique_ptr<raw_connection>& conn, std::uint16_t port, const std::string& method,
                const std::string& target, const std::string& token, const std::string& body,
                const std::string& lock_session) {
  static std::atomic<long> next_id{0};
  last_request_id = "chaos-" + std::to_string(++next_id);
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: " + last_request_id + "\r\n";
  if (!token.empty()) req += "Authorization: Bearer " + token + "\r\n";
  if (!lock_session.empty()) req += "X-Lock-Session: " + lock_session + "\r\n";
  if (!body.empty()) req += "Content-Type: application/json\r\n";
  if (!body.empty() || method == "POST" || method == "PUT") req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  try {
    if (!conn) conn = std::make_unique<raw_connection>(port);
    if (conn->send(req)) {
      if (auto reply = conn->read_reply(std::chrono::seconds(10))) {
        if (reply->header("connection") == "close") conn.reset();
        return *reply;
      }
    }
  } catch (const std::exception&) {
  }
  conn.reset();
  return http_reply{};
}

// The session of the holder a 409 names (its `lock`), or empty.
std::string holder_named(const http_reply& r) {
  const auto body = core::parse_json(r.body);
  const auto* lock = body && body->is_object() ? body->as_object().if_contains("lock") : nullptr;
  const auto* session = lock != nullptr && lock->is_object() ? lock->as_object().if_contains("sessionId") : nullptr;
  return session != nullptr && session->is_string() ? std::string(session->get_string()) : std::string();
}

}  // namespace

// One request, timed and sorted (note). As a browser does, a request sent
// on a kept-alive connection that the proxy had closed meanwhile (an
// instance died) fails at once, before any answer could come; one that may
// be sent again (a GET, a lock request) is sent again, once, on a new
// connection. A request that failed later, after waiting on a dead or
// frozen instance, is haproxy's to retry, not ours.
http_reply traffic::request(int worker, ask a) {
  auto& conn = conns_[static_cast<std::size_t>(worker)];
  const bool reused = conn != nullptr;
  const auto record = [&](const http_reply& r, clock::time_point from) {
    if (a.record.object.empty()) return;
    history::operation op = a.record;
    op.status = r.status;
    if (r.status == 409) op.seen = holder_named(r);
    op.start = from;
    op.end = clock::now();
    history_.add(std::move(op));
  };
  const auto started = clock::now();
  auto r = call(conn, port_, a.method, a.target, a.token, a.body, a.lock_session);
  if (r.status == 0 && a.retryable && reused && clock::now() - started < std::chrono::milliseconds(50)) {
    counts_.client_retries++;
    record(r, started);  // most likely never arrived; recorded as answer unknown
    const auto again = clock::now();
    r = call(conn, port_, a.method, a.target, a.token, a.body, a.lock_session);
    record(r, again);
  } else {
    record(r, started);
  }
  if (a.retryable && a.record.object.starts_with("order:") && history::known({.status = r.status}) &&
      clock::now() - started >= std::chrono::seconds(1)) {
    // That long, haproxy may have given up on its first instance and sent it
    // again (retry-on response-timeout): the first may still take effect,
    // later, when a frozen instance resumes. Recorded as a second request
    // whose answer nobody saw.
    record(http_reply{}, started);
    ghosts_[static_cast<std::size_t>(worker)].insert(a.record.object);
  }
  note(a.what, r, started, a.expected, a.retryable);
  return r;
}

traffic::traffic(std::uint16_t port, fixture f, int workers, std::chrono::milliseconds deadline)
    : port_(port), fixture_(std::move(f)), deadline_(deadline) {
  for (std::size_t i = 0; i < fixture_.orders.size(); ++i) views_.push_back(std::make_unique<order_view>());
  for (auto& op : fixture_.before) history_.add(op);
  conns_.resize(static_cast<std::size_t>(workers));
  chains_.resize(static_cast<std::size_t>(workers));
  cycles_.resize(static_cast<std::size_t>(workers));
  ghosts_.resize(static_cast<std::size_t>(workers));
  for (int w = 0; w < workers; ++w) workers_.emplace_back([this, w] { run(w); });
}

traffic::~traffic() { stop(); }

void traffic::stop() {
  stopping_ = true;
  for (auto& t : workers_) {
    if (t.joinable()) t.join();
  }
}

void traffic::measure_waits_from_now() { waits_from_ = clock::now().time_since_epoch().count(); }

std::chrono::milliseconds traffic::longest_wait() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock::duration(longest_wait_.load()));
}

void traffic::remember(std::string line) {
  std::lock_guard lock(trouble_m_);
  if (trouble_.size() < 10) trouble_.push_back(std::move(line));
}

void traffic::note(std::string_view what, const http_reply& r, clock::time_point started,
                   const std::vector<int>& expected, bool retryable) {
  const auto took = clock::now() - started;
  const std::string about = last_request_id + " " + std::string(what) + " -> ";
  counts_.requests++;
  if (started.time_since_epoch().count() >= waits_from_.load()) {
    auto longest = longest_wait_.load();
    while (took.count() > longest && !longest_wait_.compare_exchange_weak(longest, took.count())) {
    }
  }
  const bool lost = r.status == 0 || r.status == 502 || r.status == 504;
  if (lost && retryable) counts_.unretried++;
  if (took > deadline_) counts_.slow++;
  if (took > deadline_ || r.status == 0 || (lost && retryable)) {
    remember(about + std::to_string(r.status) + " after " +
             std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()) + " ms" +
             (lost && retryable ? " (not retried by haproxy) " + r.body.substr(0, 120) : ""));
  }
  for (const int e : expected) {
    if (r.status == e) {
      counts_.ok++;
      return;
    }
  }
  if (r.status == 0) {
    counts_.no_answer++;
  } else if (r.status == 503) {
    counts_.unavailable++;
    // API.md: a 503 says what is unavailable ("Orders are unavailable: the
    // database is not answering") and when to try again. haproxy's own,
    // when no instance is up, too (its http-error).
    const auto body = core::parse_json(r.body);
    const auto* message = body && body->is_object() ? body->as_object().if_contains("message") : nullptr;
    const bool named = message != nullptr && message->is_string() &&
                       std::string_view(message->get_string()).find(" unavailable: ") != std::string_view::npos;
    if (!named || r.header("retry-after").empty()) {
      counts_.unnamed_503++;
      remember(about + "unnamed 503 " + r.body.substr(0, 120));
    }
  } else if (r.status == 502 || r.status == 504) {
    counts_.proxy_errors++;
  } else if (r.status >= 500) {
    counts_.server_errors++;
  } else {
    counts_.unexpected++;
    remember(about + "unexpected " + std::to_string(r.status) + " " + r.body.substr(0, 120));
  }
}

void traffic::run(int worker) {
  std::minstd_rand random(static_cast<unsigned>(worker * 7919 + 1));
  while (!stopping_) {
    const auto& users = fixture_.users;
    switch (random() % 5) {
      case 0: check_me(worker, users[random() % users.size()].access, false); break;
      case 1:
        if (!fixture_.revoked.empty()) check_me(worker, fixture_.revoked[random() % fixture_.revoked.size()], true);
        break;
      case 2: lock_cycle(worker); break;
      case 3: hand_off(worker); break;
      default: sign_in_and_out(worker); break;
    }
  }
}

void traffic::check_me(int worker, const std::string& token, bool revoked) {
  const auto r = request(worker, {revoked ? "me (revoked token)" : "me", "GET", "/api/v1/auth/me", token, {}, {},
                                  {revoked ? 401 : 200}, true, {"token:" + token, "me"}});
  if (revoked && r.status == 200) counts_.revoked_accepted++;
}

void traffic::lock_cycle(int worker) {
  const std::size_t index = static_cast<std::size_t>(counts_.requests.load() + worker) % fixture_.orders.size();
  const auto& order = fixture_.orders[index];
  const auto& who = fixture_.users[static_cast<std::size_t>(worker) % fixture_.users.size()];
  const std::string session = "worker-" + std::to_string(worker);
  const std::string object = "order:" + order;
  const auto got = request(worker, {"acquire", "POST", locks_e2e::lock_path(order), who.access, locks_e2e::session_body(session),
                                    {}, {201, 200, 409}, true, {object, "acquire", session}});
  if (got.status != 201 && got.status != 200) return;
  counts_.grants++;
  // A copy of an earlier request of ours on this order may still land (a
  // release, from a frozen instance that resumes) and end this grant early:
  // then another worker's grant is no double grant. The history check, which
  // knows of the copy, judges such an order instead of this view.
  if (!ghosts_[static_cast<std::size_t>(worker)].contains(object)) {
    auto& view = *views_[index];
    std::lock_guard lock(view.m);
    if (view.holder != -1 && view.holder != worker) counts_.double_grants++;
    view.holder = worker;
  }
  hold(worker, index, who, session);
}

void traffic::hold(int worker, std::size_t index, const e2e_account& who, const std::string& session) {
  const auto& order = fixture_.orders[index];
  const unsigned cycle = cycles_[static_cast<std::size_t>(worker)]++;
  const std::string object = "order:" + order;
  const std::string orders_path = "/api/v1/orders/" + order;
  const std::string note_body = core::to_json(boost::json::object{{"notes", session + " " + std::to_string(cycle)}});
  if (cycle % 4 == 1) {
    request(worker, {"renew", "PUT", locks_e2e::lock_path(order), who.access, locks_e2e::session_body(session), {},
                     {200}, true, {object, "renew", session}});
  }
  if (cycle % 2 == 0) {
    request(worker, {"fenced write", "PATCH", orders_path, who.access, note_body, session, {200}, false,
                     {object, "patch", session}});
  } else {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  {
    // Let go in our view before asking, so that a grant to another worker
    // racing our release's answer is not mistaken for a double grant.
    auto& view = *views_[index];
    std::lock_guard lock(view.m);
    if (view.holder == worker) view.holder = -1;
  }
  request(worker, {"release", "DELETE", locks_e2e::lock_path(order) + "?sessionId=" + session, who.access, {}, {},
                   {204, 404}, true, {object, "release", session}});
  if (cycle % 4 == 3) {
    // A tab whose lock is gone: its write is refused, whoever holds the order now.
    request(worker, {"lapsed write", "PATCH", orders_path, who.access, note_body, session, {409}, false,
                     {object, "patch", session}});
  }
}

void traffic::hand_off(int worker) {
  const auto& who = fixture_.users[static_cast<std::size_t>(worker) % fixture_.users.size()];
  const auto made = request(worker, {"transfer", "POST", "/api/v1/auth/transfer", who.access,
                                     core::to_json(boost::json::object{{"refreshToken", who.refresh}}), {}, {201}, false, {}});
  if (made.status != 201) return;
  const auto id = std::string(json_of(made).at("sessionId").as_string());
  // Its id is known only from the answer: recorded once made.
  history_.add({"handoff:" + id, "create", {}, 201, {}, clock::now(), clock::now()});
  const std::string body = core::to_json(boost::json::object{{"sessionId", id}});
  const history::operation claim{"handoff:" + id, "claim"};
  const auto first = request(worker, {"claim", "POST", "/api/v1/auth/transfer/claim", "", body, {}, {200}, false, claim});
  const auto second =
      request(worker, {"claim again", "POST", "/api/v1/auth/transfer/claim", "", body, {}, {401}, false, claim});
  if (first.status == 200) counts_.claims++;
  if (first.status == 200 && second.status == 200) counts_.double_claims++;
}

void traffic::sign_in_and_out(int worker) {
  auto& chain = chains_[static_cast<std::size_t>(worker)];
  const auto& who = fixture_.users[static_cast<std::size_t>(worker) % fixture_.users.size()];
  if (chain.empty()) {
    const auto in = request(worker, {"login", "POST", "/api/v1/auth/login", "", auth_e2e::login_body(who.email, who.password),
                                     {}, {200}, false, {}});
    if (in.status != 200) return;
    chain = std::string(json_of(in).at("refreshToken").as_string());
  }
  const auto turned = request(worker, {"refresh", "POST", "/api/v1/auth/refresh", "",
                                       core::to_json(boost::json::object{{"refreshToken", chain}}), {}, {200}, false,
                                       {"refresh:" + chain, "refresh"}});
  if (turned.status != 200) {
    chain.clear();  // used up, or maybe: sign in again next time
    return;
  }
  const auto tokens = json_of(turned);
  chain = std::string(tokens.at("refreshToken").as_string());
  const std::string access(tokens.at("accessToken").as_string());
  const std::string object = "token:" + access;
  request(worker, {"me (fresh token)", "GET", "/api/v1/auth/me", access, {}, {}, {200}, true, {object, "me"}});
  const auto out = request(worker, {"logout", "POST", "/api/v1/auth/logout", access, {}, {}, {204}, false, {object, "logout"}});
  if (out.status != 204) return;
  const auto after =
      request(worker, {"me (logged out)", "GET", "/api/v1/auth/me", access, {}, {}, {401}, true, {object, "me"}});
  if (after.status == 200) counts_.revoked_accepted++;
}

std::string traffic::summary() const {
  std::ostringstream s;
  const auto& c = counts_;
  s << "requests " << c.requests << ", expected " << c.ok << ", 503 " << c.unavailable << " (unnamed "
    << c.unnamed_503 << "), proxy 502/504 " << c.proxy_errors << " (of those and no answer, retryable "
    << c.unretried << ", sent again by the client on a fresh connection " << c.client_retries << "), other 5xx "
    << c.server_errors << ", unexpected 4xx " << c.unexpected
    << ", no answer " << c.no_answer << ", past deadline " << c.slow << "; grants " << c.grants << ", claims "
    << c.claims << "; double grants " << c.double_grants << ", revoked accepted " << c.revoked_accepted
    << ", double claims " << c.double_claims;
  std::lock_guard lock(trouble_m_);
  for (const auto& t : trouble_) s << "\n    slow, unanswered or unexpected: " << t;
  return s.str();
}

bool traffic::promises_kept() const noexcept {
  return counts_.revoked_accepted == 0 && counts_.double_grants == 0 && counts_.double_claims == 0 &&
         counts_.slow == 0 && counts_.server_errors == 0;
}

}  // namespace bakewind::test::chaos
