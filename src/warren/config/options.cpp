#include "warren/config/options.h"

#include "warren/config/byte_size.h"
#include "warren/config/config_file.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <type_traits>

namespace warren::config {
namespace {

/// A setter's input: the value and, for a key with a `$name` segment, what it matched.
struct Arg {
    std::string_view value;
    std::string_view name;
};

/// Thrown by setters; the caller adds which key or flag and the value.
struct BadValue {
    std::string why;
};

using Setter = void (*)(Config&, const Arg&);

/// One setting: its rabbitmq.conf key, its flag, how to set it and its help. From this
/// table come the file parser, the command line and --help (STYLE.md §7).
struct Option {
    const char* key;         // "" when file-less; a "$name" segment matches any one segment
    const char* flag;        // "" when flag-less
    const char* value_name;  // shown in --help; nullptr: a switch (--flag means true)
    Setter set;
    const char* help;
};

template <class T>
T parse_whole(std::string_view text) {
    T value{};
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || p != text.data() + text.size() || text.empty()) throw BadValue{};
    return value;
}

bool parse_bool(std::string_view text) {
    if (text == "true") return true;
    if (text == "false") return false;
    throw BadValue{"expected true or false"};
}

template <auto M>
void set_text(Config& c, const Arg& a) {
    c.*M = std::string(a.value);
}

template <auto M>
void set_whole(Config& c, const Arg& a) {
    using T = std::remove_reference_t<decltype(c.*M)>;
    c.*M = parse_whole<T>(a.value);
}

template <auto M>
void set_bool(Config& c, const Arg& a) {
    c.*M = parse_bool(a.value);
}

/// "5672", "127.0.0.1:5672", "::1:5672" or "[::1]:5672", as RabbitMQ's listeners.*.
void parse_listener(std::string_view v, uint16_t& port, std::string& address) {
    size_t colon = v.rfind(':');
    if (colon == std::string_view::npos) {
        port = parse_whole<uint16_t>(v);
        return;
    }
    std::string_view host = v.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    if (host.empty()) throw BadValue{"expected PORT or ADDRESS:PORT"};
    port = parse_whole<uint16_t>(v.substr(colon + 1));
    address = std::string(host);
}

void set_tcp_listener(Config& c, const Arg& a) { parse_listener(a.value, c.port, c.bind); }
void set_tls_listener(Config& c, const Arg& a) { parse_listener(a.value, c.tls_port, c.tls_bind); }

void set_max_message_size(Config& c, const Arg& a) {
    // RabbitMQ refuses more than 512 MiB.
    constexpr uint64_t kLimit = 512ull * 1024 * 1024;
    auto size = parse_byte_size(a.value);
    if (!size) throw BadValue{"expected a size in bytes such as 134217728 or 128MiB"};
    if (*size > kLimit) throw BadValue{"at most 536870912 (512 MiB), as RabbitMQ"};
    c.max_message_size = *size;
}

void set_frame_max(Config& c, const Arg& a) {
    uint32_t v = parse_whole<uint32_t>(a.value);
    if (v < 4096) throw BadValue{"at least 4096, the AMQP 0-9-1 frame-min-size"};
    c.frame_max = v;
}

void set_consumer_timeout(Config& c, const Arg& a) {
    // rabbit.schema: a non_zero_positive_integer.
    uint64_t v = parse_whole<uint64_t>(a.value);
    if (v == 0) throw BadValue{"a positive number of milliseconds"};
    c.consumer_timeout_ms = v;
}

void set_channel_max(Config& c, const Arg& a) {
    uint32_t v = parse_whole<uint32_t>(a.value);
    if (v > 65535) throw BadValue{"0 to 65535"};
    c.channel_max = v == 0 ? 65535 : v;  // RabbitMQ: 0 means no limit but the protocol's
}

std::string checked_log_level(std::string_view v) {
    for (const char* ok : {"trace", "debug", "info", "warning", "warn", "error", "critical", "none"})
        if (v == ok) return std::string(v);
    throw BadValue{"expected debug, info, warning, error, critical or none"};
}

void set_log_level(Config& c, const Arg& a) { c.log_level = checked_log_level(a.value); }
void set_log_file_level(Config& c, const Arg& a) {
    c.log_file_level = checked_log_level(a.value);
}

/// A fraction of RAM is kept as a decimal with a point, which is how ResourceAlarms tells
/// it from an absolute size.
std::string ratio_text(std::string_view v) {
    auto ratio = parse_ratio(v);
    if (!ratio) throw BadValue{"expected a number such as 0.4"};
    std::string text(v);
    if (text.find('.') == std::string::npos) text += ".0";
    return text;
}

std::string size_text(std::string_view v) {
    if (!parse_byte_size(v)) throw BadValue{"expected a size such as 2GB, 512MiB or 1073741824"};
    return std::string(v);
}

std::string ratio_or_size_text(std::string_view v) {
    if (v.find('.') != std::string_view::npos && parse_ratio(v)) return std::string(v);
    if (parse_byte_size(v)) return std::string(v);
    throw BadValue{"expected a fraction such as 0.4 or a size such as 2GB"};
}

void set_memory_relative(Config& c, const Arg& a) { c.memory_high_watermark = ratio_text(a.value); }
void set_memory_absolute(Config& c, const Arg& a) { c.memory_high_watermark = size_text(a.value); }
void set_memory(Config& c, const Arg& a) { c.memory_high_watermark = ratio_or_size_text(a.value); }
void set_disk_relative(Config& c, const Arg& a) { c.disk_free_limit = ratio_text(a.value); }
void set_disk_absolute(Config& c, const Arg& a) { c.disk_free_limit = size_text(a.value); }
void set_disk(Config& c, const Arg& a) { c.disk_free_limit = ratio_or_size_text(a.value); }
void set_queue_memory_budget(Config& c, const Arg& a) {
    c.queue_memory_budget = ratio_or_size_text(a.value);
}
void set_queue_stored_resident(Config& c, const Arg& a) {
    c.queue_stored_resident = size_text(a.value);
}
void set_log_segment_size(Config& c, const Arg& a) {
    auto size = parse_byte_size(a.value);
    if (!size || *size < 4096 || *size > (1ull << 31))
        throw BadValue{"expected a size from 4KiB to 2GiB, such as 64MiB"};
    c.log_segment_size = std::string(a.value);
}

/// `loopback_users = none` (RabbitMQ), or on the command line a comma-separated list.
void set_loopback_users(Config& c, const Arg& a) {
    c.loopback_users.clear();
    if (a.value == "none") return;
    std::string_view rest = a.value;
    while (!rest.empty()) {
        size_t comma = rest.find(',');
        std::string_view name = rest.substr(0, comma);
        if (name.empty()) throw BadValue{"expected none or NAME[,NAME...]"};
        c.loopback_users.emplace_back(name);
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        if (comma != std::string_view::npos && rest.empty())
            throw BadValue{"expected none or NAME[,NAME...]"};
    }
}

/// loopback_users.NAME = true adds NAME, = false removes it (RabbitMQ).
void set_loopback_user(Config& c, const Arg& a) {
    bool add = parse_bool(a.value);
    auto& users = c.loopback_users;
    users.erase(std::remove(users.begin(), users.end(), a.name), users.end());
    if (add) users.emplace_back(a.name);
}

void set_verify(Config& c, const Arg& a) {
    if (a.value == "verify_peer") c.tls_verify_peer = true;
    else if (a.value == "verify_none") c.tls_verify_peer = false;
    else throw BadValue{"expected verify_peer or verify_none"};
}

const Option kOptions[] = {
    {"", "--config", "FILE", nullptr,
     "Config file in rabbitmq.conf format (default ./warren.conf if present)"},
    {"listeners.tcp.default", "--port", "PORT", set_tcp_listener,
     "AMQP listener port (default 5672); in the file PORT or ADDRESS:PORT"},
    {"", "--bind", "ADDRESS", set_text<&Config::bind>,
     "Address to listen on (default: every interface, IPv4 and IPv6)"},
    {"data_dir", "--data-dir", "DIR", set_text<&Config::data_dir>,
     "Data directory (default ./data)"},
    {"log.console.level", "--log-level", "LEVEL", set_log_level,
     "debug, info, warning, error, critical or none (default info)"},
    {"log.level", "", "LEVEL", set_log_level, "Same as log.console.level"},
    {"log.file.level", "", "LEVEL", set_log_file_level,
     "Level when detached, logging to <data dir>/warren.log (default: log.console.level)"},
    {"max_message_size", "--max-message-size", "BYTES", set_max_message_size,
     "Largest message body accepted (default 134217728, at most 512MiB)"},
    {"heartbeat", "--heartbeat", "SECONDS", set_whole<&Config::heartbeat_s>,
     "Heartbeat offered in connection.tune, 0 for none (default 60)"},
    {"frame_max", "--frame-max", "BYTES", set_frame_max,
     "Largest frame offered in connection.tune (default 131072)"},
    {"channel_max", "--channel-max", "N", set_channel_max,
     "Channels per connection offered in connection.tune (default 2047)"},
    {"handshake_timeout", "--handshake-timeout", "MS", set_whole<&Config::handshake_timeout_ms>,
     "Time to finish the AMQP handshake, TLS included (default 10000)"},
    {"ssl_handshake_timeout", "--tls-handshake-timeout", "MS",
     set_whole<&Config::tls_handshake_timeout_ms>,
     "Time to finish the TLS handshake (default 5000)"},
    {"consumer_timeout", "--consumer-timeout", "MS", set_consumer_timeout,
     "A delivery unacknowledged this long closes its channel (default 1800000, 30 minutes)"},
    {"default_user", "--default-user", "NAME", set_text<&Config::default_user>,
     "User created on first start (default guest)"},
    {"default_pass", "--default-pass", "PASSWORD", set_text<&Config::default_pass>,
     "Its password (default guest); stored hashed, never logged"},
    {"default_vhost", "--default-vhost", "VHOST", set_text<&Config::default_vhost>,
     "Vhost created on first start (default /)"},
    {"loopback_users", "--loopback-users", "NAMES", set_loopback_users,
     "Users allowed only from localhost: none or NAME,NAME (default guest)"},
    {"loopback_users.$name", "", "BOOL", set_loopback_user,
     "true: NAME may log in only from localhost; false: from anywhere"},
    {"load_definitions", "--load-definitions", "FILE", set_text<&Config::load_definitions>,
     "RabbitMQ definitions JSON (users, vhosts, permissions) to import at start"},
    {"vm_memory_high_watermark.relative", "", "RATIO", set_memory_relative,
     "Block publishers above this fraction of RAM (default 0.4)"},
    {"vm_memory_high_watermark.absolute", "", "SIZE", set_memory_absolute,
     "Block publishers above this much memory (2GB, 512MiB)"},
    {"", "--memory-high-watermark", "RATIO|SIZE", set_memory,
     "Memory high watermark: a fraction of RAM (0.4) or a size (2GB) "
     "[vm_memory_high_watermark.relative, .absolute]"},
    {"disk_free_limit.absolute", "", "SIZE", set_disk_absolute,
     "Block publishers below this much free disk (default 50MB)"},
    {"disk_free_limit.relative", "", "RATIO", set_disk_relative,
     "Block publishers below this multiple of RAM free on disk (1.0)"},
    {"", "--disk-free-limit", "SIZE|RATIO", set_disk,
     "Disk free limit: a size (50MB) or a multiple of RAM (1.0) "
     "[disk_free_limit.absolute, .relative]"},
    {"listeners.ssl.default", "--tls-port", "PORT", set_tls_listener,
     "amqps (TLS) listener port, usually 5671 (default: none); in the file PORT or "
     "ADDRESS:PORT"},
    {"ssl_options.certfile", "--tls-cert", "FILE", set_text<&Config::tls_cert_file>,
     "Server certificate (PEM, may hold the chain)"},
    {"ssl_options.keyfile", "--tls-key", "FILE", set_text<&Config::tls_key_file>,
     "Its private key (PEM)"},
    {"ssl_options.password", "", "PASSWORD", set_text<&Config::tls_key_password>,
     "Password of an encrypted keyfile; never logged"},
    {"ssl_options.cacertfile", "--tls-ca-cert", "FILE", set_text<&Config::tls_cacert_file>,
     "CA certificates (PEM) that client certificates are verified against"},
    {"ssl_options.verify", "--tls-verify", "MODE", set_verify,
     "verify_peer (ask for and check client certificates) or verify_none (default)"},
    {"ssl_options.fail_if_no_peer_cert", "--tls-fail-if-no-peer-cert", nullptr,
     set_bool<&Config::tls_fail_if_no_peer_cert>,
     "With verify_peer: refuse clients without a certificate (default false)"},
    {"queue_memory_budget", "--queue-memory-budget", "RATIO|SIZE", set_queue_memory_budget,
     "Message bodies queues keep in memory before paging to disk: a fraction of RAM or a "
     "size (default: half the memory high watermark)"},
    {"queue_stored_resident", "--queue-stored-resident", "SIZE", set_queue_stored_resident,
     "Per durable queue, bodies the message log holds that stay in memory (default 8MiB)"},
    {"message_log.segment_size", "--log-segment-size", "SIZE", set_log_segment_size,
     "Message log segment file size; space is reclaimed a segment at a time (default 64MiB)"},
    {"", "--detached", nullptr, set_bool<&Config::detached>,
     "Run in the background (as rabbitmq-server -detached)"},
    {"", "--pid-file", "FILE", set_text<&Config::pid_file>, "Write the process id here"},
};

bool is_switch(const Option& o) { return o.value_name == nullptr; }

/// Does `key` match the option key `pattern` ("loopback_users.$name")? Sets `name` to
/// what "$name" matched.
bool key_matches(std::string_view pattern, std::string_view key, std::string_view& name) {
    while (true) {
        size_t pd = pattern.find('.'), kd = key.find('.');
        std::string_view ps = pattern.substr(0, pd), ks = key.substr(0, kd);
        if (ps == "$name") {
            if (ks.empty()) return false;
            name = ks;
        } else if (ps != ks) {
            return false;
        }
        if (pd == std::string_view::npos || kd == std::string_view::npos)
            return pd == std::string_view::npos && kd == std::string_view::npos;
        pattern.remove_prefix(pd + 1);
        key.remove_prefix(kd + 1);
    }
}

std::string describe_bad_value(std::string_view what, std::string_view value,
                               const BadValue& bad) {
    std::string out = "invalid value '" + std::string(value) + "' for " + std::string(what);
    if (!bad.why.empty()) out += " (" + bad.why + ")";
    return out;
}

const Option* find_flag(std::string_view flag) {
    for (const Option& o : kOptions)
        if (*o.flag && flag == o.flag) return &o;
    return nullptr;
}

/// The value of --config, if given. Walks the arguments as the main pass does, so a
/// flag's value is never mistaken for a flag.
std::optional<std::string> config_flag(int argc, char** argv) {
    std::optional<std::string> path;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        std::string_view name = arg.substr(0, arg.find('='));
        const Option* o = find_flag(name);
        if (!o || is_switch(*o)) continue;
        bool inline_value = name.size() < arg.size();
        std::string_view value;
        if (inline_value) value = arg.substr(name.size() + 1);
        else if (i + 1 < argc) value = argv[++i];
        else throw std::runtime_error(std::string(name) + " needs a value");
        if (name == "--config") path = std::string(value);
    }
    return path;
}

}  // namespace

