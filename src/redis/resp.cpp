#include "redis/resp.hpp"

#include <hiredis/read.h>
#include <hiredis/hiredis.h>

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

void resp_reader::deleter::operator()(redisReader* r) const noexcept { redisReaderFree(r); }

resp_reader::resp_reader() : reader_(redisReaderCreate()) {
  if (!reader_) throw std::bad_alloc();
}

resp_reader::~resp_reader() = default;

void resp_reader::reset() {
  reader_.reset(redisReaderCreate());
  if (!reader_) throw std::bad_alloc();
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
