// Shared option-parsing glue for the subcommands: parse with Boost.Program_options, print
// --help, and turn every usage mistake into a clear message and exit status 2.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <boost/program_options.hpp>

namespace kasocki::cli {

namespace po = boost::program_options;

// Parses argv against `options` (and positional `positional`, may be empty). Prints help and
// returns 0 for --help; prints "kasocki NAME: <error>" and returns 2 on a usage error; returns
// nullopt when the caller should go on with `vm`.
std::optional<int> parse_or_exit(const char* name, const char* summary, int argc, char** argv,
                                 po::options_description& options,
                                 const po::positional_options_description& positional,
                                 po::variables_map& vm);

}  // namespace kasocki::cli
