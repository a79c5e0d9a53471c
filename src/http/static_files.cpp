#include "http/static_files.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <fstream>
#include <optional>
#include <system_error>
#include <utility>

namespace bakewind::http {
namespace {

namespace fs = std::filesystem;

constexpr std::array<std::pair<std::string_view, std::string_view>, 16> content_types = {{
    {".html", "text/html; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".json", "application/json; charset=utf-8"},
    {".map", "application/json; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
    {".jpg", "image/jpeg"},
    {".jpeg", "image/jpeg"},
    {".gif", "image/gif"},
    {".webp", "image/webp"},
    {".woff", "font/woff"},
    {".woff2", "font/woff2"},
}};

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x >= 'A' && x <= 'Z' ? static_cast<char>(x + 32) : x) == y;
         });
}

// A strong validator of the bytes (FNV-1a, 64 bits): equal files, equal tags,
// on every instance behind a load balancer.
std::string etag_of(std::string_view bytes) {
  std::uint64_t h = 14695981039346656037ULL;
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  static constexpr char digits[] = "0123456789abcdef";
  std::string tag = "\"";
  for (int shift = 60; shift >= 0; shift -= 4) tag += digits[(h >> shift) & 0xF];
  tag += '"';
  return tag;
}

// True when an If-None-Match list ("a", W/"b", *) names `etag`.
bool none_match_hits(std::string_view list, std::string_view etag) {
  while (!list.empty()) {
    const auto comma = list.find(',');
    auto item = list.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item.size() > 2 && item.substr(0, 2) == "W/") item.remove_prefix(2);  // weak comparison (RFC 9110)
    if (item == "*" || item == etag) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

// The real path of root/relative when it exists and lies strictly inside
// the real root; nullopt otherwise. Resolving both sides catches symlinks
// that point out of the folder, whatever the segments said.
std::optional<fs::path> resolve_inside(const fs::path& root, std::span<const std::string> relative) {
  std::error_code ec;
  const fs::path base = fs::canonical(root, ec);
  if (ec) return std::nullopt;
  fs::path candidate = base;
  for (const auto& segment : relative) candidate /= segment;
  fs::path real = fs::canonical(candidate, ec);
  if (ec) return std::nullopt;
  const auto [b, r] = std::mismatch(base.begin(), base.end(), real.begin(), real.end());
  if (b != base.end() || r == real.end()) return std::nullopt;
  return real;
}

// The whole file, or nullopt when it is not a regular file of at most `limit` bytes.
std::optional<std::string> read_whole(const fs::path& path, std::size_t limit) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return std::nullopt;
  const auto size = fs::file_size(path, ec);
  if (ec || size > limit) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string bytes(static_cast<std::size_t>(size), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (static_cast<std::size_t>(in.gcount()) != bytes.size()) return std::nullopt;
  return bytes;
}

}  // namespace

std::string_view static_content_type(std::string_view file_name) noexcept {
  const auto dot = file_name.rfind('.');
  if (dot == std::string_view::npos) return {};
  const auto extension = file_name.substr(dot);
  for (const auto& [known, type] : content_types) {
    if (iequals(extension, known)) return type;
  }
  return {};
}

bool is_safe_relative_path(std::span<const std::string> segments) noexcept {
  if (segments.empty()) return false;
  return std::all_of(segments.begin(), segments.end(), [](const std::string& s) {
    return !s.empty() && s.front() != '.' && s.find_first_of(std::string_view("/\\\0", 3)) == std::string::npos;
  });
}

static_files::static_files(std::filesystem::path root, static_options options)
    : root_(std::move(root)), options_(std::move(options)) {}

const static_files::file* static_files::find(std::span<const std::string> relative) {
  if (!is_safe_relative_path(relative)) return nullptr;
  std::string key;
  for (const auto& segment : relative) {
    key += '/';
    key += segment;
  }
  if (const auto it = cache_.find(key); it != cache_.end()) return &it->second;
  const auto type = static_content_type(relative.back());
  if (type.empty()) return nullptr;
  const auto real = resolve_inside(root_, relative);
  if (!real) return nullptr;
  auto bytes = read_whole(*real, options_.max_file_bytes);
  if (!bytes) return nullptr;
  file f{std::move(*bytes), {}, type};
  f.etag = etag_of(f.body);
  return &cache_.emplace(std::move(key), std::move(f)).first->second;
}

bool static_files::has(std::span<const std::string> relative) {
  return find(relative) != nullptr;
}

response static_files::serve(const request& req, std::span<const std::string> relative) {
  const file* f = find(relative);
  if (f == nullptr) return error_response(404, "Cannot " + req.verb_text + " " + req.target);
  response res;
  const auto if_none_match = req.header("If-None-Match");
  if (if_none_match && none_match_hits(*if_none_match, f->etag)) {
    res = empty_response(304);
  } else {
    res.status = 200;
    res.body = f->body;
    res.content_type = f->content_type;
    res.headers.emplace_back("X-Content-Type-Options", "nosniff");
  }
  res.headers.emplace_back("ETag", f->etag);
  res.headers.emplace_back("Cache-Control", options_.cache_control);
  return res;
}

}  // namespace bakewind::http
