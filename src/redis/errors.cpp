#include "redis/errors.hpp"

namespace bakewind::redis {
namespace {

class category : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "redis"; }
  std::string message(int ev) const override {
    switch (static_cast<error>(ev)) {
      case error::timeout: return "command timed out";
      case error::connection_lost: return "connection lost before the reply";
      case error::retries_exhausted: return "not connected after the allowed reconnect attempts";
      case error::closed: return "client closed";
      case error::protocol: return "protocol error";
      case error::not_answering: return "not answering: no reply for the command timeout";
    }
    return "unknown redis error";
  }
};

}  // namespace

const boost::system::error_category& error_category() noexcept {
  static const category instance;
  return instance;
}

void throw_unavailable(const boost::system::error_code& ec) { throw core::unavailable_error("redis", ec.message()); }

}  // namespace bakewind::redis
