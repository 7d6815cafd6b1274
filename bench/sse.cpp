// See driver.hpp. `--transport sse`: each connection is one GET of the topic's event stream.
// There is no subscribe ack: a stream from the end starts at the ends probed before (nothing is
// produced until every stream is open), one from the beginning asks for offset 0 of every
// partition with Last-Event-ID. The run begins once every stream has sent its `:ok`. Order, gaps
// and duplicates are checked from the event ids alone (the position after the last message of
// every partition): the entry that moved is the message's partition, and it must move by one;
// the data's `_kafka` member gives the latency and must agree with the id.
#include <iostream>

#include "bench/driver.hpp"

namespace kasocki::bench {
namespace {

constexpr int max_printed_errors = 5;

}  // namespace

client::sse_request driver::sse_request_of() const {
  client::sse_request request;
  request.url = config_.url;
  request.path = config_.sse_path;
  request.topics = {config_.topic};
  request.filters = config_.filters;
  if (config_.from == start_from::timestamp) request.since = config_.from_timestamp;
  if (config_.from == start_from::beginning) {
    json id = json::array();
    for (std::size_t p = 0; p < ends_.size(); ++p)
      id.push_back(json{{"topic", config_.topic}, {"partition", p}, {"offset", 0}});
    request.last_event_id = id.dump();
  }
  return request;
}

asio::awaitable<void> driver::sse_lifecycle(connection& c) {
  co_await setups_.acquire();
  if (stopping_) {
    setups_.release();
    co_return;
  }
  auto error = co_await c.sse->run_body(
      sse_request_of(), [this, &c](std::string_view bytes) { return on_sse_bytes(c, bytes); });
  if (!c.opened) setups_.release();  // the slot is handed on at `:ok` otherwise
  if (stopping_ || c.done) co_return;
  if (!error.is_null()) co_return fail("sse: " + error.dump());
  fail("stream ended by the server", "closed");
}

// The hot path: every piece of body read. Events come out as views into `bytes`.
bool driver::on_sse_bytes(connection& c, std::string_view bytes) {
  // The events of one read arrived together: one clock reading for all of them.
  const auto now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  bool ok = c.scanner.feed(
      bytes,
      [this, &c, now_us](std::string_view type, std::string_view id, std::string_view data) {
        on_sse_event(c, type, id, data, now_us);
      },
      [this, &c](std::string_view comment) {
        if (!c.opened && comment == "ok") on_sse_open(c);
      });
  if (!ok) fail("sse: an event longer than the scanner's limit");
  return ok;
}

// `:ok`: the start positions are fixed; what is produced from now on is in the stream.
void driver::on_sse_open(connection& c) {
  c.opened = true;
  setups_.release();
  c.first_offsets.assign(ends_.size(), -1);
  if (config_.from == start_from::end) c.first_offsets = ends_;
  if (config_.from == start_from::beginning) c.first_offsets.assign(ends_.size(), 0);
  c.id_next = c.first_offsets;
  json assignment = json::array();
  for (std::size_t p = 0; p < c.first_offsets.size(); ++p)
    assignment.push_back(json{{"partition", p}, {"offset", c.first_offsets[p]}});
  seed(c, assignment);
  if (stopping_) return;
  ready();
}

void driver::on_sse_event(connection& c, std::string_view type, std::string_view id,
                          std::string_view data, std::int64_t now_us) {
  if (stopping_ || c.done) return;
  if (type == "error") {
    if (++result_.errors <= max_printed_errors)
      std::cerr << "kasocki bench: event: error " << data << "\n";
    return;
  }
  // Streams that opened before the last one already receive: counted (from the beginning, one
  // stream may be well into its replay when the run's clock starts).
  ++result_.messages;
  ++c.messages;
  result_.bytes += data.size();
  auto tail = parse_kafka_tail(data);
  check_ids(c, id, tail);
  if (tail && tail->timestamp) result_.latency->record(now_us - *tail->timestamp * 1000);
  if (!tail) ++result_.unparsed;
  if (config_.messages > 0 && result_.messages >= static_cast<std::uint64_t>(config_.messages))
    finish("messages");
}

// Compares the id with the one before: each entry that moved was sent from (its next offset - 1),
// recorded as a received offset (a jump of more than one is a gap, a move back a duplicate); an
// id where nothing moved repeats a message (a duplicate).
void driver::check_ids(connection& c, std::string_view id, const std::optional<kafka_tail>& tail) {
  std::size_t moved = 0;
  bool matches = false;
  bool parsed = c.id_reader.read(id, [&](std::int32_t partition, std::int64_t next) {
    auto p = static_cast<std::size_t>(partition);
    if (p >= c.id_next.size()) c.id_next.resize(p + 1, -1);  // only for an unprobed partition
    if (tail && tail->partition == partition && tail->offset + 1 == next) matches = true;
    if (c.id_next[p] == next) return;
    bool known = c.id_next[p] >= 0;
    c.id_next[p] = next;
    // A partition seen for the first time (a start by time) moved only if this is its message.
    if (!known && !(tail && tail->partition == partition)) return;
    ++moved;
    c.tracker.record(partition, next - 1);
    if (config_.until_end || ends_final_) note_end(c, kafka_tail{partition, next - 1, {}});
  });
  if (!parsed || !matches) ++result_.id_mismatches;
  if (parsed && moved == 0) {
    if (tail) {
      c.tracker.record(tail->partition, tail->offset);  // below the expectation: a duplicate
    } else {
      ++result_.duplicates;
    }
  }
}

}  // namespace kasocki::bench