void apply_config_key(Config& config, std::string_view key, std::string_view value) {
    for (const Option& o : kOptions) {
        std::string_view name;
        if (!*o.key || !key_matches(o.key, key, name)) continue;
        try {
            o.set(config, Arg{value, name});
        } catch (const BadValue& bad) {
            throw std::invalid_argument(describe_bad_value(key, value, bad));
        }
        return;
    }
    throw std::invalid_argument("unknown key '" + std::string(key) + "'");
}

void validate(const Config& c) {
    if (c.tls_port != 0 && (c.tls_cert_file.empty() || c.tls_key_file.empty()))
        throw std::runtime_error(
            "the TLS listener (listeners.ssl.default, --tls-port) needs ssl_options.certfile "
            "and ssl_options.keyfile (--tls-cert, --tls-key)");
    if (c.tls_verify_peer && c.tls_cacert_file.empty())
        throw std::runtime_error(
            "ssl_options.verify = verify_peer needs ssl_options.cacertfile (--tls-ca-cert)");
    if (c.tls_fail_if_no_peer_cert && !c.tls_verify_peer)
        throw std::runtime_error(
            "ssl_options.fail_if_no_peer_cert = true needs ssl_options.verify = verify_peer");
}

std::string help_text() {
    std::string out =
        "Usage: warren-server [options]\n\nWarren, an AMQP 0-9-1 message broker.\n\n"
        "Options (the config file key, in rabbitmq.conf's format, in brackets; flags win over "
        "the file):\n";
    auto line = [&](std::string left, const Option& o) {
        if (left.size() < 34) left.resize(34, ' ');
        else left += "\n" + std::string(34, ' ');
        out += left + " " + o.help;
        if (*o.key) out += std::string(" [") + o.key + "]";
        out += "\n";
    };
    for (const Option& o : kOptions)
        if (*o.flag)
            line(std::string("  ") + o.flag + (is_switch(o) ? "" : std::string(" ") + o.value_name),
                 o);
    out += std::string("  --help").append(34 - 8, ' ') + " Show this help\n\n"
           "Config file keys without a flag:\n";
    for (const Option& o : kOptions)
        if (!*o.flag) {
            std::string key = o.key;
            if (auto d = key.find("$name"); d != std::string::npos) key.replace(d, 5, "NAME");
            line("  " + key + " = " + o.value_name, Option{"", "", "", nullptr, o.help});
        }
    return out;
}

