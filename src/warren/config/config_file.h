#pragma once

#include "warren/config/config.h"

#include <string>
#include <string_view>

namespace warren::config {

/// rabbitmq.conf's format (the "sysctl" style RabbitMQ reads with cuttlefish): one
/// `key = value` per line, blank lines, `#` comments (a `#` ends the value, as in
/// RabbitMQ). Applies each setting to `config` in order, so a repeated key's last value
/// wins. Throws std::runtime_error listing every bad line as "FILE:LINE: problem"; nothing
/// is silently ignored.
void parse_config_text(std::string_view text, const std::string& file_name, Config& config);

/// Reads `path` and parses it as above; a file that cannot be read is an error too.
void load_config_file(const std::string& path, Config& config);

}  // namespace warren::config
