// The command rules of redis::client without a server or a clock: commands
// queued, written in batches, matched to reply bytes (whole, split, bad),
// expired, retried, re-sent and cancelled at made-up times.

#include "redis/detail/command_queue.hpp"

#include "redis/errors.hpp"

#include <gtest/gtest.h>

#include <boost/asio/error.hpp>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace bakewind::redis::detail {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;

/// What a command's caller got.
struct outcome {
  boost::system::error_code ec;
  reply value;
};

class command_queue_test : public ::testing::Test {
 protected:
  /// Queues GET `key` with a deadline `timeout` after t0; its outcome goes to done_[key].
  std::uint64_t get(const std::string& key, retry policy = retry::never, std::chrono::milliseconds timeout = 1000ms) {
    request r;
    append_command(r.payload, {"GET", key});
    r.command = static_cast<std::uint8_t>(command_slot(r.payload));
    r.policy = policy;
    r.deadline = t0 + timeout;
    r.handler = handler_slot::handler_type([this, key](boost::system::error_code ec, reply v) {
      order_.push_back(key);
      done_[key] = outcome{ec, std::move(v)};
    });
    return queue_.enqueue(std::move(r), t0);
  }

  /// The payloads of the next batch, written at `now`.
  std::string write(clock::time_point now) {
    std::string batch;
    EXPECT_TRUE(queue_.next_batch(batch, now));
    return batch;
  }

  /// Feeds `bytes` as one read at `now`; what take_replies says.
  bool read(const std::string& bytes, clock::time_point now) {
    parser_.feed(bytes.data(), bytes.size());
    return queue_.take_replies(parser_, now);
  }

  static std::string encoded(std::initializer_list<std::string_view> args) {
    std::string out;
    append_command(out, args);
    return out;
  }

  bool answered(const std::string& key) const { return done_.contains(key); }
  const outcome& of(const std::string& key) { return done_.at(key); }

  const clock::time_point t0 = clock::time_point() + 1h;
  options opts_;
  redis::stats counters_;
  std::map<std::string, outcome> done_;
  std::vector<std::string> order_;  ///< keys in the order their callers heard
  command_queue queue_{opts_, counters_, [](handler_slot::handler_type h, boost::system::error_code ec, reply v) {
                         std::move(h)(ec, std::move(v));
                       }};
  resp_reader parser_;
};

TEST_F(command_queue_test, commands_queued_together_go_out_in_one_write_and_replies_match_in_order) {
  get("a");
  get("b");
  get("c");
  EXPECT_EQ(write(t0), encoded({"GET", "a"}) + encoded({"GET", "b"}) + encoded({"GET", "c"}));
  EXPECT_EQ(queue_.queued(), 0u);
  EXPECT_EQ(queue_.in_flight(), 3u);
  EXPECT_TRUE(read("$1\r\nA\r\n$-1\r\n-ERR no\r\n", t0 + 2ms));
  EXPECT_EQ(of("a").value.text, "A");
  EXPECT_TRUE(of("b").value.is_nil());
  EXPECT_EQ(of("c").value.error_code(), "ERR");  // an error reply is a reply
  EXPECT_FALSE(of("c").ec);
  EXPECT_EQ(order_, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(counters_.commands.load(), 3u);
  EXPECT_EQ(counters_.latency[command_slot(encoded({"GET", "a"}))].snapshot().count, 3u);
}

TEST_F(command_queue_test, nothing_queued_means_nothing_to_write) {
  std::string batch;
  EXPECT_FALSE(queue_.next_batch(batch, t0));
  EXPECT_TRUE(batch.empty());
}

TEST_F(command_queue_test, a_batch_ends_once_it_holds_max_batch_bytes_but_takes_at_least_one_command) {
  opts_.max_batch_bytes = 1;
  command_queue small(opts_, counters_, [](handler_slot::handler_type h, boost::system::error_code ec, reply v) {
    std::move(h)(ec, std::move(v));
  });
  for (const char* key : {"a", "b"}) {
    request r;
    append_command(r.payload, {"GET", key});
    r.deadline = t0 + 1s;
    r.handler = handler_slot::handler_type([](boost::system::error_code, reply) {});
    small.enqueue(std::move(r), t0);
  }
  std::string batch;
  ASSERT_TRUE(small.next_batch(batch, t0));
  EXPECT_EQ(batch, encoded({"GET", "a"}));
  batch.clear();
  ASSERT_TRUE(small.next_batch(batch, t0));
  EXPECT_EQ(batch, encoded({"GET", "b"}));
  EXPECT_EQ(small.in_flight(), 2u);
}

TEST_F(command_queue_test, a_reply_split_at_every_byte_completes_its_command_only_with_its_last_byte) {
  get("a");
  get("b");
  write(t0);
  const std::string bytes = "*2\r\n$1\r\nx\r\n:42\r\n+OK\r\n";
  const std::size_t first_end = bytes.find("+OK");
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    EXPECT_TRUE(read(bytes.substr(i, 1), t0 + 1ms));
    EXPECT_EQ(answered("a"), i + 1 >= first_end) << "after byte " << i;
    EXPECT_EQ(answered("b"), i + 1 == bytes.size()) << "after byte " << i;
  }
  ASSERT_EQ(of("a").value.elements.size(), 2u);
  EXPECT_EQ(of("a").value.elements[1].integer, 42);
  EXPECT_EQ(of("b").value.text, "OK");
}

