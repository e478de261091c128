#pragma once

#include "warren/config/config.h"

#include <string>

namespace warren::config {

enum class ParseOutcome { Run, ExitOk };

/// Parses the command line into `config`. Returns ExitOk after printing --help; throws
/// std::runtime_error with a message naming the bad flag otherwise.
ParseOutcome parse_command_line(int argc, char** argv, Config& config);
std::string help_text();

}  // namespace warren::config
