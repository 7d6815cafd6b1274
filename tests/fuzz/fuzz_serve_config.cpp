// libFuzzer target: the config file of `kasocki serve` (cli/serve_config.hpp): the input is the
// file's text, read through `--config FILE` as the server reads it (JSON with comments, turned
// into options, then every option's validation). No input may crash, throw or exit; the result
// is a configuration or the usage status 2 (0 for --print-config).
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "cli/serve_config.hpp"

namespace {
std::string config_path;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  config_path = "/tmp/kasocki-fuzz-serve-config-" + std::to_string(::getpid()) + ".json";
  // The parser explains every refusal on stderr (and --print-config writes to stdout): keep
  // the fuzzer's output readable.
  std::cerr.rdbuf(nullptr);
  std::cout.rdbuf(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  {
    std::ofstream file(config_path, std::ios::binary | std::ios::trunc);
    file.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  std::string arg0 = "serve", arg1 = "--config";
  char* argv[] = {arg0.data(), arg1.data(), config_path.data(), nullptr};
  kasocki::cli::serve_config config;
  const auto status = kasocki::cli::parse_serve_config(3, argv, config);
  if (status && *status != 0 && *status != 2) std::abort();
  if (!status && config.path.empty()) std::abort();
  return 0;
}
