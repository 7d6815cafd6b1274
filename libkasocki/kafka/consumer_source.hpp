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

}  // namespace kasocki::kafka
