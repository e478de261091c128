#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace warren::perf {

/// A parsed amqp:// URI (RabbitMQ's URI spec): amqp://user:pass@host:port/vhost, every part
/// optional and percent-decoded. No path means vhost "/"; "/" alone means the empty vhost.
struct AmqpUri {
    std::string user = "guest";
    std::string password = "guest";
    std::string host = "127.0.0.1";
    uint16_t port = 5672;
    std::string vhost = "/";

    /// Returns nullopt and sets `why` when the text is not an amqp:// URI.
    static std::optional<AmqpUri> parse(std::string_view text, std::string& why);
    /// host:port/vhost, without credentials, for reports.
    std::string display() const;
};

inline constexpr std::string_view kDefaultUri = "amqp://guest:guest@127.0.0.1:5672/%2F";

}  // namespace warren::perf
