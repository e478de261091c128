#pragma once

#include "warren/net/event_loop.h"
#include "warren/store/location.h"
#include "warren/util/byte_buffer.h"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace warren::store {

/// Scratch space for message bodies paged out of memory that the message log does not
/// hold (transient messages, or any message of a non-durable queue): segment files under
/// data_dir/paging/, never synced and wiped at start-up, since nothing in them outlives
/// the process. Loop-thread only.
///
/// Writes are gathered and written at the end of the loop turn (or before a read needs
/// them). A segment is deleted once every body in it was read back or dropped.
class PageFile : private net::TurnTask {
public:
    static constexpr uint64_t kSegmentSize = 64ull * 1024 * 1024;

    /// Creates `dir`, removing whatever an earlier run left there.
    PageFile(net::EventLoop& loop, std::string dir);
    ~PageFile() override;

    /// Stores `head` then `data` as one blob; returns where.
    Location write(std::string_view head, std::string_view data);
    /// Reads `length` bytes at `offset` of `segment` (one pread for a run of blobs).
    bool read(uint32_t segment, uint32_t offset, uint32_t length, char* out);
    /// One blob of `segment` is no longer needed.
    void release(uint32_t segment);

    /// Bytes of live segment files, for status.
    uint64_t disk_bytes() const;

private:
    struct Segment {
        int fd = -1;
        uint64_t size = 0;  // bytes written to the file
        uint64_t live = 0;  // blobs not yet released
    };

    void run_turn_task() override { flush(); }
    void flush();
    void open_segment(uint32_t number);
    void drop_segment(std::map<uint32_t, Segment>::iterator it);
    std::string segment_path(uint32_t number) const;

    net::EventLoop& loop_;
    std::string dir_;
    std::map<uint32_t, Segment> segments_;
    uint32_t current_ = 0;
    util::ByteBuffer pending_;  // blobs of the current segment not yet written
    bool failed_ = false;
};

}  // namespace warren::store
