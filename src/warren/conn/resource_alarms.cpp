#include "warren/conn/resource_alarms.h"

#include "warren/config/byte_size.h"
#include "warren/util/log.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>

namespace warren::conn {

ResourceAlarms::ResourceAlarms(std::string data_dir, uint64_t memory_limit_bytes,
                               uint64_t disk_free_limit_bytes)
    : data_dir_(std::move(data_dir)), memory_limit_(memory_limit_bytes),
      disk_free_limit_(disk_free_limit_bytes) {}

uint64_t ResourceAlarms::resident_bytes() {
    FILE* f = std::fopen("/proc/self/statm", "r");
    if (!f) return 0;
    unsigned long long size = 0, resident = 0;
    int n = std::fscanf(f, "%llu %llu", &size, &resident);
    std::fclose(f);
    return n == 2 ? resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE)) : 0;
}

uint64_t ResourceAlarms::total_memory_bytes() {
    return static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) *
           static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

bool ResourceAlarms::parse_size(const std::string& text, uint64_t total, uint64_t& out) {
    // A unit-less decimal with a point is a fraction of RAM ("0.4", "1.5"), as written by
    // the config's .relative keys; anything else is an absolute size ("50MB", "2GB").
    if (text.find('.') != std::string::npos) {
        if (auto ratio = config::parse_ratio(text)) {
            out = static_cast<uint64_t>(*ratio * static_cast<double>(total));
            return true;
        }
    }
    auto bytes = config::parse_byte_size(text);
    out = bytes.value_or(0);
    return bytes.has_value();
}

std::string ResourceAlarms::reason() const {
    if (memory_alarm_ && disk_alarm_) return "low on memory, low on disk";
    if (memory_alarm_) return "low on memory";
    return "low on disk";
}

bool ResourceAlarms::check() {
    bool was = active();
    auto& log = util::logger("alarm");
    uint64_t rss = resident_bytes();
    bool memory = memory_limit_ != 0 && rss > memory_limit_;
    if (memory != memory_alarm_) {
        memory_alarm_ = memory;
        if (memory)
            log.warn("memory alarm set: resident memory {} bytes is above the high watermark {}; "
                     "publishers are blocked",
                     rss, memory_limit_);
        else
            log.info("memory alarm cleared: resident memory {} bytes", rss);
    }
    struct statvfs st {};
    if (statvfs(data_dir_.c_str(), &st) == 0) {
        uint64_t free_bytes = static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
        bool disk = free_bytes < disk_free_limit_;
        if (disk != disk_alarm_) {
            disk_alarm_ = disk;
            if (disk)
                log.warn("disk alarm set: {} bytes free on {}, below the limit {}; publishers "
                         "are blocked",
                         free_bytes, data_dir_, disk_free_limit_);
            else
                log.info("disk alarm cleared: {} bytes free on {}", free_bytes, data_dir_);
        }
    }
    return was != active();
}

}  // namespace warren::conn
