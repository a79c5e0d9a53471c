#pragma once
// A Sentinel that says what the test tells it, when the test tells it: a
// lagging or wrong answer to get-master-addr-by-name, or a +switch-master at
// an exact moment. Real Sentinels do neither on cue (STYLE.md: a fake is for
// what a real server cannot do). Runs on the test's io_context.

#include "redis/options.hpp"
#include "redis/resp.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <memory>
#include <string>
#include <vector>

namespace bakewind::redis_test {

class fake_sentinel {
 public:
  /// Listens on a free port of 127.0.0.1; answers lookups of `name` with `master`.
  fake_sentinel(boost::asio::io_context& io, std::string name, redis::server_address master)
      : name_(std::move(name)),
        master_(std::move(master)),
        acceptor_(io, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    boost::asio::co_spawn(io, accept_loop(), boost::asio::detached);
  }
  ~fake_sentinel() { close(); }

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  redis::server_address address() const { return {"127.0.0.1", port()}; }

  /// What lookups answer from now on.
  void set_master(redis::server_address master) { master_ = std::move(master); }

  /// Publishes "+switch-master NAME old new" to every subscriber, and
  /// answers lookups with `to` from now on.
  void switch_master(const redis::server_address& to) {
    const auto from = master_;
    master_ = to;
    publish(name_ + " " + from.text() + " " + to.text());
  }

  /// Publishes `payload` on +switch-master as it is (any name, or malformed).
  /// A real Sentinel separates host and port by a space: text() has ':'.
  void publish(std::string payload) {
    for (auto& c : payload) c = c == ':' ? ' ' : c;
    std::string message;
    redis::append_command(message, {"message", "+switch-master", payload});  // same bytes as a pushed array
    for (auto& s : subscribers_) send(*s, message);
  }

  /// Lookups answered so far, and subscriptions made so far.
  int lookups() const noexcept { return lookups_; }
  int subscriptions_made() const noexcept { return static_cast<int>(subscribers_.size()); }

  /// Stops listening and closes every connection.
  void close() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    for (auto& s : sockets_) s->close(ignored);
  }

 private:
  using socket_ptr = std::shared_ptr<boost::asio::ip::tcp::socket>;

  static void send(boost::asio::ip::tcp::socket& s, const std::string& bytes) {
    boost::system::error_code ignored;
    boost::asio::write(s, boost::asio::buffer(bytes), ignored);  // tiny, on loopback
  }

  boost::asio::awaitable<void> accept_loop() {
    while (true) {
      auto s = std::make_shared<boost::asio::ip::tcp::socket>(co_await boost::asio::this_coro::executor);
      boost::system::error_code ec;
      co_await acceptor_.async_accept(*s, boost::asio::redirect_error(boost::asio::use_awaitable, ec));
      if (ec) co_return;
      sockets_.push_back(s);
      boost::asio::co_spawn(acceptor_.get_executor(), session(s), boost::asio::detached);
    }
  }

  boost::asio::awaitable<void> session(socket_ptr s) {
    redis::resp_reader reader;
    char buffer[4096];
    while (true) {
      boost::system::error_code ec;
      const auto n =
          co_await s->async_read_some(boost::asio::buffer(buffer), boost::asio::redirect_error(boost::asio::use_awaitable, ec));
      if (ec) co_return;
      reader.feed(buffer, n);
      while (auto command = reader.next()) answer(s, *command);
    }
  }

  // Commands arrive as arrays of bulk strings, which the reply parser reads as well.
  void answer(const socket_ptr& s, const redis::reply& command) {
    if (command.elements.empty()) return;
    std::string verb = command.elements[0].text;
    for (auto& c : verb) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    std::string out;
    if (verb == "SENTINEL") {
      ++lookups_;
      if (command.elements.size() == 3 && command.elements[2].text == name_) {
        redis::append_command(out, {master_.host, std::to_string(master_.port)});
      } else {
        out = "*-1\r\n";
      }
    } else if (verb == "SUBSCRIBE") {
      out = "*3\r\n$9\r\nsubscribe\r\n$14\r\n+switch-master\r\n:1\r\n";
      subscribers_.push_back(s);
    } else if (verb == "PING") {
      out = "*2\r\n$4\r\npong\r\n$0\r\n\r\n";  // the subscribed form: only subscribers ping us
    } else {
      out = "+OK\r\n";  // AUTH, CLIENT SETNAME
    }
    send(*s, out);
  }

  std::string name_;
  redis::server_address master_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::vector<socket_ptr> sockets_;
  std::vector<socket_ptr> subscribers_;
  int lookups_ = 0;
};

}  // namespace bakewind::redis_test
