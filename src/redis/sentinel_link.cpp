#include "core/log.hpp"
#include "redis/detail/sentinel_link.hpp"

#include <set>

namespace bakewind::redis::detail {

namespace asio = boost::asio;

namespace {
using clock = std::chrono::steady_clock;
}  // namespace

sentinel_link::sentinel_link(asio::any_io_executor ex, options& data, std::shared_ptr<asio::ssl::context> tls,
                             master_announced on_master)
    : executor_(ex), data_(data), tls_(std::move(tls)), on_master_(std::move(on_master)) {}

sentinel_link::~sentinel_link() { stop(); }

void sentinel_link::watch() {
  if (watch_ || closing_) return;
  // Started by the first successful lookup, at the Sentinel that answered.
  // Announcements are counted here before the owner hears them, so that a
  // connect can tell whether the master moved while it was under way.
  auto note = [this](const server_address& master) {
    ++announcements_;
    announced_ = master;
    if (on_master_) on_master_(master);
  };
  watch_ = std::make_shared<sentinel_watch>(executor_, data_, tls_, std::move(note));
  watch_->start(preferred_);
}

void sentinel_link::stop() noexcept {
  closing_ = true;
  on_master_ = nullptr;
  if (watch_) watch_->stop();
  if (asking_ != nullptr) asking_->close();
}

asio::awaitable<std::string> sentinel_link::connect(transport& t, resp_reader& reader) {
  const auto seen = announcements_;
  std::string failure = co_await locate();
  if (failure.empty()) failure = co_await open_connection(t, reader, data_);
  if (failure.empty()) failure = co_await confirm_master(t, reader);
  // The lookup may have raced a failover: a Sentinel that had not heard of
  // it yet named the old master. Connect again rather than keep that one.
  if (failure.empty() && announcements_ != seen && announced_ != current()) {
    failure = "the Sentinels announced a new master while connecting";
  }
  if (!failure.empty()) t.close();
  co_return failure;
}

asio::awaitable<std::string> sentinel_link::locate() {
  const std::size_t count = data_.sentinels.size();
  // Sorted and without duplicates: the same trouble reads the same on every
  // attempt, so the owner logs it once.
  std::set<std::string> reasons;
  for (std::size_t k = 0; k < count && !closing_; ++k) {
    const std::size_t index = (preferred_ + k) % count;
    auto found = co_await ask(index);
    if (closing_) break;
    if (!found.address) {
      core::log_debug("redis sentinel lookup failed",
                      {{"sentinel", data_.sentinels[index].text()}, {"error", found.failure}});
      reasons.insert(std::move(found.failure));
      continue;
    }
    preferred_ = index;
    if (located_ != found.address) {
      core::log_info("redis master located by Sentinel", {{"master", data_.sentinel_master},
                                                          {"address", found.address->text()},
                                                          {"sentinel", data_.sentinels[index].text()}});
      located_ = found.address;
    }
    data_.host = found.address->host;
    data_.port = found.address->port;
    watch();
    co_return std::string();
  }
  if (closing_) co_return std::string("closed");
  std::string why = "no Sentinel named master '" + data_.sentinel_master + "': ";
  for (auto it = reasons.begin(); it != reasons.end(); ++it) {
    if (it != reasons.begin()) why += "; ";
    why += *it;
  }
  co_return why;
}

asio::awaitable<master_lookup> sentinel_link::ask(std::size_t index) {
  const options sentinel = sentinel_options(data_, data_.sentinels[index]);
  transport t(executor_, sentinel, tls_.get());
  resp_reader reader;
  // stop() closes this connection to end the lookup early; the guard forgets
  // it however the frame ends (also when a stopped loop destroys it).
  struct forget {
    transport*& slot;
    ~forget() { slot = nullptr; }
  } guard{asking_};
  asking_ = &t;
  // One deadline for connect and answer: a stopped Sentinel costs at most this.
  const auto deadline = clock::now() + sentinel.connect_timeout;
  master_lookup out;
  auto ec = co_await t.connect(deadline);
  if (!ec) {
    auto [commands, count] = lookup_commands(sentinel);
    std::vector<reply> replies;
    ec = co_await exchange(t, reader, commands, count, replies, deadline);
    if (!ec) out = read_lookup(replies, sentinel);
  }
  if (ec) out.failure = sentinel_trouble(ec, sentinel.connect_timeout);
  t.close();
  co_return out;
}

asio::awaitable<std::string> sentinel_link::confirm_master(transport& t, resp_reader& reader) {
  // A Sentinel's view can lag a failover, so the node it names may be a
  // replica already: writes go only to a node that says it is the master.
  std::string role;
  append_command(role, {"ROLE"});
  std::vector<reply> replies;
  const auto deadline = clock::now() + data_.connect_timeout;
  const auto ec = co_await exchange(t, reader, role, 1, replies, deadline);
  if (ec) co_return "ROLE: " + ec.message();
  co_return role_failure(replies.front());
}

}  // namespace bakewind::redis::detail
