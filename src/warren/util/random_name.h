#pragma once

#include <string>
#include <string_view>

namespace warren::util {

/// `prefix` followed by 22 random url-safe base64 characters, as RabbitMQ forms server-named
/// queues ("amq.gen-…") and consumer tags ("amq.ctag-…").
std::string random_name(std::string_view prefix);

}  // namespace warren::util
