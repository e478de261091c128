#pragma once

#include <cstdint>
#include <string>

namespace warren::config {

/// Every setting of the broker. Built once in main from options.cpp's table and passed
/// down by const reference; defaults follow RabbitMQ 3.10 where it has the setting.
struct Config {
    uint16_t port = 5672;
    std::string bind;  // empty: every interface, IPv4 and IPv6
    std::string data_dir = "./data";
    std::string log_level = "info";
    uint64_t max_message_size = 128ull * 1024 * 1024;
    uint32_t heartbeat_s = 60;
    uint32_t frame_max = 131072;
    uint32_t channel_max = 2047;
    uint32_t handshake_timeout_ms = 10000;
    std::string default_user = "guest";
    std::string default_pass = "guest";
    std::string default_vhost = "/";
    std::string load_definitions;
    std::string memory_high_watermark = "0.4";  // fraction of RAM, or an absolute size
    std::string disk_free_limit = "50MB";
    // Message bodies queues may hold in memory before paging to disk: a size, a fraction
    // of RAM, or empty for half the memory high watermark.
    std::string queue_memory_budget;
    // Per queue, bodies the message log already holds kept in memory (the rest are read
    // back on demand).
    std::string queue_stored_resident = "8MiB";
    // Message log segment size: space is reclaimed a segment at a time.
    std::string log_segment_size = "64MiB";
    bool detached = false;
    std::string pid_file;
};

}  // namespace warren::config
