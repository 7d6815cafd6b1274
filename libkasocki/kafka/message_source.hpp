// What the gateway reads Kafka messages through: a message_source delivers batches of messages
// over an assignment when its owner asks for them. The first implementation is a private consumer
// per client (consumer_source.hpp); a shared tail per partition can replace it behind this same
// interface. Everything here is used on the event-loop thread only. No I/O in this header.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "libkasocki/kafka/error.hpp"

namespace kasocki::kafka {

// Where the gateway keeps what it prepared from a message once for all its readers (validation,
// the augmented text, filter results): only messages of the shared tail's window have one.
// Opaque to this layer.
struct annotation_slot {
  std::shared_ptr<void> value;
};

// A message as Kafka stored it. The views point into the batch's storage.
struct message_view {
  std::string_view topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::optional<std::int64_t> timestamp;  // ms since the epoch, when Kafka has one
  std::optional<std::string_view> key;    // absent when the message has no key
  std::string_view value;                 // empty for a null value
  annotation_slot* annotation = nullptr;  // lives as long as the batch's storage
};

// A Kafka error met while reading: unknown topic or partition, broker down, ... (never the end of
// a partition). `topic` is empty and `partition` -1 when it is not about one partition.
struct message_error {
  std::string topic;
  std::int32_t partition = -1;
  std::int64_t offset = -1;
  kafka_error error;
  // kafka_errc::offset_out_of_range: where the reader continues (per auto.offset.reset).
  std::optional<std::int64_t> reset_to;
};

// Messages and errors handed over together. The views stay valid as long as the batch, or a copy
// of storage(), is alive; copying a batch is cheap (shared storage).
class message_batch {
 public:
  message_batch() = default;
  message_batch(std::vector<message_view> messages, std::vector<message_error> errors,
                std::shared_ptr<const void> storage)
      : messages_(std::move(messages)), errors_(std::move(errors)), storage_(std::move(storage)) {}

  std::span<const message_view> messages() const { return messages_; }
  std::span<const message_error> errors() const { return errors_; }
  bool empty() const { return messages_.empty() && errors_.empty(); }
  // Keeps every view's bytes alive; hold a copy to keep single messages past the batch.
  const std::shared_ptr<const void>& storage() const { return storage_; }

 private:
  std::vector<message_view> messages_;
  std::vector<message_error> errors_;
  std::shared_ptr<const void> storage_;
};

// The next offset to deliver of one assigned partition (where to resume after a reconnect).
struct partition_position {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t next_offset = 0;
  friend bool operator==(const partition_position&, const partition_position&) = default;
};

class message_source {
 public:
  using batch_handler = std::function<void(message_batch)>;

  virtual ~message_source() = default;  // implementations close()

  // Asks for the next batch of at most `max_messages` messages (plus any errors). `handler` is
  // called once, on the event loop, never inline, with a non-empty batch as soon as there is one;
  // it may call want_messages again. At most one request may be outstanding. The owner asks only
  // when it has room: until then Kafka's bounded prefetch queue is the buffer.
  virtual void want_messages(std::size_t max_messages, batch_handler handler) = 0;

  // Per assigned partition, the offset after the last message handed over (the assigned offset
  // before any).
  virtual std::vector<partition_position> positions() const = 0;

  // Stops reading and releases Kafka resources without blocking the event loop. A pending
  // handler is dropped, never called. Batches already handed over stay valid. Idempotent.
  virtual void close() = 0;
};

}  // namespace kasocki::kafka