TEST_F(command_queue_test, a_readonly_reply_goes_to_its_caller_and_asks_for_another_connection) {
  get("a");
  get("b");
  write(t0);
  EXPECT_FALSE(read("-READONLY You can't write against a read only replica.\r\n$1\r\nB\r\n", t0 + 1ms));
  EXPECT_EQ(of("a").value.error_code(), "READONLY");
  EXPECT_EQ(of("b").value.text, "B");  // replies read with it still reach their callers
}

TEST_F(command_queue_test, a_reply_with_nothing_in_flight_is_a_protocol_error) {
  EXPECT_THROW(read("+OK\r\n", t0), protocol_error);
  get("a");
  write(t0);
  EXPECT_THROW(read("$1\r\nA\r\n+OK\r\n", t0), protocol_error);
  EXPECT_EQ(of("a").value.text, "A");
}

TEST_F(command_queue_test, bytes_that_are_not_resp_are_a_protocol_error) {
  get("a");
  write(t0);
  EXPECT_THROW(read("?what\r\n", t0), protocol_error);
  EXPECT_FALSE(answered("a"));
}

TEST_F(command_queue_test, commands_fail_with_timeout_at_their_deadline_and_a_late_reply_is_dropped) {
  get("a", retry::never, 1000ms);
  write(t0);
  get("b", retry::never, 1500ms);  // queued, not written
  queue_.expire(t0 + 999ms);
  EXPECT_TRUE(done_.empty());
  queue_.expire(t0 + 1000ms);
  EXPECT_EQ(of("a").ec, make_error_code(error::timeout));
  EXPECT_FALSE(answered("b"));
  queue_.expire(t0 + 1500ms);
  EXPECT_EQ(of("b").ec, make_error_code(error::timeout));
  EXPECT_EQ(queue_.queued(), 0u);
  EXPECT_EQ(queue_.in_flight(), 1u);  // kept, so that the replies stay in order
  get("c", retry::never, 5000ms);
  write(t0 + 1600ms);
  EXPECT_TRUE(read("$4\r\nlate\r\n$1\r\nC\r\n", t0 + 1700ms));
  EXPECT_EQ(of("a").ec, make_error_code(error::timeout));
  EXPECT_EQ(of("c").value.text, "C");
  EXPECT_EQ(counters_.errors.load(), 2u);
  EXPECT_EQ(counters_.commands.load(), 1u);
}

TEST_F(command_queue_test, a_queued_command_survives_max_retries_failed_connects_then_fails) {
  ASSERT_EQ(opts_.max_retries_per_request, 3);
  get("a");
  queue_.connect_failed(1);
  queue_.connect_failed(2);
  get("b");
  queue_.connect_failed(3);
  EXPECT_TRUE(done_.empty());
  queue_.connect_failed(4);
  EXPECT_EQ(of("a").ec, make_error_code(error::retries_exhausted));
  EXPECT_FALSE(answered("b"));  // it has waited through two only
  queue_.connect_failed(5);
  EXPECT_FALSE(answered("b"));
  queue_.connect_failed(6);
  EXPECT_EQ(of("b").ec, make_error_code(error::retries_exhausted));
}

TEST_F(command_queue_test, while_known_to_be_down_new_commands_fail_at_once_until_a_connect_succeeds) {
  queue_.connect_failed(3);
  EXPECT_NE(get("a"), 0u);  // the budget is not spent yet
  queue_.connect_failed(4);
  EXPECT_EQ(get("b"), 0u);
  EXPECT_EQ(of("b").ec, make_error_code(error::retries_exhausted));
  queue_.connected();
  EXPECT_NE(get("c"), 0u);
  EXPECT_FALSE(answered("c"));
}

