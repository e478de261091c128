#pragma once

#include "warrenctl/cli.h"

#include <iosfwd>
#include <string>
#include <vector>

namespace warrenctl {

/// Parses the command line, runs the command against the broker and prints what
/// rabbitmqctl 3.10 prints; returns the exit code (0, or 64/65/67/69/70 as rabbitmqctl).
int run_command_line(const std::vector<std::string>& argv, const char* env_data_dir,
                     std::ostream& out, std::ostream& err, bool bold);

/// Runs a parsed invocation.
int run(const Invocation& invocation, std::ostream& out, std::ostream& err, bool bold);

}  // namespace warrenctl
