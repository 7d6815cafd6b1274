// Entry point of the `kasocki` binary: dispatches to one subcommand.
#include <cstring>
#include <iostream>
#include <string_view>

#include "cli/subcommands.hpp"

namespace {

constexpr const char* usage = R"(Usage: kasocki SUBCOMMAND [OPTIONS]

Kasocki lets web clients read Apache Kafka topics over socket.io.

Subcommands:
  serve       run the gateway (socket.io server in front of Kafka)
  client      read topics through a Kasocki server: topics, consume, start
  testserver  the Socket.IO/Engine.IO reference-behaviour server, for conformance tests
  bench       load client: many connections, throughput and latency figures
  version     print the version

Run 'kasocki SUBCOMMAND --help' for the options of each.
)";

}  // namespace

int main(int argc, char** argv) {
  using namespace kasocki::cli;
  if (argc < 2) {
    std::cerr << usage;
    return 2;
  }
  std::string_view command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") {
    std::cout << usage;
    return 0;
  }
  if (command == "version" || command == "--version") {
    std::cout << "kasocki " << KASOCKI_VERSION << "\n";
    return 0;
  }
  int sub_argc = argc - 1;
  char** sub_argv = argv + 1;
  if (command == "serve") return serve_main(sub_argc, sub_argv);
  if (command == "client") return client_main(sub_argc, sub_argv);
  if (command == "testserver") return testserver_main(sub_argc, sub_argv);
  if (command == "bench") return bench_main(sub_argc, sub_argv);
  std::cerr << "kasocki: unknown subcommand '" << command << "'\n" << usage;
  return 2;
}
