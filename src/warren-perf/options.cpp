#include "warren-perf/options.h"

#include <unistd.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string_view>

namespace warren::perf {
namespace {

using Setter = std::string (*)(Options&, std::string_view);

/// One command-line flag. `value` names its argument for --help; empty means a switch.
struct Flag {
    const char* short_name;  // "-x" or ""
    const char* long_name;   // "--producers"
    const char* value;
    Setter set;
    const char* help;
};

template <class T>
std::string parse_uint(std::string_view v, T& out, const char* what) {
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || end != v.data() + v.size() ||
        n > uint64_t{std::numeric_limits<T>::max()}) {
        return std::string("bad ") + what + " '" + std::string(v) + "'";
    }
    out = static_cast<T>(n);
    return {};
}

std::string parse_int(std::string_view v, int& out, const char* what) {
    uint32_t n = 0;
    if (auto err = parse_uint(v, n, what); !err.empty()) return err;
    if (n > 1'000'000) return std::string(what) + " too large";
    out = static_cast<int>(n);
    return {};
}

std::string parse_seconds(std::string_view v, double& out, const char* what) {
    std::string s(v);
    char* end = nullptr;
    double d = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(d) || d < 0) {
        return std::string("bad ") + what + " '" + s + "'";
    }
    out = d;
    return {};
}

std::string parse_bool(std::string_view v, bool& out, const char* what) {
    if (v == "true" || v == "1" || v == "yes") {
        out = true;
    } else if (v == "false" || v == "0" || v == "no") {
        out = false;
    } else {
        return std::string("bad ") + what + " '" + std::string(v) + "' (true or false)";
    }
    return {};
}

