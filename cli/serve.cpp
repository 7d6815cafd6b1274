// `kasocki serve`: not built yet; placeholder so the binary and its --help exist.
#include <iostream>

#include "cli/subcommands.hpp"
#include "cli/usage.hpp"

namespace kasocki::cli {

int serve_main(int argc, char** argv) {
  po::options_description options("Options");
  po::variables_map vm;
  if (auto status = parse_or_exit("serve", "(not implemented yet)", argc, argv, options, {}, vm))
    return *status;
  std::cerr << "kasocki serve: not implemented yet\n";
  return 1;
}

}  // namespace kasocki::cli
