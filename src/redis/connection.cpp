#include "redis/connection.hpp"

namespace bakewind::redis {

boost::asio::awaitable<std::vector<std::string>> single_node::masters() {
  // One server: its name does not matter, send_to ignores it.
  std::vector<std::string> one(1, "single");
  co_return one;
}

}  // namespace bakewind::redis