const Flag kFlags[] = {
    {"-h", "--uri", "URI",
     [](Options& o, std::string_view v) {
         std::string why;
         auto uri = AmqpUri::parse(v, why);
         if (!uri) return "bad URI '" + std::string(v) + "': " + why;
         o.uri = *uri;
         o.uri_text = std::string(v);
         return std::string();
     },
     "amqp://user:pass@host:port/vhost (default amqp://guest:guest@127.0.0.1:5672/%2F)"},
    {"-x", "--producers", "N",
     [](Options& o, std::string_view v) {
         o.producers_set = true;
         return parse_int(v, o.producers, "producer count");
     },
     "producers, one thread and connection each (default 1)"},
    {"-y", "--consumers", "N",
     [](Options& o, std::string_view v) {
         o.consumers_set = true;
         return parse_int(v, o.consumers, "consumer count");
     },
     "consumers, one thread and connection each (default 1)"},
    {"-s", "--size", "BYTES",
     [](Options& o, std::string_view v) { return parse_uint(v, o.body_size, "body size"); },
     "message body size (default 12: 8-byte send time plus 4-byte marker)"},
    {"-z", "--time", "SECONDS",
     [](Options& o, std::string_view v) { return parse_seconds(v, o.duration_s, "duration"); },
     "run time limit"},
    {"-C", "--pmessages", "N",
     [](Options& o, std::string_view v) { return parse_uint(v, o.publish_count, "publish count"); },
     "messages to publish per producer"},
    {"-D", "--cmessages", "N",
     [](Options& o, std::string_view v) { return parse_uint(v, o.consume_count, "consume count"); },
     "messages to consume per consumer"},
    {"-r", "--rate", "MSG/S",
     [](Options& o, std::string_view v) { return parse_seconds(v, o.rate, "rate"); },
     "publish rate limit per producer (default unlimited)"},
    {"-q", "--qos", "N",
     [](Options& o, std::string_view v) {
         return parse_uint(v, o.prefetch_count, "prefetch count");
     },
     "consumer prefetch count (default 0: unlimited)"},
    {"-c", "--confirm", "N",
     [](Options& o, std::string_view v) {
         auto err = parse_uint(v, o.max_outstanding_confirms, "confirm window");
         if (err.empty() && o.max_outstanding_confirms == 0) return std::string("-c must be > 0");
         return err;
     },
     "publisher confirms, at most N outstanding per producer"},
    {"-f", "--flag", "FLAG",
     [](Options& o, std::string_view v) {
         if (v == "persistent") {
             o.persistent = true;
         } else if (v == "mandatory") {
             o.mandatory = true;
         } else {
             return "bad flag '" + std::string(v) + "' (persistent or mandatory)";
         }
         return std::string();
     },
     "persistent (delivery_mode 2, durable queue) or mandatory; repeatable"},
    {"-a", "--autoack", "",
     [](Options& o, std::string_view) {
         o.auto_ack = true;
         return std::string();
     },
     "consume with no_ack"},
    {"-A", "--multi-ack-every", "N",
     [](Options& o, std::string_view v) {
         return parse_uint(v, o.multi_ack_every, "multi-ack count");
     },
     "ack with multiple=true every N deliveries (default: ack each)"},
    {"-u", "--queue", "NAME",
     [](Options& o, std::string_view v) {
         o.queue = std::string(v);
         return std::string();
     },
     "queue name (default warren-perf-<pid>)"},
    {"-e", "--exchange", "NAME",
     [](Options& o, std::string_view v) {
         o.exchange = std::string(v);
         return std::string();
     },
     "exchange to publish to (default: the default exchange)"},
    {"-t", "--type", "TYPE",
     [](Options& o, std::string_view v) {
         o.exchange_type = std::string(v);
         return std::string();
     },
     "exchange type, when -e names one to declare (default direct)"},
    {"", "--delayed-type", "TYPE",
     [](Options& o, std::string_view v) {
         o.delayed_type = std::string(v);
         return std::string();
     },
     "x-delayed-type of a -t x-delayed-message exchange (default direct)"},
    {"", "--delay-lead", "SECONDS",
     [](Options& o, std::string_view v) {
         if (o.delay_spread_s < 0) o.delay_spread_s = 0;
         return parse_seconds(v, o.delay_lead_s, "--delay-lead");
     },
     "publish with x-delay: messages fall due from this long after the start; latency is then "
     "receipt minus due time"},
    {"", "--delay-spread", "SECONDS",
     [](Options& o, std::string_view v) {
         return parse_seconds(v, o.delay_spread_s, "--delay-spread");
     },
     "... at random times spread over this many seconds (default 0)"},
    {"-k", "--routing-key", "KEY",
     [](Options& o, std::string_view v) {
         o.routing_key = std::string(v);
         return std::string();
     },
     "routing and binding key (default: the queue's name)"},
    {"", "--queue-pattern", "PATTERN",
     [](Options& o, std::string_view v) {
         if (v.find("%d") == std::string_view::npos) {
             return std::string("--queue-pattern needs a %d");
         }
         o.queue_pattern = std::string(v);
         return std::string();
     },
     "queue names, e.g. 'perf-%d'; producers and consumers spread over them"},
    {"", "--queue-pattern-from", "N",
     [](Options& o, std::string_view v) {
         return parse_int(v, o.queue_pattern_from, "--queue-pattern-from");
     },
     "first number for --queue-pattern (default 1)"},
    {"", "--queue-pattern-to", "N",
     [](Options& o, std::string_view v) {
         return parse_int(v, o.queue_pattern_to, "--queue-pattern-to");
     },
     "last number for --queue-pattern"},
    {"", "--auto-delete", "BOOL",
     [](Options& o, std::string_view v) { return parse_bool(v, o.auto_delete, "--auto-delete"); },
     "declare queues auto-delete and delete them at exit (default true)"},
    {"", "--json", "",
     [](Options& o, std::string_view) {
         o.json = true;
         return std::string();
     },
     "final summary as one JSON object on stdout (progress goes to stderr)"},
    {"", "--fill", "N",
     [](Options& o, std::string_view v) {
         o.mode = Mode::Fill;
         auto err = parse_uint(v, o.fill_count, "--fill count");
         if (err.empty() && o.fill_count == 0) return std::string("--fill must be > 0");
         return err;
     },
     "publish N messages with confirms, then time draining them"},
    {"", "--idle-connections", "K",
     [](Options& o, std::string_view v) {
         o.mode = Mode::Idle;
         return parse_uint(v, o.idle_connections, "--idle-connections");
     },
     "open K idle connections and hold them for -z seconds"},
    {"", "--idle-channels", "M",
     [](Options& o, std::string_view v) {
         return parse_uint(v, o.idle_channels, "--idle-channels");
     },
     "channels per idle connection (default 1)"},
    {"", "--idle-queues", "Q",
     [](Options& o, std::string_view v) { return parse_uint(v, o.idle_queues, "--idle-queues"); },
     "queues declared over the idle channels (default 0)"},
    {"", "--churn", "",
     [](Options& o, std::string_view) {
         o.mode = Mode::Churn;
         return std::string();
     },
     "loop connect, declare, publish one, close; reports connections/s"},
    {"", "--stall-timeout", "SECONDS",
     [](Options& o, std::string_view v) {
         return parse_seconds(v, o.stall_timeout_s, "--stall-timeout");
     },
     "give up (exit 1) when nothing moves for this long (default 30)"},
};

const Flag* find_flag(std::string_view name) {
    for (const Flag& f : kFlags) {
        if (name == f.long_name || (f.short_name[0] != '\0' && name == f.short_name)) return &f;
    }
    return nullptr;
}

