// `kasocki testserver`: the reference-behaviour server of socketio-wire.md, for protocol
// conformance tests: a raw Engine.IO echo at /engine.io/ and the Socket.IO test handlers at
// /socket.io/ (auth, message-back, message-with-ack, namespace /custom).
#include <iostream>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "cli/endpoint.hpp"
#include "cli/subcommands.hpp"
#include "cli/usage.hpp"
#include "libkasocki/engineio/server.hpp"
#include "libkasocki/http/listener.hpp"
#include "libkasocki/socketio/server.hpp"

namespace kasocki::cli {

namespace {

engineio::server_options reference_options() {
  engineio::server_options options;
  options.ping_interval = std::chrono::milliseconds(300);
  options.ping_timeout = std::chrono::milliseconds(200);
  options.max_payload = 1'000'000;
  options.cors_origins = {"*"};
  return options;
}

// Every message packet, text or binary, is sent straight back.
void echo_engineio(const std::shared_ptr<engineio::session>& s, const engineio::http_request&) {
  std::weak_ptr<engineio::session> weak = s;
  s->set_handlers(
      [weak](engineio::packet&& p) {
        if (auto s = weak.lock())
          s->send(engineio::make_out_packet(engineio::packet_type::message, std::move(p.data),
                                            p.binary));
      },
      nullptr);
}

void install_socketio_handlers(socketio::server& io) {
  io.of("/", [](const std::shared_ptr<socketio::socket>& socket) {
    socket->emit("auth", socketio::json::array({socket->auth()}));
    std::weak_ptr<socketio::socket> weak = socket;
    socket->on("message", [weak](socketio::json args, socketio::ack_sender) {
      if (auto s = weak.lock()) s->emit("message-back", std::move(args));
    });
    socket->on("message-with-ack", [](socketio::json args, socketio::ack_sender ack) {
      if (ack) ack(std::move(args));
    });
  });
  io.of("/custom", [](const std::shared_ptr<socketio::socket>& socket) {
    socket->emit("auth", socketio::json::array({socket->auth()}));
  });
}

}  // namespace

int testserver_main(int argc, char** argv) {
  po::options_description options("Options");
  std::string listen;
  options.add_options()("listen", po::value(&listen)->default_value("127.0.0.1:3000"),
                        "address to listen on, HOST:PORT");
  po::variables_map vm;
  if (auto status = parse_or_exit("testserver",
                                  "The Socket.IO/Engine.IO reference-behaviour server for "
                                  "conformance tests (heartbeat 300/200 ms, connect timeout 1 s).",
                                  argc, argv, options, {}, vm))
    return *status;
  auto endpoint = parse_endpoint(listen);
  if (!endpoint) {
    std::cerr << "kasocki testserver: invalid --listen '" << listen << "' (expected HOST:PORT)\n";
    return 2;
  }

  boost::asio::io_context io;
  engineio::server raw_engine(io.get_executor(), reference_options());
  raw_engine.on_connection(echo_engineio);
  engineio::server sio_engine(io.get_executor(), reference_options());
  socketio::server_options sio_options;
  sio_options.connect_timeout = std::chrono::milliseconds(1000);
  socketio::server sio(io.get_executor(), sio_engine, sio_options);
  install_socketio_handlers(sio);

  http::listener_options http_options;
  http_options.body_limit = reference_options().max_payload;
  http::listener listener(io.get_executor(), http_options);
  listener.route(
      "/engine.io/",
      [&](auto& stream, auto& request) { return raw_engine.handle(stream, request); },
      [&](const auto& headers) { raw_engine.payload_too_large(headers); });
  listener.route(
      "/socket.io/",
      [&](auto& stream, auto& request) { return sio_engine.handle(stream, request); },
      [&](const auto& headers) { sio_engine.payload_too_large(headers); });
  if (auto ec = listener.listen(*endpoint)) {
    std::cerr << "kasocki testserver: cannot listen on " << listen << ": " << ec.message() << "\n";
    return 1;
  }
  listener.start();
  std::cerr << "kasocki testserver listening on " << listener.local_endpoint() << "\n";

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](auto, int) {
    listener.stop();
    raw_engine.close_all();
    sio_engine.close_all();
    io.stop();
  });
  io.run();
  return 0;
}

}  // namespace kasocki::cli
