#pragma once

#include <cstdint>
#include <string>

namespace warren::conn {

/// RabbitMQ's memory and disk alarms: while the broker's RSS is above the memory high
/// watermark, or free space on the data directory's filesystem below the disk free limit,
/// publishing connections are blocked (connection.blocked, then not read from) until the
/// alarm clears. Checked on the Server's sweep.
class ResourceAlarms {
public:
    /// `memory_limit_bytes` and `disk_free_limit_bytes` as resolved from the config.
    ResourceAlarms(std::string data_dir, uint64_t memory_limit_bytes,
                   uint64_t disk_free_limit_bytes);

    /// Re-reads RSS and free disk space; returns true when the alarm state changed.
    bool check();
    bool active() const { return memory_alarm_ || disk_alarm_; }
    /// connection.blocked's reason, as RabbitMQ words it.
    std::string reason() const;

    uint64_t memory_limit() const { return memory_limit_; }
    uint64_t disk_free_limit() const { return disk_free_limit_; }

    static uint64_t resident_bytes();
    static uint64_t total_memory_bytes();
    /// "0.4" or "1.5" (a fraction of RAM), "1GB", "512MiB", "50000000"; 0 and false when
    /// invalid.
    static bool parse_size(const std::string& text, uint64_t total, uint64_t& out);

private:
    std::string data_dir_;
    uint64_t memory_limit_;
    uint64_t disk_free_limit_;
    bool memory_alarm_ = false;
    bool disk_alarm_ = false;
};

}  // namespace warren::conn