TEST_F(command_queue_test, a_lost_connection_resends_idempotent_commands_first_in_order_and_fails_the_rest) {
  get("w1");
  get("r1", retry::idempotent);
  get("w2");
  get("r2", retry::idempotent);
  write(t0);
  get("new");
  queue_.connection_lost();
  EXPECT_EQ(of("w1").ec, make_error_code(error::connection_lost));
  EXPECT_EQ(of("w2").ec, make_error_code(error::connection_lost));
  EXPECT_FALSE(answered("r1"));
  EXPECT_EQ(queue_.in_flight(), 0u);
  EXPECT_EQ(write(t0 + 10ms), encoded({"GET", "r1"}) + encoded({"GET", "r2"}) + encoded({"GET", "new"}));
  EXPECT_TRUE(read("$2\r\nR1\r\n$2\r\nR2\r\n$1\r\nN\r\n", t0 + 20ms));
  EXPECT_EQ(of("r1").value.text, "R1");
  EXPECT_EQ(of("r2").value.text, "R2");
  EXPECT_EQ(of("new").value.text, "N");
}

TEST_F(command_queue_test, an_expired_idempotent_command_is_not_resent_after_a_lost_connection) {
  get("r", retry::idempotent, 100ms);
  write(t0);
  queue_.expire(t0 + 100ms);
  queue_.connection_lost();
  std::string batch;
  EXPECT_FALSE(queue_.next_batch(batch, t0 + 200ms));
  EXPECT_EQ(of("r").ec, make_error_code(error::timeout));
}

TEST_F(command_queue_test, close_fails_every_command_with_closed_and_refuses_new_ones) {
  get("written");
  write(t0);
  get("queued");
  queue_.close();
  EXPECT_EQ(of("written").ec, make_error_code(error::closed));
  EXPECT_EQ(of("queued").ec, make_error_code(error::closed));
  EXPECT_EQ(get("later"), 0u);
  EXPECT_EQ(of("later").ec, make_error_code(error::closed));
  EXPECT_TRUE(queue_.closed());
}

TEST_F(command_queue_test, cancelling_a_queued_command_withdraws_it) {
  get("a");
  const auto b = get("b");
  get("c");
  queue_.cancel(b, asio::cancellation_type::total);
  EXPECT_EQ(of("b").ec, asio::error::operation_aborted);
  EXPECT_EQ(write(t0), encoded({"GET", "a"}) + encoded({"GET", "c"}));
}

TEST_F(command_queue_test, cancelling_a_written_command_answers_its_caller_now_and_drops_its_reply) {
  get("a");
  const auto b = get("b");
  get("c");
  write(t0);
  queue_.cancel(b, asio::cancellation_type::terminal);
  EXPECT_EQ(of("b").ec, asio::error::operation_aborted);
  EXPECT_EQ(queue_.in_flight(), 3u);
  EXPECT_TRUE(read("$1\r\nA\r\n$1\r\nB\r\n$1\r\nC\r\n", t0 + 1ms));
  EXPECT_EQ(of("a").value.text, "A");
  EXPECT_EQ(of("b").ec, asio::error::operation_aborted);
  EXPECT_EQ(of("c").value.text, "C");
  EXPECT_EQ(order_, (std::vector<std::string>{"b", "a", "c"}));
}

TEST_F(command_queue_test, total_cancellation_leaves_a_written_command_alone) {
  const auto a = get("a");
  write(t0);
  queue_.cancel(a, asio::cancellation_type::total);
  EXPECT_FALSE(answered("a"));
  EXPECT_TRUE(read("$1\r\nA\r\n", t0 + 1ms));
  EXPECT_EQ(of("a").value.text, "A");
}

TEST_F(command_queue_test, cancelling_a_resent_command_finds_it_back_in_the_queue) {
  const auto r = get("r", retry::idempotent);
  write(t0);
  get("new");
  queue_.connection_lost();
  queue_.cancel(r, asio::cancellation_type::partial);
  EXPECT_EQ(of("r").ec, asio::error::operation_aborted);
  EXPECT_EQ(write(t0 + 1ms), encoded({"GET", "new"}));
}

TEST_F(command_queue_test, cancelling_an_answered_command_does_nothing) {
  const auto a = get("a");
  write(t0);
  read("$1\r\nA\r\n", t0);
  queue_.cancel(a, asio::cancellation_type::terminal);
  EXPECT_EQ(of("a").value.text, "A");
  EXPECT_FALSE(of("a").ec);
}

