// `kasocki client`: not built yet; placeholder so the binary and its --help exist.
#include <iostream>

#include "cli/subcommands.hpp"
#include "cli/usage.hpp"

namespace kasocki::cli {

int client_main(int argc, char** argv) {
  po::options_description options("Options");
  po::variables_map vm;
  if (auto status = parse_or_exit("client", "(not implemented yet)", argc, argv, options, {}, vm))
    return *status;
  std::cerr << "kasocki client: not implemented yet\n";
  return 1;
}

}  // namespace kasocki::cli
