#pragma once
// Temporary folders for tests.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace bakewind::test {

/// A fresh folder under /tmp (mode 0755), removed with everything in it on
/// destruction. Move-only. Throws std::system_error when it cannot be made.
class temp_dir {
 public:
  /// Creates /tmp/<prefix>-XXXXXX. When `owner` names a user and the process
  /// runs as root, the folder is chowned to that user (e.g. "postgres").
  explicit temp_dir(std::string_view prefix = "bakewind-test", std::optional<std::string> owner = std::nullopt);
  ~temp_dir();
  temp_dir(temp_dir&& other) noexcept;
  temp_dir& operator=(temp_dir&& other) noexcept;
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  /// The folder's absolute path; empty after a move.
  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

/// Reads a whole file; empty when it does not exist.
std::string read_file(const std::filesystem::path& file);

}  // namespace bakewind::test