std::string validate(Options& o) {
    if (!o.queue_pattern.empty() && o.queue_pattern_to < o.queue_pattern_from) {
        return "--queue-pattern needs --queue-pattern-to >= --queue-pattern-from";
    }
    if (o.mode == Mode::Fill && !o.consumers_set) o.consumers = 1;
    if (o.mode == Mode::Load && o.producers == 0 && o.consumers == 0) {
        return "nothing to do: -x 0 and -y 0";
    }
    if ((o.mode == Mode::Fill || o.mode == Mode::Churn) && o.producers == 0) {
        return "this mode needs -x >= 1";
    }
    if (o.mode == Mode::Fill && o.consumers == 0) return "--fill needs -y >= 1";
    if (o.is_delayed() && o.mode != Mode::Load) return "--delay-lead/--delay-spread: load mode only";
    if (o.is_delayed() && o.body_size < 12) return "--delay-lead/--delay-spread need -s >= 12";
    if (o.mode == Mode::Idle && o.idle_connections == 0) return "--idle-connections must be > 0";
    if (o.mode == Mode::Idle && o.idle_channels > 65535) return "--idle-channels too large";
    if (o.prefetch_count > 0 && o.multi_ack_every > o.prefetch_count) {
        // Waiting for more deliveries than the prefetch window allows would stall forever.
        o.multi_ack_every = o.prefetch_count;
    }
    bool bounded =
        o.duration_s > 0 || o.publish_count > 0 || o.consume_count > 0 || o.mode == Mode::Fill;
    if (o.mode == Mode::Idle) bounded = o.duration_s > 0;
    if (!bounded) {
        o.duration_s = 10;
        o.duration_defaulted = true;
    }
    return {};
}

}  // namespace

std::vector<std::string> Options::queue_names() const {
    std::vector<std::string> names;
    if (!queue_pattern.empty()) {
        auto at = queue_pattern.find("%d");
        for (int i = queue_pattern_from; i <= queue_pattern_to; ++i) {
            std::string name = queue_pattern;
            name.replace(at, 2, std::to_string(i));
            names.push_back(std::move(name));
        }
    } else if (!queue.empty()) {
        names.push_back(queue);
    } else {
        names.push_back("warren-perf-" + std::to_string(getpid()));
    }
    return names;
}

ParsedOptions parse_options(int argc, char** argv) {
    ParsedOptions result;
    Options o;
    std::string why;
    o.uri = *AmqpUri::parse(kDefaultUri, why);
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-?") {
            result.help = true;
            return result;
        }
        std::string_view name = arg;
        std::string_view value;
        bool has_value = false;
        if (arg.starts_with("--")) {
            if (auto eq = arg.find('='); eq != std::string_view::npos) {
                name = arg.substr(0, eq);
                value = arg.substr(eq + 1);
                has_value = true;
            }
        } else if (arg.size() > 2 && arg[0] == '-') {
            name = arg.substr(0, 2);  // -x1, as PerfTest's users type it
            value = arg.substr(2);
            has_value = true;
        }
        const Flag* flag = find_flag(name);
        if (!flag) {
            result.error = "unknown option '" + std::string(arg) + "' (see --help)";
            return result;
        }
        bool takes_value = flag->value[0] != '\0';
        if (!takes_value && has_value) {
            result.error = std::string(name) + " takes no value";
            return result;
        }
        if (takes_value && !has_value) {
            if (i + 1 >= argc) {
                result.error = std::string(name) + " needs a value (" + flag->value + ")";
                return result;
            }
            value = argv[++i];
        }
        if (std::string err = flag->set(o, value); !err.empty()) {
            result.error = err;
            return result;
        }
    }
    if (std::string err = validate(o); !err.empty()) {
        result.error = err;
        return result;
    }
    result.options = std::move(o);
    return result;
}

std::string usage() {
    std::string text =
        "usage: warren-perf [options]\n"
        "AMQP 0-9-1 load generator; flags follow RabbitMQ's PerfTest.\n"
        "Every run is bounded: by -z, by -C/-D (default: -z 10). Consumers also stop once\n"
        "every producer has finished and nothing has arrived for 2 s. Exits 1 on a\n"
        "connection or protocol error, printing the broker's reply code and text.\n\n";
    for (const Flag& f : kFlags) {
        std::string left = "  ";
        if (f.short_name[0] != '\0') left += std::string(f.short_name) + ", ";
        left += f.long_name;
        if (f.value[0] != '\0') left += std::string(" ") + f.value;
        if (left.size() < 34)
            left.resize(34, ' ');
        else
            left += "\n" + std::string(34, ' ');
        text += left + f.help + "\n";
    }
    text += "  --help                          this text\n";
    return text;
}

}  // namespace warren::perf
