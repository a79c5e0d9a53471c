// TLS (rediss://) to a redis-server with a certificate made by the test, and
// AUTH: a password, an ACL user, a database index, a wrong password.

#include "redis_fixture.hpp"

#include <filesystem>
#include <fstream>

namespace bakewind::redis_test {
namespace {

// Runs a command (openssl) in `dir`; throws when it fails.
void run_tool(const std::filesystem::path& dir, std::vector<std::string> argv) {
  test::child_options o;
  o.argv = std::move(argv);
  o.working_dir = dir;
  test::child_process p(std::move(o));
  const auto code = p.wait_for_exit(20s);
  if (code != 0) throw std::runtime_error("tool failed:\n" + p.output());
}

// A CA and a server certificate for localhost and 127.0.0.1 signed by it.
struct certificates {
  test::temp_dir dir{"bakewind-tls"};
  std::filesystem::path ca = dir.path() / "ca.crt";
  std::filesystem::path cert = dir.path() / "server.crt";
  std::filesystem::path key = dir.path() / "server.key";

  certificates() {
    const std::vector<std::string> ec = {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"};
    std::vector<std::string> ca_req = {"openssl", "req", "-x509", "-days", "2", "-subj", "/CN=bakewind test CA",
                                       "-keyout", "ca.key", "-out", "ca.crt"};
    ca_req.insert(ca_req.begin() + 2, ec.begin(), ec.end());
    run_tool(dir.path(), ca_req);
    std::vector<std::string> csr = {"openssl", "req", "-subj", "/CN=localhost", "-keyout", "server.key", "-out",
                                    "server.csr"};
    csr.insert(csr.begin() + 2, ec.begin(), ec.end());
    run_tool(dir.path(), csr);
    std::ofstream(dir.path() / "san.cnf") << "subjectAltName=DNS:localhost,IP:127.0.0.1\n";
    run_tool(dir.path(), {"openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                          "-CAcreateserial", "-days", "2", "-extfile", "san.cnf", "-out", "server.crt"});
  }
};

class tls_test : public redis_test {
 protected:
  static void SetUpTestSuite() {
    certs_ = new certificates();
    test::redis_server_options o;
    o.tls = true;
    o.extra_args = {"--tls-cert-file", certs_->cert.string(), "--tls-key-file", certs_->key.string(),
                    "--tls-ca-cert-file", certs_->ca.string(), "--tls-auth-clients", "no"};
    server_ = new test::redis_server(std::move(o));
  }
  static void TearDownTestSuite() {
    delete server_;
    delete certs_;
  }

  static redis::options tls_options(const std::string& host) {
    return redis::parse_url("rediss://" + host + ":" + std::to_string(server_->port()));
  }

  static certificates* certs_;
  static test::redis_server* server_;
};

certificates* tls_test::certs_ = nullptr;
test::redis_server* tls_test::server_ = nullptr;

TEST_F(tls_test, verified_connection_to_localhost_with_the_test_ca_works) {
  auto o = tls_options("localhost");
  ASSERT_TRUE(o.tls);
  o.tls_ca_file = certs_->ca.string();
  redis::client c(io_.get_executor(), o);
  redis::service svc(c);
  auto got = run([&]() -> asio::awaitable<std::optional<std::string>> {
    co_await svc.set("tls", "yes");
    auto v = co_await svc.get("tls");
    co_return v;
  }());
  EXPECT_EQ(got, "yes");
  EXPECT_EQ(c.stats().connects.load(), 1u);
}

TEST_F(tls_test, verified_connection_to_the_ip_address_in_the_certificate_works) {
  auto o = tls_options("127.0.0.1");
  o.tls_ca_file = certs_->ca.string();
  redis::client c(io_.get_executor(), o);
  EXPECT_NO_THROW(run(redis::service(c).ping()));
}

TEST_F(tls_test, a_self_signed_certificate_without_its_ca_is_refused) {
  auto o = tls_options("localhost");
  redis::client c(io_.get_executor(), o);
  redis::service svc(c);
  const auto start = clock::now();
  EXPECT_THROW(run(svc.ping()), core::unavailable_error);
  EXPECT_LT(ms_since(start), 1500);
  EXPECT_EQ(c.stats().connects.load(), 0u);
  EXPECT_GE(c.stats().errors.load(), 1u);
}

TEST_F(tls_test, a_killed_tls_connection_reconnects_by_itself) {
  auto o = tls_options("localhost");
  o.tls_ca_file = certs_->ca.string();
  redis::client c(io_.get_executor(), o);
  redis::service svc(c);
  run(svc.set("k", "v"));
  const std::vector<std::string> tls = {"--tls", "--cacert", certs_->ca.string()};
  ASSERT_EQ(kill_our_connections(server_->port(), tls), 1);
  run_for(300ms);
  EXPECT_EQ(run(svc.get("k")), "v");
  EXPECT_EQ(c.stats().reconnects.load(), 1u);
}

TEST_F(tls_test, insecure_mode_skips_verification) {
  auto o = tls_options("localhost");
  o.tls_insecure = true;
  redis::client c(io_.get_executor(), o);
  EXPECT_NO_THROW(run(redis::service(c).ping()));
}

TEST_F(tls_test, plain_tcp_to_a_tls_port_fails_as_unavailable) {
  auto o = tls_options("localhost");
  o.tls = false;
  redis::client c(io_.get_executor(), o);
  EXPECT_THROW(run(redis::service(c).ping()), core::unavailable_error);
}

TEST_F(tls_test, an_unreadable_ca_file_is_a_config_error_naming_redis_tls_ca) {
  auto o = tls_options("localhost");
  o.tls_ca_file = (certs_->dir.path() / "missing.pem").string();
  try {
    redis::client c(io_.get_executor(), o);
    ADD_FAILURE() << "no config_error";
  } catch (const core::config_error& e) {
    EXPECT_EQ(e.variable(), "REDIS_TLS_CA");
  }
}

// AUTH ---------------------------------------------------------------------

using auth_test = redis_test;

std::string url_with(const std::string& userinfo, const test::redis_server& s, const std::string& path = "") {
  return "redis://" + userinfo + "@127.0.0.1:" + std::to_string(s.port()) + path;
}

TEST_F(auth_test, a_password_in_the_url_authenticates) {
  test::redis_server server({"--requirepass", "secret"});
  redis::client c(io_.get_executor(), redis::parse_url(url_with(":secret", server)));
  redis::service svc(c);
  run(svc.set("k", "v"));
  EXPECT_EQ(cli(server.port(), {"GET", "k"}, {"-a", "secret"}), "v");
}

TEST_F(auth_test, without_the_required_password_commands_fail_as_unavailable) {
  test::redis_server server({"--requirepass", "secret"});
  redis::client c(io_.get_executor(), options_for(server));
  EXPECT_THROW(run(redis::service(c).ping()), core::unavailable_error);
  EXPECT_EQ(c.stats().connects.load(), 0u);
}

TEST_F(auth_test, an_acl_user_with_a_database_index_authenticates_and_selects_that_database) {
  test::redis_server server({"--user", "alice", "on", ">pw", "~*", "&*", "+@all", "--user", "default", "off"});
  redis::client c(io_.get_executor(), redis::parse_url(url_with("alice:pw", server, "/2")));
  redis::service svc(c);
  run(svc.set("k", "in-db-2"));
  const std::vector<std::string> alice = {"--user", "alice", "--pass", "pw"};
  auto in = [&](const std::string& db) {
    auto args = alice;
    args.push_back("-n");
    args.push_back(db);
    return args;
  };
  EXPECT_EQ(cli(server.port(), {"GET", "k"}, in("2")), "in-db-2");
  EXPECT_EQ(cli(server.port(), {"EXISTS", "k"}, in("0")), "0");
  // Still in database 2 after a reconnect: SELECT is part of every handshake.
  ASSERT_EQ(kill_our_connections(server.port(), alice), 1);
  run_for(300ms);
  EXPECT_EQ(run(svc.get("k")), "in-db-2");
  EXPECT_EQ(c.stats().reconnects.load(), 1u);
  // The connection is alice's (CLIENT LIST shows the user).
  EXPECT_NE(cli(server.port(), {"CLIENT", "LIST"}, alice).find("name=bakewind"), std::string::npos);
}

TEST_F(auth_test, the_default_user_is_refused_when_disabled) {
  test::redis_server server({"--user", "alice", "on", ">pw", "~*", "&*", "+@all", "--user", "default", "off"});
  redis::client c(io_.get_executor(), redis::parse_url(url_with("bob:pw", server)));
  EXPECT_THROW(run(redis::service(c).ping()), core::unavailable_error);
}

TEST_F(auth_test, a_wrong_password_fails_the_caller_and_retries_with_backoff_not_in_a_tight_loop) {
  test::redis_server server({"--requirepass", "secret"});
  redis::client c(io_.get_executor(), redis::parse_url(url_with(":wrong", server)));
  redis::service svc(c);
  const auto start = clock::now();
  try {
    run(svc.ping());
    ADD_FAILURE() << "PING succeeded with a wrong password";
  } catch (const core::unavailable_error& e) {
    EXPECT_LT(ms_since(start), 1500) << e.what();
  }
  // Over the next 2 s the client keeps trying, with growing delays.
  const auto errors_before = c.stats().errors.load();
  run_for(2000ms);
  const auto attempts = c.stats().errors.load() - errors_before;
  EXPECT_GE(attempts, 2u);
  EXPECT_LE(attempts, 15u);
  EXPECT_EQ(c.stats().connects.load(), 0u);
  // The server saw only those attempts (rejected AUTHs), not thousands.
  const auto info = cli(server.port(), {"INFO", "stats"}, {"-a", "secret"});
  const auto at = info.find("total_connections_received:");
  ASSERT_NE(at, std::string::npos);
  EXPECT_LE(std::stoll(info.substr(at + 27)), 30);
}

}  // namespace
}  // namespace bakewind::redis_test
