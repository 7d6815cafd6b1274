// The subcommands of the `kasocki` binary, one source file each. Each takes the arguments after
// its name (argv[0] is the subcommand name) and returns the process exit status:
// 0 success, 1 runtime failure, 2 bad usage (unknown option, bad value).
#pragma once

namespace kasocki::cli {

int serve_main(int argc, char** argv);
int client_main(int argc, char** argv);
int testserver_main(int argc, char** argv);
int bench_main(int argc, char** argv);

}  // namespace kasocki::cli
