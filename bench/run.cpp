// See run.hpp and driver.hpp. This file holds the setup of the connections, the
// driving of `start` / `consume`, and the message path: a message costs a tail scan, two clock
// reads and a few additions.
#include "bench/run.hpp"

#include <iostream>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "bench/driver.hpp"
#include "bench/process.hpp"
#include "bench/resume.hpp"
#include "client/raw_packet.hpp"
#include "libkasocki/common/run_loop.hpp"

namespace kasocki::bench {
namespace {

constexpr int max_printed_errors = 5;

json one_arg(json value) {
  json args = json::array();
  args.push_back(std::move(value));
  return args;
}

// Why a connect failed: the error, plus the server's CONNECT_ERROR payload when there is one.
std::string describe(const client::connect_result& connected) {
  std::string text = connected.error.message();
  if (!connected.data.is_null()) text += " " + connected.data.dump();
  return text;
}

}  // namespace

driver::driver(asio::io_context& ioc, const bench_config& config, bench_result& result,
               const std::function<void()>& on_begin)
    : ioc_(ioc),
      config_(config),
      result_(result),
      on_begin_(on_begin),
      endpoint_(client::parse_url(config.url).value_or(client::endpoint{})),
      gate_(ioc, steady::time_point::max()),
      deadline_(ioc),
      sampler_(ioc),
      producer_timer_(ioc),
      reconnect_timer_(ioc),
      drain_timer_(ioc),
      pause_timer_(ioc),
      resume_gate_(ioc, steady::time_point::max()),
      kill_timer_(ioc),
      signals_(ioc, SIGINT, SIGTERM),
      setups_(ioc.get_executor(), config.connect_concurrency) {
  signals_.async_wait([this](boost::system::error_code ec, int) {
    if (!ec) finish("signal");
  });
}

asio::awaitable<void> driver::run() {
  setup_start_ = steady::now();
  if (config_.server_pid > 0) sample_server();
  // An SSE stream has no subscribe ack: the probed ends are where one from the end starts.
  if (config_.sse || config_.from == start_from::beginning || config_.from == start_from::spread ||
      config_.from == start_from::middle || config_.until_end || config_.per_client > 0) {
    if (!co_await probe(ends_)) co_return;
  }
  if (config_.from == start_from::middle && !co_await probe_middle()) co_return;
  subscribe_args_ = one_arg(subscription());
  if (!config_.filters.is_null()) filter_args_ = one_arg(config_.filters);
  client::socketio_options options;
  options.engine.transport = config_.transport;
  for (int i = 0; i < config_.clients; ++i) {
    auto c = std::make_unique<connection>();
    c->index = connections_.size();
    if (config_.sse) {
      c->sse = std::make_unique<client::sse_reader>(ioc_.get_executor());
    } else {
      c->sio = std::make_unique<client::socketio_client>(ioc_.get_executor(), options);
      install_handlers(*c);
    }
    connections_.push_back(std::move(c));
  }
  if (config_.stalled > 0) asio::co_spawn(ioc_, open_stalled(), asio::detached);
  for (auto& c : connections_)
    asio::co_spawn(ioc_, config_.sse ? sse_lifecycle(*c) : lifecycle(*c), asio::detached);
}

// Learns the partitions and their end offsets: subscribing at the end acks the high
// watermarks. A probe connection is used because a connection subscribes only once.
asio::awaitable<bool> driver::probe(std::vector<std::int64_t>& ends) {
  client::socketio_options options;
  options.engine.transport = config_.sse ? client::transport_mode::websocket : config_.transport;
  client::socketio_client sio(ioc_.get_executor(), options);
  auto connected = co_await sio.connect(config_.url);
  if (connected.error) {
    fail("probe connect: " + describe(connected));
    co_return false;
  }
  auto reply = co_await sio.call("subscribe", one_arg(json(config_.topic)));
  bool ok = check_reply(reply, "probe subscribe");
  if (ok) {
    for (const auto& item : reply.args[1]) {
      auto p = item.value("partition", -1);
      if (p < 0) continue;
      if (static_cast<std::size_t>(p) >= ends.size()) ends.resize(p + 1, 0);
      ends[p] = item.value("offset", std::int64_t{0});
    }
  }
  sio.disconnect();
  co_await sio.wait_closed();
  co_return ok;
}

json driver::subscription() const {
  if (config_.from == start_from::end) return json(config_.topic);
  json spec = json::array();
  if (config_.from == start_from::timestamp || config_.from == start_from::middle) {
    auto timestamp = result_.from_timestamp.value_or(config_.from_timestamp);
    spec.push_back(json{{"topic", config_.topic}, {"timestamp", timestamp}});
    return spec;
  }
  for (std::size_t p = 0; p < ends_.size(); ++p)
    spec.push_back(json{{"topic", config_.topic}, {"partition", p}, {"offset", 0}});
  return spec;
}

void driver::install_handlers(connection& c) {
  c.sio->on_raw("message", [this, &c](std::string_view args) { on_message(c, args); });
  c.sio->on("err", [this](json args, client::socketio_client::ack_reply) {
    if (++result_.errors <= max_printed_errors)
      std::cerr << "kasocki bench: err " << (args.empty() ? json() : args[0]).dump() << "\n";
  });
}

asio::awaitable<void> driver::lifecycle(connection& c) {
  co_await setups_.acquire();
  bool ok = !stopping_ && co_await set_up(c);
  setups_.release();
  if (!ok) co_return c.sio->disconnect();
  ready();
  co_await drive(c);
}

asio::awaitable<bool> driver::set_up(connection& c) {
  auto connected = co_await c.sio->connect(url_for(c));
  if (connected.error) {
    fail("connect: " + describe(connected));
    co_return false;
  }
  if (stopping_) co_return false;
  // Built before the co_await: GCC 12 mishandles a conditional's temporary inside one.
  json args = subscribe_args_;
  if (config_.from == start_from::spread) args = one_arg(subscription_of(c));
  auto subscribed = co_await c.sio->call("subscribe", std::move(args));
  if (!check_reply(subscribed, "subscribe")) co_return false;
  seed(c, subscribed.args[1]);
  if (!filter_args_.is_null()) {
    auto filtered = co_await c.sio->call("filter", filter_args_);
    if (!check_reply(filtered, "filter")) co_return false;
  }
  co_return !stopping_;
}

// Starts (or keeps consuming), and after a deliberate close subscribes again and starts again;
// with --resume-on-close, after the server's close too.
asio::awaitable<void> driver::drive(connection& c) {
  for (;;) {
    if (!go_ && !stopping_) co_await gate_.async_wait(asio::as_tuple(asio::use_awaitable));
    if (stopping_ || c.done) co_return c.sio->disconnect();
    if (config_.mode == drive_mode::consume) {
      for (int i = 0; i < config_.outstanding; ++i) consume(c);
    } else {
      auto started = co_await c.sio->call("start", one_arg(nullptr));
      // A connection lost before the ack (its gateway killed) is resumed below, when asked to.
      bool lost = started.error && config_.resume_on_close;
      if (!lost && !check_reply(started, "start")) co_return c.sio->disconnect();
    }
    auto reason = co_await c.sio->wait_closed();
    switch (on_closed(stopping_, c.done, c.reconnecting, config_.resume_on_close)) {
      case close_action::ignore:
        co_return;
      case close_action::fail:
        co_return fail("connection closed by the server: " + reason.message(), "closed");
      case close_action::resume:
        break;
    }
    if (!c.reconnecting) note_closed(c);
    if (!co_await resubscribe(c)) co_return;
  }
}

// Where each partition starts, from the subscribe ack; partitions with nothing to read up to
// the probed end are done from the outset.
void driver::seed(connection& c, const json& assignment) {
  for (const auto& item : assignment) {
    auto p = item.value("partition", -1);
    auto offset = item.value("offset", std::int64_t{-1});
    if (p < 0 || offset < 0) continue;
    if (static_cast<std::size_t>(p) >= c.first_offsets.size()) c.first_offsets.resize(p + 1, -1);
    c.first_offsets[p] = offset;
    c.tracker.expect(p, offset);
  }
  c.at_end.assign(ends_.size(), 1);
  for (std::size_t p = 0; p < ends_.size(); ++p) {
    std::int64_t first = p < c.first_offsets.size() ? c.first_offsets[p] : -1;
    if (first >= 0 && first < ends_[p]) {
      c.at_end[p] = 0;
      ++c.partitions_left;
    }
  }
  if (config_.per_client > 0) return set_quota(c);
  if (config_.until_end && c.partitions_left == 0) ++connections_at_end_;
}

// One more connection (or stalled client) is set up; the run begins with the last one.
void driver::ready() {
  if (++ready_ == connections_.size() + static_cast<std::size_t>(config_.stalled) && !stopping_)
    begin();
}

void driver::begin() {
  result_.setup_seconds = std::chrono::duration<double>(steady::now() - setup_start_).count();
  if (on_begin_) on_begin_();
  start_ = steady::now();
  go_ = true;
  gate_.cancel();
  if ((config_.until_end || config_.per_client > 0) && connections_at_end_ == connections_.size())
    return finish("end");
  if (config_.duration > 0) {
    deadline_.expires_after(std::chrono::duration_cast<steady::duration>(
        std::chrono::duration<double>(config_.duration)));
    deadline_.async_wait([this](boost::system::error_code ec) {
      if (!ec) finish("duration");
    });
  }
  if (!config_.producer.empty()) start_producer();
  if (config_.kill_pid > 0) schedule_kill();
  if (config_.reconnect_after > 0) {
    reconnect_timer_.expires_after(std::chrono::duration_cast<steady::duration>(
        std::chrono::duration<double>(config_.reconnect_after)));
    reconnect_timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec && !stopping_) reconnect_all();
    });
  }
}

