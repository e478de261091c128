#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace warren::config {

/// Every setting of the broker. Built once in main from options.cpp's table (the config
/// file, then the command line) and passed down by const reference; defaults follow
/// RabbitMQ 3.10 where it has the setting.
struct Config {
    uint16_t port = 5672;
    std::string bind;  // empty: every interface, IPv4 and IPv6
    std::string data_dir = "./data";
    std::string log_level = "info";
    std::string log_file_level;  // when detached (logging to a file); empty: log_level
    uint64_t max_message_size = 128ull * 1024 * 1024;
    uint32_t heartbeat_s = 60;
    uint32_t frame_max = 131072;
    uint32_t channel_max = 2047;
    uint32_t handshake_timeout_ms = 10000;
    uint32_t tls_handshake_timeout_ms = 5000;  // RabbitMQ's ssl_handshake_timeout
    /// A delivery unacknowledged for longer closes its channel (PRECONDITION_FAILED);
    /// queues may set their own (x-consumer-timeout, policy consumer-timeout).
    uint64_t consumer_timeout_ms = 1800000;
    std::string default_user = "guest";
    std::string default_pass = "guest";
    std::string default_vhost = "/";
    /// Users who may log in only from a loopback address (RabbitMQ's loopback_users).
    std::vector<std::string> loopback_users{"guest"};
    std::string load_definitions;
    std::string memory_high_watermark = "0.4";  // fraction of RAM, or an absolute size
    std::string disk_free_limit = "50MB";       // absolute size, or a fraction of RAM
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

    /// The amqps listener (RabbitMQ's listeners.ssl.default); 0: none.
    uint16_t tls_port = 0;
    std::string tls_bind;  // empty: as `bind`
    std::string tls_cacert_file;
    std::string tls_cert_file;
    std::string tls_key_file;
    std::string tls_key_password;  // of an encrypted key file
    bool tls_verify_peer = false;  // ssl_options.verify = verify_peer
    bool tls_fail_if_no_peer_cert = false;

    /// The config file that was read, if any (for the start-up log).
    std::string config_file;
};

}  // namespace warren::config
