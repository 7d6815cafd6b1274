// The private-consumer message_source. Lifetimes: the librdkafka handle lives in a
// consumer_handle shared by the source and by every batch still holding its messages (librdkafka
// requires messages to be destroyed before their handle); when the last owner lets go, the
// blocking close and destroy run on the context's close pool.
#include "libkasocki/kafka/consumer_source.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>

#include <array>
#include <atomic>
#include <functional>
#include <optional>
#include <string>

#include "libkasocki/kafka/client_context.hpp"
#include "libkasocki/kafka/librdkafka_log.hpp"

namespace kasocki::kafka {
namespace {

struct consumer_handle {
  rd_kafka_t* rk = nullptr;
  rd_kafka_queue_t* queue = nullptr;  // the consumer queue; the main queue is forwarded to it
  int write_fd = -1;                  // librdkafka's end of the wake-up pipe
  std::atomic<bool> closing{false};
  // Generic errors (broker down, ...) that the error callback collected while the event loop
  // drained the queue; only touched on the event loop until closing.
  std::vector<kafka_error> errors;
  // The statistics hook of the config, and where it runs (parsing stays off the event loop).
  std::function<void(const std::string&, const std::string&, const std::string&)> statistics;
  std::optional<client_context::pool_executor> pool;
  std::string name;  // rd_kafka_name(), the statistics' handle name
  std::string role;  // kafka_config::statistics' role

  ~consumer_handle() {  // close pool: blocks until librdkafka's threads are gone
    closing = true;
    if (queue != nullptr) {
      rd_kafka_queue_io_event_enable(queue, -1, nullptr, 0);
      rd_kafka_queue_destroy(queue);
    }
    if (rk != nullptr) {
      rd_kafka_consumer_close(rk);
      rd_kafka_destroy(rk);
    }
    if (write_fd >= 0) ::close(write_fd);
    if (statistics) statistics(name, role, "");
  }
};

using handle_ptr = std::shared_ptr<consumer_handle>;

// librdkafka's reason names brokers: it goes to the error's detail (the log), never to clients.
void on_error(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
  auto* handle = static_cast<consumer_handle*>(opaque);
  if (handle->closing.load()) return;
  auto error = error_from_code(err, {}, reason == nullptr ? "" : reason);
  log_librdkafka(4, "ERROR", error.detail, rd_kafka_name(rk));
  handle->errors.push_back(std::move(error));
}

// librdkafka's statistics, on whichever thread serves the consumer queue (often the event loop):
// copied and handed to the worker pool.
int on_statistics(rd_kafka_t*, char* json, size_t len, void* opaque) {
  auto* handle = static_cast<consumer_handle*>(opaque);
  if (handle->statistics && handle->pool)
    boost::asio::post(*handle->pool,
                      [hook = handle->statistics, name = handle->name, role = handle->role,
                       doc = std::string(json, len)] { hook(name, role, doc); });
  return 0;  // librdkafka frees `json`
}

// Owns the consumed messages of one batch, and the handle they belong to.
struct batch_storage {
  std::vector<rd_kafka_message_t*> messages;
  handle_ptr handle;  // members go after the destructor body: the handle after its messages
  ~batch_storage() {
    for (rd_kafka_message_t* m : messages) rd_kafka_message_destroy(m);
  }
};

struct opened_consumer {
  handle_ptr handle;
  int read_fd = -1;
};

// Worker pool: creates the consumer, wires the wake-up pipe and assigns.
result<opened_consumer> open_blocking(const kafka_config& config,
                                      client_context::pool_executor pool,
                                      client_context::pool_executor close_pool,
                                      const std::vector<resolved_assignment>& assignments,
                                      handle_role role = handle_role::consumer) {
  auto conf = make_conf(config, role);
  if (!conf) return conf.error();
  // The destructor blocks, so the last owner (often on the event loop) hands it to the close
  // pool.
  handle_ptr handle(new consumer_handle, [close_pool](consumer_handle* h) {
    boost::asio::post(close_pool, [h] { delete h; });
  });
  rd_kafka_conf_set_opaque(conf.value(), handle.get());
  rd_kafka_conf_set_error_cb(conf.value(), on_error);
  if (config.statistics) {
    handle->statistics = config.statistics;
    handle->pool = pool;
    handle->role = role == handle_role::fetcher ? "fetcher" : "consumer";
    rd_kafka_conf_set_stats_cb(conf.value(), on_statistics);
  }
  std::array<char, 512> errstr{};
  handle->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf.value(), errstr.data(), errstr.size());
  if (handle->rk == nullptr) {
    rd_kafka_conf_destroy(conf.value());
    return invalid_argument(std::string("cannot create a Kafka consumer: ") + errstr.data());
  }
  handle->name = rd_kafka_name(handle->rk);
  rd_kafka_poll_set_consumer(handle->rk);
  handle->queue = rd_kafka_queue_get_consumer(handle->rk);
  if (handle->queue == nullptr) {
    return error_from_code(RD_KAFKA_RESP_ERR__UNKNOWN_GROUP, "no consumer queue");
  }
  std::array<int, 2> fds{};
  if (::pipe2(fds.data(), O_NONBLOCK | O_CLOEXEC) != 0) {
    return error_from_code(RD_KAFKA_RESP_ERR__FAIL, "cannot create a wake-up pipe");
  }
  handle->write_fd = fds[1];
  // librdkafka writes one byte when the queue gets an op after having been served.
  rd_kafka_queue_io_event_enable(handle->queue, fds[1], "1", 1);