void driver::consume(connection& c) {
  c.sio->emit_raw(
      "consume", "null",
      [this, &c](boost::system::error_code ec, std::string_view args) {
        if (stopping_) return;
        if (ec) return fail("consume: " + ec.message());
        auto parts = client::split_first_value(args);
        if (!parts) return fail("consume: malformed ack");
        if (parts->first != "null") return fail("consume: " + std::string(parts->first));
        on_message(c, parts->second);
        if (!stopping_) consume(c);
      },
      std::chrono::milliseconds(0));  // a consume waits as long as it takes
}

// The hot path: once per message.
void driver::on_message(connection& c, std::string_view text) {
  if (stopping_ || !go_ || c.done) return;
  auto tail = parse_kafka_tail(text);
  if (tail && config_.per_client > 0 && seen_all_.insert(tail->partition, tail->offset)) {
    ++result_.received_messages;
    result_.received_bytes += message_bytes(text);
  }
  // Beyond its quota a connection is only waiting for its other partitions: not counted.
  if (tail && config_.per_client > 0 && !in_quota(c, *tail)) return;
  ++result_.messages;
  ++c.messages;
  result_.bytes += text.size();
  if (tail) {
    c.tracker.record(tail->partition, tail->offset);
    if (tail->timestamp) {
      auto now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
      result_.latency->record(now_us - *tail->timestamp * 1000);
      if (c.awaiting_recovery) note_recovery(c, *tail);
    }
    if (config_.per_client > 0) {
      note_quota(c, *tail, text);
    } else if (config_.until_end || ends_final_) {
      note_end(c, *tail);
    }
  } else {
    ++result_.unparsed;
  }
  if (config_.messages > 0 && result_.messages >= static_cast<std::uint64_t>(config_.messages))
    finish("messages");
}

