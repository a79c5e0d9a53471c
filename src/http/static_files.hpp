#pragma once
// Static files from one folder (DESIGN.md: http/ owns static files): the
// docs assets now, the web apps (web/site, web/admin) later. Safe by
// construction: a request names a file by its decoded path segments, and only
// a regular file that is really inside the root (symlinks resolved) and of a
// known type is ever served.

#include "http/request.hpp"
#include "http/response.hpp"

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

namespace bakewind::http {

/// The Content-Type served for a file name, by its extension (any case):
/// .html .css .js .mjs .json .map .svg .png .ico .txt .jpg .jpeg .gif .webp
/// .woff .woff2. Empty for any other name: such files are not served.
std::string_view static_content_type(std::string_view file_name) noexcept;

/// True when `segments` (decoded) name a path strictly below a folder: at
/// least one segment, none empty, none starting with '.' (so no "..", "."
/// or hidden files), none containing '/', '\\' or NUL.
bool is_safe_relative_path(std::span<const std::string> segments) noexcept;

/// Settings of one static_files folder.
struct static_options {
  /// Cache-Control of every file served (200 and 304).
  std::string cache_control = "public, max-age=3600";
  /// Larger files are not served (404): they are read into memory whole.
  std::size_t max_file_bytes = std::size_t{32} * 1024 * 1024;
};

/// Serves the files below `root`. A file is read from disk the first time it
/// is asked for, then kept in memory for the life of this object (a changed
/// file is seen after a restart; a missing one is looked for again on every
/// request, so assets installed while running appear). The root need not
/// exist yet. Not thread-safe: keep one per event loop.
class static_files {
 public:
  explicit static_files(std::filesystem::path root, static_options options = {});

  /// The answer to a GET (or HEAD: the server drops the body) for the file
  /// at `relative`, decoded segments below the root: 200 with the bytes,
  /// Content-Type, ETag, Cache-Control and X-Content-Type-Options: nosniff;
  /// 304 when If-None-Match names the current ETag; otherwise 404 in the
  /// NestJS shape, as for an unknown route ("Cannot GET /target"): unsafe
  /// segments, missing, not a regular file, outside the root once symlinks
  /// are resolved, an extension not served, over max_file_bytes or
  /// unreadable. Never throws for anything a client sends.
  response serve(const request& req, std::span<const std::string> relative);

  /// True when serve() would find the file at `relative` (reads it into the
  /// cache when it is not there yet).
  bool has(std::span<const std::string> relative);

  /// The folder served.
  const std::filesystem::path& root() const noexcept { return root_; }

 private:
  struct file {
    std::string body;
    std::string etag;
    std::string_view content_type;
  };

  // The cached file, reading it on first use; null when it cannot be served.
  const file* find(std::span<const std::string> relative);

  std::filesystem::path root_;
  static_options options_;
  std::unordered_map<std::string, file> cache_;
};

}  // namespace bakewind::http
