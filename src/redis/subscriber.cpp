#include "redis/subscriber.hpp"

#include "redis/detail/supervisor.hpp"

#include <set>
#include <vector>

namespace bakewind::redis {

namespace detail {

/// The inside of redis::subscriber: the channels wanted, and what a
/// subscribed connection reads. The supervisor keeps the connection.
class subscriber_state final : public std::enable_shared_from_this<subscriber_state>, private connection_owner {
 public:
  subscriber_state(boost::asio::any_io_executor ex, options o, subscriber::handler h)
      : on_message_(std::move(h)), link_(ex, std::move(o), "redis subscriber", *this, counters_) {}

  void subscribe(std::string channel);
  bool subscribed() const noexcept { return link_.ready() && confirmed_.size() == channels_.size(); }
  void close() noexcept {
    link_.stop();
    on_message_ = nullptr;
  }
  const redis::stats& counters() const noexcept { return counters_; }

 private:
  boost::asio::awaitable<std::string> after_connect(transport& stream, resp_reader& parser) override;
  void connection_ready() override;
  bool next_write(std::string& out, clock::time_point now) override;
  bool take_replies(resp_reader& parser, clock::time_point now) override;
  std::optional<clock::time_point> awaiting_since() const override { return ping_sent_; }
  void ping(clock::time_point now) override;
  std::size_t connection_lost() override { return ping_sent_ ? 1 : 0; }
  void connect_failed(int) override {}
  void tick(clock::time_point) override {}

  /// Has SUBSCRIBE for `list` written on the live connection.
  void request(const std::vector<std::string_view>& list);

  subscriber::handler on_message_;
  redis::stats counters_;
  std::set<std::string> channels_;              ///< wanted
  std::set<std::string> requested_;             ///< asked for on the live connection
  std::set<std::string> confirmed_;             ///< subscribed on the live connection
  std::string pending_;                         ///< to be written on the live connection
  std::optional<clock::time_point> ping_sent_;  ///< when the unanswered PING was asked for
  supervisor link_;
};

namespace {

/// SUBSCRIBE `list`, encoded.
std::string subscribe_command(const std::vector<std::string_view>& list) {
  std::vector<std::string_view> parts{"SUBSCRIBE"};
  parts.insert(parts.end(), list.begin(), list.end());
  std::string encoded;
  append_command(encoded, parts);
  return encoded;
}

}  // namespace

void subscriber_state::subscribe(std::string channel) {
  if (link_.stopped() || !channels_.insert(channel).second) return;
  // Lazy connect: the first channel starts the connection, which asks for
  // every channel wanted by then.
  if (!link_.started()) {
    link_.start(shared_from_this());
    return;
  }
  if (link_.ready()) request({channel});
}

boost::asio::awaitable<std::string> subscriber_state::after_connect(transport& stream, resp_reader&) {
  requested_.clear();
  confirmed_.clear();
  pending_.clear();
  ping_sent_.reset();
  const std::vector<std::string_view> all(channels_.begin(), channels_.end());
  if (all.empty()) co_return std::string();
  requested_ = channels_;
  const std::string encoded = subscribe_command(all);
  const auto ec = co_await stream.write(encoded);
  if (ec) co_return ec.message();
  co_return std::string();
}

void subscriber_state::connection_ready() {
  // Channels added while the connection was being made.
  std::vector<std::string_view> missing;
  for (const auto& c : channels_) {
    if (!requested_.contains(c)) missing.push_back(c);
  }
  if (!missing.empty()) request(missing);
}

void subscriber_state::request(const std::vector<std::string_view>& list) {
  pending_ += subscribe_command(list);
  requested_.insert(list.begin(), list.end());
  link_.wake_writer();
}

bool subscriber_state::next_write(std::string& out, clock::time_point) {
  if (pending_.empty()) return false;
  out += pending_;
  pending_.clear();
  return true;
}

bool subscriber_state::take_replies(resp_reader& parser, clock::time_point) {
  while (auto r = parser.next()) {
    if (r->type != reply::kind::array || r->elements.empty()) continue;
    const auto& kind = r->elements[0].text;
    if (kind == "message" && r->elements.size() == 3) {
      counters_.commands.fetch_add(1, std::memory_order_relaxed);
      // The handler may close() us: no message is delivered after that.
      if (on_message_) on_message_(r->elements[1].text, r->elements[2].text);
    } else if (kind == "subscribe" && r->elements.size() >= 2) {
      confirmed_.insert(r->elements[1].text);
    } else if (kind == "pong") {
      ping_sent_.reset();
    }
  }
  return true;
}

void subscriber_state::ping(clock::time_point now) {
  append_command(pending_, {"PING"});
  ping_sent_ = now;
}

}  // namespace detail

subscriber::subscriber(boost::asio::any_io_executor ex, options o, handler on_message)
    : state_(std::make_shared<detail::subscriber_state>(ex, std::move(o), std::move(on_message))) {}

subscriber::~subscriber() { close(); }

void subscriber::subscribe(std::string channel) { state_->subscribe(std::move(channel)); }

bool subscriber::subscribed() const noexcept { return state_->subscribed(); }

void subscriber::close() noexcept { state_->close(); }

const redis::stats& subscriber::stats() const noexcept { return state_->counters(); }

}  // namespace bakewind::redis
