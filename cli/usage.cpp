// See usage.hpp.
#include "cli/usage.hpp"

#include <iostream>

namespace kasocki::cli {

std::optional<int> parse_or_exit(const char* name, const char* summary, int argc, char** argv,
                                 po::options_description& options,
                                 const po::positional_options_description& positional,
                                 po::variables_map& vm) {
  options.add_options()("help,h", "show this help and exit");
  try {
    po::store(po::command_line_parser(argc, argv).options(options).positional(positional).run(),
              vm);
    if (vm.count("help")) {
      std::cout << "Usage: kasocki " << name << " [OPTIONS]\n" << summary << "\n\n" << options;
      return 0;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "kasocki " << name << ": " << e.what() << "\n"
              << "Try 'kasocki " << name << " --help'.\n";
    return 2;
  }
  return std::nullopt;
}

}  // namespace kasocki::cli
