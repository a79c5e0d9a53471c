// The RESP reader as the Redis connection feeds it: the input arrives in two
// reads split at a point the fuzzer picks (its first two bytes), and every
// complete reply is taken after each read. Checks that the split changes
// nothing: the same bytes fed at once give the same replies, and a protocol
// error in one is a protocol error in the other.

#include "redis/resp.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace {

using bakewind::redis::protocol_error;
using bakewind::redis::reply;
using bakewind::redis::resp_reader;

bool same(const reply& a, const reply& b) {
  if (a.type != b.type || a.text != b.text || a.integer != b.integer || a.elements.size() != b.elements.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.elements.size(); ++i) {
    if (!same(a.elements[i], b.elements[i])) return false;
  }
  (void)a.error_code();
  return true;
}

struct outcome {
  std::vector<reply> replies;
  bool failed = false;
};

// Feeds each chunk in turn, taking every complete reply after each.
outcome read_all(const std::vector<std::string_view>& chunks) {
  outcome out;
  resp_reader reader;
  try {
    for (const auto chunk : chunks) {
      reader.feed(chunk.data(), chunk.size());
      while (auto r = reader.next()) out.replies.push_back(std::move(*r));
    }
  } catch (const protocol_error&) {
    out.failed = true;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 2, size - 2);
  const std::size_t split =
      (static_cast<std::size_t>(data[0]) | (static_cast<std::size_t>(data[1]) << 8)) % (bytes.size() + 1);
  const auto in_two = read_all({bytes.substr(0, split), bytes.substr(split)});
  const auto at_once = read_all({bytes});
  if (in_two.failed != at_once.failed || in_two.replies.size() != at_once.replies.size()) std::abort();
  for (std::size_t i = 0; i < in_two.replies.size(); ++i) {
    if (!same(in_two.replies[i], at_once.replies[i])) std::abort();
  }
  return 0;
}
