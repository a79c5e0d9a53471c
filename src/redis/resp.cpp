#include "redis/resp.hpp"

#include <hiredis/hiredis.h>
#include <hiredis/read.h>

#include <charconv>

namespace bakewind::redis {
namespace {

void append_number(std::string& out, std::size_t n) {
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, n);
  out.append(digits, end);
}

// Moves a hiredis reply tree into ours.
reply convert(const redisReply& in) {
  reply out;
  switch (in.type) {
    case REDIS_REPLY_STRING:
      out.type = reply::kind::string;
      out.text.assign(in.str, in.len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = reply::kind::status;
      out.text.assign(in.str, in.len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = reply::kind::error;
      out.text.assign(in.str, in.len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = reply::kind::integer;
      out.integer = in.integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = reply::kind::array;
      out.elements.reserve(in.elements);
      for (std::size_t i = 0; i < in.elements; ++i) out.elements.push_back(convert(*in.element[i]));
      break;
    default:
      out.type = reply::kind::nil;
      break;
  }
  return out;
}

// hiredis 0.14 allocates a multi-bulk reply's element array from the length
// it announces, before any element has arrived: "*500000000\r\n" would cost
// 4 GB. Our longest replies (MGET of a page of orders, SCAN pages) have a few
// hundred elements; anything past this limit fails the reader like malformed
// input (createArray returning null is hiredis's out-of-memory error).
constexpr int max_array_elements = 1 << 20;

// hiredis's default reply functions, and the same with create_bounded_array.
struct reply_functions {
  redisReplyObjectFunctions defaults;
  redisReplyObjectFunctions bounded;
};

// Every task carries its reader's privdata: the defaults to build with.
void* create_bounded_array(const redisReadTask* task, int elements) {
  if (elements < 0 || elements > max_array_elements) return nullptr;
  return static_cast<const redisReplyObjectFunctions*>(task->privdata)->createArray(task, elements);
}

// Made once from the first reader's defaults (the same for every reader),
// then only read.
const reply_functions& functions_from(const redisReplyObjectFunctions* defaults) {
  static const reply_functions functions = [defaults] {
    reply_functions f{*defaults, *defaults};
    f.bounded.createArray = &create_bounded_array;
    return f;
  }();
  return functions;
}

// A reader with the element limit. hiredis takes non-const pointers to
// tables it only reads.
redisReader* create_reader() {
  redisReader* r = redisReaderCreate();
  if (r == nullptr) throw std::bad_alloc();
  const reply_functions& f = functions_from(r->fn);
  r->fn = const_cast<redisReplyObjectFunctions*>(&f.bounded);
  r->privdata = const_cast<redisReplyObjectFunctions*>(&f.defaults);
  return r;
}

}  // namespace

std::string_view reply::error_code() const noexcept {
  if (type != kind::error) return {};
  const std::string_view t = text;
  return t.substr(0, t.find(' '));
}

void append_command(std::string& out, std::span<const std::string_view> args) {
  out += '*';
  append_number(out, args.size());
  out += "\r\n";
  for (const auto arg : args) {
    out += '$';
    append_number(out, arg.size());
    out += "\r\n";
    out.append(arg);
    out += "\r\n";
  }
}

void append_command(std::string& out, std::initializer_list<std::string_view> args) {
  append_command(out, std::span<const std::string_view>(args.begin(), args.size()));
}

void resp_reader::deleter::operator()(redisReader* r) const noexcept {
  redisReaderFree(r);
}

resp_reader::resp_reader() : reader_(create_reader()) {}

resp_reader::~resp_reader() = default;

void resp_reader::reset() {
  reader_.reset(create_reader());
}

void resp_reader::feed(const char* data, std::size_t size) {
  if (redisReaderFeed(reader_.get(), data, size) != REDIS_OK) throw protocol_error("redis reader: out of memory");
}

std::optional<reply> resp_reader::next() {
  void* raw = nullptr;
  if (redisReaderGetReply(reader_.get(), &raw) != REDIS_OK) {
    throw protocol_error(std::string("redis protocol error: ") + reader_->errstr);
  }
  if (raw == nullptr) return std::nullopt;
  std::unique_ptr<redisReply, decltype(&freeReplyObject)> owned(static_cast<redisReply*>(raw), &freeReplyObject);
  return convert(*owned);
}

}  // namespace bakewind::redis