  rd_kafka_topic_partition_list_t* list =
      rd_kafka_topic_partition_list_new(static_cast<int>(assignments.size()));
  for (const auto& a : assignments) {
    rd_kafka_topic_partition_list_add(list, a.topic.c_str(), a.partition)->offset = a.offset;
  }
  const rd_kafka_resp_err_t err = rd_kafka_assign(handle->rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_queue_io_event_enable(handle->queue, -1, nullptr, 0);
    ::close(fds[0]);
    return error_from_code(err, "assign");
  }
  return opened_consumer{std::move(handle), fds[0]};
}

class consumer_state : public std::enable_shared_from_this<consumer_state> {
 public:
  consumer_state(const client_context::loop_executor& loop, opened_consumer opened,
                 const std::vector<resolved_assignment>& assignments)
      : handle_(std::move(opened.handle)), wakeup_(loop, opened.read_fd) {
    for (const auto& a : assignments) positions_.push_back({a.topic, a.partition, a.offset});
  }

  void want(std::size_t max_messages, message_source::batch_handler handler) {
    if (closed_) return;
    pending_ = std::move(handler);
    max_ = std::max<std::size_t>(1, max_messages);
    if (waiting_) return;  // the pipe wait in progress will deliver
    boost::asio::post(wakeup_.get_executor(), [self = shared_from_this()] { self->deliver(); });
  }

  std::vector<partition_position> positions() const { return positions_; }

  // The assignment changes on the worker pool; `done` comes back on the event loop.
  void reassign(client_context& ctx, std::vector<resolved_assignment> assignments,
                std::function<void(status)> done) {
    // A want of the previous job must not take (and lose) the new assignment's messages.
    pending_ = nullptr;
    positions_.clear();
    for (const auto& a : assignments) positions_.push_back({a.topic, a.partition, a.offset});
    auto handle = handle_;
    ctx.run_blocking(
        [handle, assignments = std::move(assignments)]() -> status {
          rd_kafka_topic_partition_list_t* list =
              rd_kafka_topic_partition_list_new(static_cast<int>(assignments.size()));
          for (const auto& a : assignments)
            rd_kafka_topic_partition_list_add(list, a.topic.c_str(), a.partition)->offset =
                a.offset;
          const rd_kafka_resp_err_t err = rd_kafka_assign(handle->rk, list);
          rd_kafka_topic_partition_list_destroy(list);
          if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return error_from_code(err, "assign");
          return ok_t{};
        },
        [self = shared_from_this(), done = std::move(done)](status s) {
          if (!self->closed_) done(std::move(s));
        });
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    pending_ = nullptr;
    // Stop librdkafka writing before our end of the pipe goes away (a write to a pipe without a
    // reader raises SIGPIPE).
    rd_kafka_queue_io_event_enable(handle_->queue, -1, nullptr, 0);
    boost::system::error_code ignored;
    wakeup_.cancel(ignored);
    wakeup_.close(ignored);
    handle_->closing = true;
    handle_.reset();  // the consumer closes on the pool once no batch holds it
  }

 private:
  void deliver() {
    if (closed_ || !pending_ || waiting_) return;
    drain_pipe();  // before consuming: a wake-up written after this stays readable
    auto storage = std::make_shared<batch_storage>();
    storage->handle = handle_;
    std::vector<rd_kafka_message_t*> raw(max_);
    const ssize_t n = rd_kafka_consume_batch_queue(handle_->queue, 0, raw.data(), raw.size());
    std::vector<message_error> errors;
    for (auto& e : handle_->errors) errors.push_back({"", -1, -1, std::move(e)});
    handle_->errors.clear();
    if (n < 0) errors.push_back({"", -1, -1, error_from_code(rd_kafka_last_error(), "consume")});
    std::vector<message_view> messages;
    messages.reserve(n > 0 ? static_cast<std::size_t>(n) : 0);
    for (ssize_t i = 0; i < n; ++i) take(raw[i], *storage, messages, errors);
    if (messages.empty() && errors.empty()) return wait();
    auto handler = std::move(pending_);
    pending_ = nullptr;
    handler(message_batch(std::move(messages), std::move(errors), std::move(storage)));
  }

