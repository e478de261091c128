#include "warren/config/options.h"

#include <charconv>
#include <cstdio>
#include <stdexcept>
#include <string_view>
#include <variant>

namespace warren::config {
namespace {

using Target = std::variant<std::string Config::*, uint16_t Config::*, uint32_t Config::*,
                            uint64_t Config::*, bool Config::*>;

/// One setting: config-file key (rabbitmq.conf style), flag, field and help.
struct Option {
    const char* key;
    const char* flag;
    Target target;
    const char* help;
};

const Option kOptions[] = {
    {"listeners.tcp.default", "--port", &Config::port, "AMQP listener port (default 5672)"},
    {"listeners.tcp.bind", "--bind", &Config::bind,
     "Address to listen on (default: every interface, IPv4 and IPv6)"},
    {"data_dir", "--data-dir", &Config::data_dir, "Data directory (default ./data)"},
    {"log.level", "--log-level", &Config::log_level,
     "trace, debug, info, warning, error or none (default info)"},
    {"max_message_size", "--max-message-size", &Config::max_message_size,
     "Largest message body accepted, bytes (default 134217728)"},
    {"heartbeat", "--heartbeat", &Config::heartbeat_s, "Heartbeat offered, seconds (default 60)"},
    {"frame_max", "--frame-max", &Config::frame_max, "Largest frame offered (default 131072)"},
    {"channel_max", "--channel-max", &Config::channel_max, "Channels per connection (default 2047)"},
    {"handshake_timeout", "--handshake-timeout", &Config::handshake_timeout_ms,
     "Time to finish the AMQP handshake, ms (default 10000)"},
    {"default_user", "--default-user", &Config::default_user, "User created on first start"},
    {"default_pass", "--default-pass", &Config::default_pass, "Its password"},
    {"default_vhost", "--default-vhost", &Config::default_vhost, "Vhost created on first start"},
    {"load_definitions", "--load-definitions", &Config::load_definitions,
     "RabbitMQ definitions JSON (users, vhosts, permissions) to import at start"},
    {"vm_memory_high_watermark", "--memory-high-watermark", &Config::memory_high_watermark,
     "Block publishers above this RSS: a fraction of RAM (0.4) or a size (2GB)"},
    {"disk_free_limit.absolute", "--disk-free-limit", &Config::disk_free_limit,
     "Block publishers below this much free disk (default 50MB)"},
    {"queue_memory_budget", "--queue-memory-budget", &Config::queue_memory_budget,
     "Message bodies kept in memory across queues before paging to disk (default: half the "
     "memory high watermark)"},
    {"queue_stored_resident", "--queue-stored-resident", &Config::queue_stored_resident,
     "Per queue, bodies already in the message log kept in memory (default 8MiB)"},
    {"message_log.segment_size", "--log-segment-size", &Config::log_segment_size,
     "Message log segment file size (default 64MiB)"},
    {"", "--detached", &Config::detached, "Run in the background (as rabbitmq-server -detached)"},
    {"", "--pid-file", &Config::pid_file, "Write the process id here"},
};

template <class T>
T parse_number(std::string_view flag, std::string_view text) {
    T value{};
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || p != text.data() + text.size())
        throw std::runtime_error("invalid value '" + std::string(text) + "' for " +
                                 std::string(flag));
    return value;
}

void assign(Config& c, const Option& opt, std::string_view value) {
    std::visit(
        [&](auto member) {
            using T = std::decay_t<decltype(c.*member)>;
            if constexpr (std::is_same_v<T, std::string>) {
                c.*member = std::string(value);
            } else if constexpr (std::is_same_v<T, bool>) {
                c.*member = true;
            } else {
                c.*member = parse_number<T>(opt.flag, value);
            }
        },
        opt.target);
}

bool takes_value(const Option& opt) { return !std::holds_alternative<bool Config::*>(opt.target); }

}  // namespace

std::string help_text() {
    std::string out =
        "Usage: warren-server [options]\n\nWarren, an AMQP 0-9-1 message broker.\n\nOptions:\n";
    for (const Option& o : kOptions) {
        std::string left = std::string("  ") + o.flag + (takes_value(o) ? " VALUE" : "");
        if (left.size() < 28) left.resize(28, ' ');
        out += left + " " + o.help + "\n";
    }
    out += "  --help                     Show this help\n";
    return out;
}

ParseOutcome parse_command_line(int argc, char** argv, Config& config) {
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::fputs(help_text().c_str(), stdout);
            return ParseOutcome::ExitOk;
        }
        // rabbitmq-server's spelling of --detached.
        if (arg == "-detached") arg = "--detached";
        std::string_view name = arg, value;
        bool inline_value = false;
        if (auto eq = arg.find('='); eq != std::string_view::npos) {
            name = arg.substr(0, eq);
            value = arg.substr(eq + 1);
            inline_value = true;
        }
        const Option* found = nullptr;
        for (const Option& o : kOptions)
            if (name == o.flag) found = &o;
        if (!found) throw std::runtime_error("unknown option '" + std::string(name) + "' (see --help)");
        if (takes_value(*found) && !inline_value) {
            if (i + 1 >= argc) throw std::runtime_error(std::string(name) + " needs a value");
            value = argv[++i];
        }
        assign(config, *found, value);
    }
    return ParseOutcome::Run;
}

}  // namespace warren::config
