#pragma once

#include "warren-perf/amqp_uri.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace warren::perf {

enum class Mode : uint8_t { Load, Fill, Idle, Churn };

/// Everything the command line says. Flag names follow RabbitMQ's PerfTest where it has one.
struct Options {
    std::string uri_text{kDefaultUri};
    AmqpUri uri;
    Mode mode = Mode::Load;

    int producers = 1;
    int consumers = 1;
    uint32_t body_size = 12;
    double duration_s = 0;  // 0: bounded by counts instead
    uint64_t publish_count = 0;
    uint64_t consume_count = 0;
    double rate = 0;  // per producer, msg/s; 0: unlimited
    uint16_t prefetch_count = 0;
    uint32_t max_outstanding_confirms = 0;  // 0: no confirm.select
    bool persistent = false;
    bool mandatory = false;
    bool auto_ack = false;
    uint32_t multi_ack_every = 0;  // 0 or 1: ack each delivery

    std::string queue;  // empty: warren-perf-<pid>
    std::string exchange;
    std::string exchange_type = "direct";
    std::string delayed_type = "direct";  // x-delayed-type when -t x-delayed-message
    /// x-delay: each message falls due at a random time within [start + lead, + spread]
    /// (wall clock); the body carries that due time. Off while delay_spread_s < 0.
    double delay_lead_s = 0;
    double delay_spread_s = -1;
    std::string routing_key;  // empty: the queue's name
    std::string queue_pattern;
    int queue_pattern_from = 1;
    int queue_pattern_to = 0;
    bool auto_delete = true;

    bool json = false;
    uint64_t fill_count = 0;
    uint32_t idle_connections = 0;
    uint32_t idle_channels = 1;
    uint32_t idle_queues = 0;
    double stall_timeout_s = 30;

    bool producers_set = false;
    bool consumers_set = false;
    bool duration_defaulted = false;

    bool is_delayed() const { return delay_spread_s >= 0; }
    /// The queue names this run uses: --queue-pattern expanded, else -u, else a per-process name.
    std::vector<std::string> queue_names() const;
};

struct ParsedOptions {
    std::optional<Options> options;
    std::string error;  // set when options is empty and help is false
    bool help = false;
};

ParsedOptions parse_options(int argc, char** argv);
std::string usage();

}  // namespace warren::perf
