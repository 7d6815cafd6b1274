// Test program for e2e/test_client_interop.py: drives the project's socket.io client against a
// server we did not write (e2e/py_socketio_server.py) and prints one JSON line per observation.
// Usage: sio_client_probe URL websocket|polling|polling_only full|refused|dead|bounds
// Does I/O (network, stdout). Exit status 0 when the scenario ran to its end.
#include <iostream>
#include <string>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "client/socketio_client.hpp"

namespace {

namespace asio = boost::asio;
using kasocki::client::json;
using kasocki::client::socketio_client;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

void print(json line) {
  std::cout << line.dump() << std::endl;
}

// Binary values become {"hex": "..."} so that the test can compare them as JSON.
json printable(const json& value) {
  if (value.is_binary()) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string hex;
    for (auto b : value.get_binary()) {
      hex += digits[b >> 4];
      hex += digits[b & 15];
    }
    return json{{"hex", hex}};
  }
  if (value.is_array() || value.is_object()) {
    json out = value.is_array() ? json::array() : json::object();
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (value.is_array()) {
        out.push_back(printable(*it));
      } else {
        out[it.key()] = printable(*it);
      }
    }
    return out;
  }
  return value;
}

json bytes(std::initializer_list<std::uint8_t> b) {
  return json::binary({b});
}

// Counts events seen and lets a coroutine wait until a count is reached.
struct seen {
  explicit seen(asio::any_io_executor ex) : signal(ex) {}
  asio::steady_timer signal;
  int count = 0;
  void bump() {
    ++count;
    signal.cancel();
  }
  asio::awaitable<bool> wait(int n, std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (count < n && std::chrono::steady_clock::now() < deadline) {
      signal.expires_at(deadline);
      co_await signal.async_wait(use_tuple);
    }
    co_return count >= n;
  }
};

// The JSON building lives in plain functions: GCC 12 miscompiles braced initializer lists of
// string literals inside coroutine bodies ("array used as initializer").
void print_ack(const char* step, const kasocki::client::ack_result& r) {
  print({{"step", step}, {"error", r.error.message()}, {"args", printable(r.args)}});
}
void print_closed(boost::system::error_code reason) {
  print({{"step", "closed"}, {"error", reason ? reason.message() : std::string()}});
}
void print_connected(const socketio_client& sio) {
  print({{"step", "connected"},
         {"sid", !sio.sid().empty()},
         {"transport", sio.engine().transport_name()},
         {"ping_interval", sio.engine().handshake().ping_interval.count()}});
}
void print_connect_error(const kasocki::client::connect_result& r) {
  print({{"step", "connect_error"}, {"error", r.error.message()}, {"data", r.data}});
}
json one_arg(json value) {
  json args = json::array();
  args.push_back(std::move(value));
  return args;
}
json echo_args() {
  return json::array({"x", 1, json{{"a", {true, nullptr}}}});
}
json bin_args() {
  return json::array({bytes({1, 2, 3, 0, 255}), "text", json{{"b", bytes({9})}}});
}
json auth_for(const std::string& scenario) {
  return scenario == "refused" ? json{{"token", "bad"}} : json{{"token", "abc"}, {"n", 1}};
}

void register_handlers(socketio_client& sio, seen& events) {
  for (const char* name : {"hello", "asked", "bin-back"}) {
    sio.on(name, [name, &events](json args, socketio_client::ack_reply) {
      print({{"step", name}, {"args", printable(args)}});
      events.bump();
    });
  }
  sio.on_raw("raw-back", [&events](std::string_view args) {
    print({{"step", "raw-back"}, {"text", args}});
    events.bump();
  });
  sio.on("question", [](json args, socketio_client::ack_reply ack) {
    print({{"step", "question"}, {"args", args}, {"ack_wanted", static_cast<bool>(ack)}});
    if (ack) ack(json::array({"answer to", args.empty() ? json() : args[0]}));
  });
}

void emit_raw_echo(socketio_client& sio, std::shared_ptr<seen> done) {
  sio.emit_raw("echo", R"(1,"two",{"3":[4]})",
               [done](boost::system::error_code ec, std::string_view args) {
                 print({{"step", "echo-raw"}, {"error", ec.message()}, {"text", args}});
                 done->bump();
               });
}

