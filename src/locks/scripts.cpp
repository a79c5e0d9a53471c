#include "locks/scripts.hpp"

namespace bakewind::locks::scripts {
namespace {

// Shared head of acquire and renew: refresh when the holder matches.
constexpr const char* refresh_if_ours = R"(
local ok, obj = pcall(cjson.decode, cur)
if ok and type(obj) == 'table' and obj.userId == ARGV[2] and obj.sessionId == ARGV[3] then
  obj.expiresAt = ARGV[5]
  obj.lastActivityAt = ARGV[6]
  obj.expiresMs = tonumber(ARGV[7])
  local v = cjson.encode(obj)
  redis.call('SET', KEYS[1], v, 'PX', ARGV[4])
  redis.call('SADD', KEYS[2], KEYS[1])
  return {2, v}
end
if ok and type(obj) == 'table' and obj.pending then return {3, cur} end
return {0, cur}
)";

}  // namespace

const redis::script& acquire() {
  static const redis::script s(std::string(R"(local cur = redis.call('GET', KEYS[1])
if not cur then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[4])
  redis.call('SADD', KEYS[2], KEYS[1])
  return {1, ARGV[1]}
end)") + refresh_if_ours);
  return s;
}

const redis::script& confirm() {
  static const redis::script s(R"(local done = 0
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
  done = 1
end
redis.call('PUBLISH', ARGV[3], ARGV[4])
return done)");
  return s;
}

const redis::script& renew() {
  static const redis::script s(std::string(R"(local cur = redis.call('GET', KEYS[1])
if not cur then
  return {-1}
end)") + refresh_if_ours);
  return s;
}

const redis::script& release() {
  static const redis::script s(R"(local cur = redis.call('GET', KEYS[1])
local gone = 0
if cur then
  local ok, obj = pcall(cjson.decode, cur)
  if ARGV[1] == '' or (ok and type(obj) == 'table' and obj.userId == ARGV[1] and obj.sessionId == ARGV[2]) then
    redis.call('DEL', KEYS[1])
    redis.call('SREM', KEYS[2], KEYS[1])
    gone = 1
  end
end
if ARGV[4] then redis.call('PUBLISH', ARGV[3], ARGV[4]) end
return gone)");
  return s;
}

const redis::script& store() {
  static const redis::script s(R"(redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('SADD', KEYS[2], KEYS[1])
return 1)");
  return s;
}

const redis::script& drop_settled() {
  static const redis::script s(R"(local cur = redis.call('GET', KEYS[1])
if cur then
  local ok, obj = pcall(cjson.decode, cur)
  if ok and type(obj) == 'table' and tonumber(obj.expiresMs) and tonumber(obj.expiresMs) > tonumber(ARGV[1]) then
    return 0
  end
  redis.call('DEL', KEYS[1])
end
redis.call('SREM', KEYS[2], KEYS[1])
return 1)");
  return s;
}

const redis::script& list() {
  static const redis::script s(R"(if not redis.call('GET', KEYS[2]) then return false end
local out = {}
for _, key in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local v = redis.call('GET', key)
  if v then table.insert(out, v) else redis.call('SREM', KEYS[1], key) end
end
return out)");
  return s;
}

}  // namespace bakewind::locks::scripts