void driver::note_end(connection& c, const kafka_tail& tail) {
  auto p = static_cast<std::size_t>(tail.partition);
  if (p >= c.at_end.size() || c.at_end[p] || tail.offset < ends_[p] - 1) return;
  c.at_end[p] = 1;
  if (--c.partitions_left == 0 && ++connections_at_end_ == connections_.size()) {
    result_.reached_end = true;
    finish("end");
  }
}

bool driver::check_reply(const client::ack_result& reply, std::string_view what) {
  if (reply.error) {
    fail(std::string(what) + ": " + reply.error.message());
    return false;
  }
  if (reply.args.empty() || !reply.args[0].is_null()) {
    fail(std::string(what) + ": " + (reply.args.empty() ? "no reply" : reply.args[0].dump()));
    return false;
  }
  return true;
}

void driver::fail(const std::string& why, const char* reason) {
  if (stopping_) return;
  result_.status = 1;
  result_.failure = why;
  finish(reason);
}

void driver::finish(const char* reason) {
  if (stopping_) return;
  stopping_ = true;
  result_.stopped_by = reason;
  if (go_) result_.seconds = std::chrono::duration<double>(steady::now() - start_).count();
  for (auto* timer : {&deadline_, &gate_, &sampler_, &producer_timer_, &reconnect_timer_,
                      &drain_timer_, &pause_timer_, &resume_gate_, &kill_timer_})
    timer->cancel();
  signals_.cancel();
  setups_.cancel_all();
  if (producer_pid_ > 0) {
    stop_child(producer_pid_);  // the run ended before the producer did (a cap, a failure)
    result_.producer_status = -1;
    producer_pid_ = -1;
  }
  if (pause_pid_ > 0) {
    stop_child(pause_pid_);
    pause_pid_ = -1;
  }
  for (auto& s : stalled_) s->close();
  for (auto& c : connections_) close(*c);
}

void driver::close(connection& c) {
  if (c.sio) c.sio->disconnect();
  if (c.sse) c.sse->close();
}

bench_result run_bench(const bench_config& config, const std::function<void()>& on_begin) {
  bench_result result;
  asio::io_context ioc(1);
  {
    driver d(ioc, config, result, on_begin);
    asio::co_spawn(ioc, d.run(), [&](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        d.abort(ex.what());
      }
    });
    run_with_busy_poll(ioc, std::chrono::microseconds(config.busy_poll_us));
    d.collect();
  }
  return result;
}

}  // namespace kasocki::bench