ParseOutcome parse_command_line(int argc, char** argv, Config& config,
                                const std::string& default_config_file) {
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::fputs(help_text().c_str(), stdout);
            return ParseOutcome::ExitOk;
        }
    }
    // The file first, so that flags override it.
    if (auto path = config_flag(argc, argv)) {
        load_config_file(*path, config);
        config.config_file = *path;
    } else if (!default_config_file.empty() && std::filesystem::exists(default_config_file)) {
        load_config_file(default_config_file, config);
        config.config_file = default_config_file;
    }
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        // rabbitmq-server's spelling of --detached.
        if (arg == "-detached") arg = "--detached";
        std::string_view name = arg, value;
        bool inline_value = false;
        if (auto eq = arg.find('='); eq != std::string_view::npos) {
            name = arg.substr(0, eq);
            value = arg.substr(eq + 1);
            inline_value = true;
        }
        const Option* found = find_flag(name);
        if (!found) throw std::runtime_error("unknown option '" + std::string(name) + "' (see --help)");
        if (is_switch(*found)) {
            if (!inline_value) value = "true";
        } else if (!inline_value) {
            if (i + 1 >= argc) throw std::runtime_error(std::string(name) + " needs a value");
            value = argv[++i];
        }
        if (!found->set) continue;  // --config, read above
        try {
            found->set(config, Arg{value, {}});
        } catch (const BadValue& bad) {
            throw std::runtime_error(describe_bad_value(name, value, bad));
        }
    }
    validate(config);
    return ParseOutcome::Run;
}

}  // namespace warren::config
