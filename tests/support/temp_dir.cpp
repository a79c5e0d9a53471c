#include "support/temp_dir.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <system_error>
#include <vector>

namespace bakewind::test {

temp_dir::temp_dir(std::string_view prefix, std::optional<std::string> owner) {
  std::string pattern = "/tmp/" + std::string(prefix) + "-XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (::mkdtemp(buffer.data()) == nullptr) throw std::system_error(errno, std::generic_category(), "mkdtemp");
  path_ = buffer.data();
  // mkdtemp makes 0700; other users (postgres) must be able to traverse it.
  ::chmod(path_.c_str(), 0755);
  if (owner && ::geteuid() == 0) {
    const passwd* user = ::getpwnam(owner->c_str());
    if (user == nullptr) throw std::runtime_error("no such user: " + *owner);
    if (::chown(path_.c_str(), user->pw_uid, user->pw_gid) != 0) {
      throw std::system_error(errno, std::generic_category(), "chown " + path_.string());
    }
  }
}

temp_dir::~temp_dir() {
  if (path_.empty()) return;
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

temp_dir::temp_dir(temp_dir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }

temp_dir& temp_dir::operator=(temp_dir&& other) noexcept {
  if (this != &other) {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
    path_ = std::move(other.path_);
    other.path_.clear();
  }
  return *this;
}

std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace bakewind::test