  void take(rd_kafka_message_t* m, batch_storage& storage, std::vector<message_view>& messages,
            std::vector<message_error>& errors) {
    const char* topic = m->rkt != nullptr ? rd_kafka_topic_name(m->rkt) : "";
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        errors.push_back({topic, m->partition, m->offset,
                          error_from_code(m->err, {}, rd_kafka_message_errstr(m))});
      }
      rd_kafka_message_destroy(m);
      return;
    }
    storage.messages.push_back(m);
    message_view v;
    v.topic = topic;
    v.partition = m->partition;
    v.offset = m->offset;
    rd_kafka_timestamp_type_t type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
    const std::int64_t ts = rd_kafka_message_timestamp(m, &type);
    if (type != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE && ts >= 0) v.timestamp = ts;
    if (m->key != nullptr) v.key = std::string_view(static_cast<const char*>(m->key), m->key_len);
    if (m->payload != nullptr) v.value = {static_cast<const char*>(m->payload), m->len};
    messages.push_back(v);
    advance(v.topic, v.partition, v.offset + 1);
  }

  void advance(std::string_view topic, std::int32_t partition, std::int64_t next) {
    for (auto& p : positions_) {
      if (p.partition == partition && p.topic == topic) {
        p.next_offset = std::max(p.next_offset, next);
        return;
      }
    }
  }

  void wait() {
    waiting_ = true;
    wakeup_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                       [self = shared_from_this()](boost::system::error_code ec) {
                         self->waiting_ = false;
                         if (!ec) self->deliver();
                       });
  }

  void drain_pipe() {
    std::array<char, 64> buf{};
    while (::read(wakeup_.native_handle(), buf.data(), buf.size()) > 0) {
    }
  }

  handle_ptr handle_;
  boost::asio::posix::stream_descriptor wakeup_;  // our end of the wake-up pipe
  message_source::batch_handler pending_;
  std::size_t max_ = 1;
  std::vector<partition_position> positions_;
  bool waiting_ = false;
  bool closed_ = false;
};

class consumer_source final : public message_source {
 public:
  explicit consumer_source(std::shared_ptr<consumer_state> state) : state_(std::move(state)) {}
  ~consumer_source() override { state_->close(); }

  void want_messages(std::size_t max_messages, batch_handler handler) override {
    state_->want(max_messages, std::move(handler));
  }
  std::vector<partition_position> positions() const override { return state_->positions(); }
  void close() override { state_->close(); }

 private:
  std::shared_ptr<consumer_state> state_;
};

class fetch_source final : public fetch_consumer {
 public:
  fetch_source(client_context& ctx, std::shared_ptr<consumer_state> state)
      : ctx_(ctx), state_(std::move(state)) {}
  ~fetch_source() override { state_->close(); }

  void want_messages(std::size_t max_messages, batch_handler handler) override {
    state_->want(max_messages, std::move(handler));
  }
  std::vector<partition_position> positions() const override { return state_->positions(); }
  void close() override { state_->close(); }
  void reassign(std::vector<resolved_assignment> assignments,
                std::function<void(status)> done) override {
    state_->reassign(ctx_, std::move(assignments), std::move(done));
  }

 private:
  client_context& ctx_;
  std::shared_ptr<consumer_state> state_;
};

}  // namespace

void open_fetch_consumer(client_context& ctx, fetch_consumer_handler done) {
  ctx.run_blocking(
      [config = ctx.config(), pool = ctx.pool(), close_pool = ctx.close_pool()] {
        return open_blocking(config, pool, close_pool, {}, handle_role::fetcher);
      },
      [&ctx, loop = ctx.loop(), done = std::move(done)](result<opened_consumer> r) {
        if (!r) return done(r.error());
        auto state = std::make_shared<consumer_state>(loop, std::move(r).value(),
                                                      std::vector<resolved_assignment>{});
        done(std::unique_ptr<fetch_consumer>(new fetch_source(ctx, std::move(state))));
      });
}

void open_consumer_source(client_context& ctx, std::vector<resolved_assignment> assignments,
                          source_handler done) {
  auto shared = std::make_shared<const std::vector<resolved_assignment>>(std::move(assignments));
  ctx.run_blocking([config = ctx.config(), pool = ctx.pool(), close_pool = ctx.close_pool(),
                    shared] { return open_blocking(config, pool, close_pool, *shared); },
                   [loop = ctx.loop(), shared, done = std::move(done)](result<opened_consumer> r) {
                     if (!r) return done(r.error());
                     auto state =
                         std::make_shared<consumer_state>(loop, std::move(r).value(), *shared);
                     done(std::unique_ptr<message_source>(new consumer_source(std::move(state))));
                   });
}

}  // namespace kasocki::kafka
