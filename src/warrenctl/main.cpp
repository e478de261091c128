// warrenctl: Warren's rabbitmqctl. Wiring only: the commands live in run.cpp, the
// command line in cli.cpp, the control socket client in control_client.cpp.
#include "warrenctl/run.h"

#include <unistd.h>

#include <cstdlib>
#include <iostream>

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    int code = warrenctl::run_command_line(args, std::getenv("WARREN_DATA_DIR"), std::cout,
                                           std::cerr, isatty(STDERR_FILENO) != 0);
    std::cout.flush();
    return code;
}
