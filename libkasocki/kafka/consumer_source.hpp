// A message_source backed by a private librdkafka consumer (assign only: no group membership, no
// commits). Message arrival wakes the event loop through a pipe that librdkafka writes to
// (rd_kafka_queue_io_event_enable) and asio watches; batches are drained without blocking. The
// consumer is created and destroyed on the worker pool. Does network I/O through librdkafka.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "libkasocki/kafka/error.hpp"
#include "libkasocki/kafka/message_source.hpp"
#include "libkasocki/kafka/offset_resolver.hpp"

namespace kasocki::kafka {

class client_context;

using source_handler = std::function<void(result<std::unique_ptr<message_source>>)>;

// Event loop: creates a consumer on the worker pool, assigned at the given concrete offsets, and
// calls `done` on the event loop (never inline). Dropping the source closes it.
void open_consumer_source(client_context& ctx, std::vector<resolved_assignment> assignments,
                          source_handler done);

// A long-lived consumer of the history fetchers (fetcher_pool.hpp): its assignment is replaced
// for every job, and a position retention deleted comes as an error (kafka_errc::
// offset_out_of_range) instead of a silent reset.
class fetch_consumer : public message_source {
 public:
  // Replaces the whole assignment (rd_kafka_assign, on the worker pool); `done` on the event
  // loop. No message of the old assignment is handed over after `done` (librdkafka drops the
  // fetches of a replaced assignment). No want_messages may be outstanding meanwhile.
  virtual void reassign(std::vector<resolved_assignment> assignments,
                        std::function<void(status)> done) = 0;
};

using fetch_consumer_handler = std::function<void(result<std::unique_ptr<fetch_consumer>>)>;

// Event loop: creates a fetch consumer with nothing assigned; `done` on the event loop.
void open_fetch_consumer(client_context& ctx, fetch_consumer_handler done);

}  // namespace kasocki::kafka