TEST_F(command_queue_test, held_as_not_answering_every_waiting_command_fails_and_new_ones_fail_at_once) {
  get("written");
  write(t0);
  get("queued");
  EXPECT_TRUE(queue_.stop_waiting());
  EXPECT_FALSE(queue_.stop_waiting()) << "one episode, declared once";
  EXPECT_EQ(of("written").ec, make_error_code(error::not_answering));
  EXPECT_EQ(of("queued").ec, make_error_code(error::not_answering));
  EXPECT_EQ(queue_.queued(), 0u);
  EXPECT_EQ(queue_.in_flight(), 1u);  // its reply is still owed, and keeps the order
  EXPECT_EQ(get("new"), 0u);
  EXPECT_EQ(of("new").ec, make_error_code(error::not_answering));
  EXPECT_TRUE(counters_.not_answering.load());
  EXPECT_EQ(counters_.not_answering_episodes.load(), 1u);
  EXPECT_EQ(counters_.refused.load(), 1u);
  // The reply it owed comes: it answers again, and is asked again.
  EXPECT_TRUE(read("$1\r\nW\r\n", t0 + 3s));
  EXPECT_FALSE(queue_.not_answering());
  EXPECT_FALSE(counters_.not_answering.load());
  EXPECT_NE(get("later"), 0u);
  EXPECT_FALSE(answered("later"));
}

TEST_F(command_queue_test, a_connection_made_again_ends_not_answering) {
  get("a");
  write(t0);
  ASSERT_TRUE(queue_.stop_waiting());
  queue_.connection_lost();
  queue_.connected();
  EXPECT_FALSE(queue_.not_answering());
  EXPECT_NE(get("b"), 0u);
  EXPECT_EQ(queue_.stop_waiting(), true) << "a new episode";
  EXPECT_EQ(counters_.not_answering_episodes.load(), 2u);
}

TEST_F(command_queue_test, a_write_to_deliver_is_written_after_its_caller_stopped_waiting) {
  // No time left when it is issued: its caller hears at once, and it is written.
  EXPECT_NE(get("late", retry::deliver, 0ms), 0u);
  EXPECT_EQ(of("late").ec, make_error_code(error::timeout));
  // Its deadline passes while it waits for a connection: the same.
  get("queued", retry::deliver, 100ms);
  queue_.expire(t0 + 100ms);
  EXPECT_EQ(of("queued").ec, make_error_code(error::timeout));
  EXPECT_EQ(write(t0 + 200ms), encoded({"GET", "late"}) + encoded({"GET", "queued"}));
}

TEST_F(command_queue_test, a_write_to_deliver_is_sent_to_a_server_held_as_not_answering_and_again_after_a_lost_connection) {
  get("before", retry::deliver);
  write(t0);
  ASSERT_TRUE(queue_.stop_waiting());
  EXPECT_EQ(of("before").ec, make_error_code(error::not_answering));
  EXPECT_NE(get("during", retry::deliver), 0u) << "not refused: a stalled server runs it before what comes later";
  EXPECT_FALSE(answered("during"));
  EXPECT_EQ(write(t0 + 10ms), encoded({"GET", "during"}));
  ASSERT_TRUE(queue_.stop_waiting() || queue_.not_answering());
  queue_.connection_lost();
  // Both may never have reached the server: both go out on the next connection, in order.
  EXPECT_EQ(write(t0 + 20ms), encoded({"GET", "before"}) + encoded({"GET", "during"}));
}

TEST_F(command_queue_test, cancelling_a_queued_write_to_deliver_answers_its_caller_and_keeps_it) {
  const auto id = get("w", retry::deliver);
  queue_.cancel(id, asio::cancellation_type::total);
  EXPECT_EQ(of("w").ec, asio::error::operation_aborted);
  EXPECT_EQ(write(t0), encoded({"GET", "w"}));
}

TEST_F(command_queue_test, a_write_to_deliver_goes_with_the_retry_budget) {
  get("w", retry::deliver, 0ms);
  for (int attempt = 1; attempt <= 4; ++attempt) queue_.connect_failed(attempt);
  EXPECT_EQ(queue_.queued(), 0u);
}

TEST_F(command_queue_test, the_oldest_write_is_what_a_reply_is_awaited_since) {
  EXPECT_FALSE(queue_.awaiting_since());
  get("a");
  write(t0 + 5ms);
  get("b");
  write(t0 + 9ms);
  EXPECT_EQ(queue_.awaiting_since(), t0 + 5ms);
  read("$1\r\nA\r\n", t0 + 10ms);
  EXPECT_EQ(queue_.awaiting_since(), t0 + 9ms);
}

}  // namespace
}  // namespace bakewind::redis::detail
