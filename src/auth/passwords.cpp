#include "auth/passwords.hpp"

#include <sodium.h>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <stdexcept>

namespace bakewind::auth {

namespace asio = boost::asio;

namespace {

constexpr unsigned long long ops_limit = 2;
constexpr std::size_t mem_limit = 19 * 1024 * 1024;

std::string hash_now(const std::string& password) {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), ops_limit, mem_limit) != 0) {
    throw std::runtime_error("password hashing ran out of memory");
  }
  return out;
}

bool verify_now(const std::string& stored, const std::string& password) {
  if (stored.empty() || stored.size() >= crypto_pwhash_STRBYTES) return false;
  return crypto_pwhash_str_verify(stored.c_str(), password.data(), password.size()) == 0;
}

// Runs `f` on `pool` and resumes the caller on its own executor with the result.
template <class R, class F>
asio::awaitable<R> offload(asio::thread_pool& pool, F f) {
  auto result = co_await asio::async_initiate<decltype(asio::use_awaitable), void(std::exception_ptr, R)>(
      [&pool](auto handler, F fn) {
        auto work = asio::make_work_guard(asio::get_associated_executor(handler));
        asio::post(pool, [fn = std::move(fn), handler = std::move(handler), work = std::move(work)]() mutable {
          std::exception_ptr failure;
          R value{};
          try {
            value = fn();
          } catch (...) {
            failure = std::current_exception();
          }
          auto ex = work.get_executor();
          asio::post(ex, [handler = std::move(handler), failure, value = std::move(value)]() mutable {
            std::move(handler)(failure, std::move(value));
          });
        });
      },
      asio::use_awaitable, std::move(f));
  co_return result;
}

}  // namespace

password_hasher::password_hasher(std::size_t threads) : pool_(threads) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  dummy_hash_ = hash_now("not a password of anyone");
}

password_hasher::~password_hasher() {
  pool_.join();
}

asio::awaitable<std::string> password_hasher::hash(std::string password) {
  return offload<std::string>(pool_, [p = std::move(password)] { return hash_now(p); });
}

asio::awaitable<bool> password_hasher::verify(std::string stored, std::string password) {
  return offload<bool>(pool_, [s = std::move(stored), p = std::move(password)] { return verify_now(s, p); });
}

asio::awaitable<bool> password_hasher::verify_nobody(std::string password) {
  return offload<bool>(pool_, [s = dummy_hash_, p = std::move(password)] {
    verify_now(s, p);
    return false;
  });
}

}  // namespace bakewind::auth
