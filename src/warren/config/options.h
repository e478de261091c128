#pragma once

#include "warren/config/config.h"

#include <string>
#include <string_view>

namespace warren::config {

enum class ParseOutcome { Run, ExitOk };

/// Builds `config` from the config file, then the command line (flags win). The file is
/// `--config FILE` (an error if it cannot be read) or else `default_config_file` when that
/// exists. Returns ExitOk after printing --help. Throws std::runtime_error naming the bad
/// flag, or listing every bad line of the file as "FILE:LINE: problem".
ParseOutcome parse_command_line(int argc, char** argv, Config& config,
                                const std::string& default_config_file = "warren.conf");
std::string help_text();

/// Sets the option whose rabbitmq.conf key is `key`. Throws std::invalid_argument with a
/// message naming the key when it is unknown or `value` is not valid for it.
void apply_config_key(Config& config, std::string_view key, std::string_view value);

/// Checks that need every setting at once (a TLS listener needs a certificate and key...).
/// Throws std::runtime_error.
void validate(const Config& config);

}  // namespace warren::config