asio::awaitable<int> full(socketio_client& sio, seen& events) {
  using namespace std::chrono_literals;
  auto ex = co_await asio::this_coro::executor;
  if (!co_await events.wait(1, 5s)) co_return 1;  // hello
  print_ack("echo", co_await sio.call("echo", echo_args()));

  sio.emit_raw("raw", R"("x",{"k":[1,2]})");
  if (!co_await events.wait(2, 5s)) co_return 1;  // raw-back

  sio.emit("ask", one_arg("what?"));
  if (!co_await events.wait(3, 5s)) co_return 1;  // asked

  print_ack("bin", co_await sio.call("bin", bin_args()));
  if (!co_await events.wait(4, 5s)) co_return 1;  // bin-back

  auto raw_done = std::make_shared<seen>(ex);
  emit_raw_echo(sio, raw_done);
  if (!co_await raw_done->wait(1, 5s)) co_return 1;

  print_ack("noack", co_await sio.call("noack", one_arg(1), 300ms));

  // Longer than the server's ping interval: the session lives on because pongs are answered.
  asio::steady_timer idle(ex, 2500ms);
  co_await idle.async_wait(use_tuple);
  print_ack("after-idle", co_await sio.call("echo", one_arg("still here")));
  print_connected(sio);  // the transport after all this
  sio.disconnect();
  print_closed(co_await sio.wait_closed());
  co_return 0;
}

void print_flood(int sent, int refused, const std::string& first_error) {
  print({{"step", "flood"}, {"sent", sent}, {"refused", refused}, {"error", first_error}});
}

// The client's bounds (options set in run()): emits in one go, with no chance for the writer to
// run between them, fill the send queue; acks beyond max_pending_acks are refused at once.
asio::awaitable<int> bounds(socketio_client& sio) {
  using namespace std::chrono_literals;
  int sent = 0, refused = 0;
  std::string first_error;
  for (int i = 0; i < 100; ++i) {
    auto ec = sio.emit("noack", one_arg(std::string(400, 'x')));
    if (!ec) {
      ++sent;
    } else {
      ++refused;
      if (first_error.empty()) first_error = ec.message();
    }
  }
  print_flood(sent, refused, first_error);
  // Once the writer has run, the queue has room again.
  print_ack("after-flood", co_await sio.call("echo", one_arg("room again")));
  for (int i = 0; i < 4; ++i)
    sio.emit(
        "noack", one_arg(i), [](auto, json) {}, 2s);
  print_ack("fifth-ack", co_await sio.call("noack", one_arg(5)));
  sio.disconnect();
  print_closed(co_await sio.wait_closed());
  co_return 0;
}

asio::awaitable<int> run(std::string url, std::string transport, std::string scenario) {
  auto ex = co_await asio::this_coro::executor;
  kasocki::client::socketio_options options;
  options.engine.transport = transport == "websocket" ? kasocki::client::transport_mode::websocket
                             : transport == "polling"
                                 ? kasocki::client::transport_mode::polling
                                 : kasocki::client::transport_mode::polling_only;
  options.auth = auth_for(scenario);
  if (scenario == "bounds") {
    options.engine.send_queue_limit = 4096;
    options.max_pending_acks = 4;
  }
  socketio_client sio(ex, options);
  seen events(ex);
  register_handlers(sio, events);
  auto connected = co_await sio.connect(url);
  if (connected.error) {
    print_connect_error(connected);
    co_return scenario == "refused" ? 0 : 1;
  }
  print_connected(sio);
  if (scenario == "dead") {
    print_closed(co_await sio.wait_closed());
    co_return 0;
  }
  if (scenario == "bounds") co_return co_await bounds(sio);
  co_return co_await full(sio, events);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: sio_client_probe URL websocket|polling|polling_only "
                 "full|refused|dead|bounds\n";
    return 2;
  }
  asio::io_context ioc(1);
  int status = 1;
  asio::co_spawn(ioc, run(argv[1], argv[2], argv[3]),
                 [&](std::exception_ptr e, int result) { status = e ? 1 : result; });
  ioc.run();
  return status;
}
