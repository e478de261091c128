#pragma once

#include "warren/net/event_loop.h"
#include "warren/store/location.h"
#include "warren/util/byte_buffer.h"
#include "warren/util/shared_bytes.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <vector>

namespace warren::store {

/// One durable queue's copy of a message found in the log at start-up, in publish order.
/// The body stays on disk; `location` reads it back.
struct RecoveredEntry {
    uint64_t id = 0;
    Location location;
    std::string_view queue;  // the queue's store key
    bool delivered = false;  // delivered from this queue and not acked before the stop
    /// When a delayed message is due (wall clock ms), from its delay-due record; -1 for
    /// a message without one (queued messages). See append_delay_due().
    int64_t due_ms = -1;
    /// How many deliveries from this queue were recorded (quorum queues record each one;
    /// classic queues only the first). A relocated copy starts from its record's count.
    uint32_t deliveries = 0;
};

/// A publish record read back from a segment; the views point into the read buffer.
struct PublishRecord {
    uint64_t id = 0;
    std::string_view exchange;
    std::string_view routing_key;
    uint32_t properties_size = 0;
    std::string_view data;  // encoded properties, then the body
};

/// What recovery found and skipped, for the start-up log.
struct RecoveryReport {
    size_t segments = 0;
    size_t records = 0;
    size_t messages = 0;
    uint64_t bytes = 0;
    uint64_t truncated_bytes = 0;
    size_t indexed_segments = 0;  // read from their index files, bodies left unread
    std::vector<std::string> problems;
};

/// The persistent-message log: append-only segment files (data_dir/messages/*.seg) of
/// checksummed records. Loop-thread API; one syncer thread runs fdatasync.
///
/// Group commit: records are gathered in memory during a loop turn and written at its end;
/// the syncer then makes everything written so far durable with one fdatasync, however
/// many publishers wait on it, and reports the durable position back to the loop. A
/// publisher confirm waits until durable_position() covers its record.
///
/// Space: a segment is deleted once it is the oldest and none of its messages is still in
/// a queue. Segments are counted in queue references: a message in three durable queues
/// holds its segment three times, and each queue lets go once.
///
/// Reading back: a queue whose bodies were paged out reads the publish records again with
/// read(); records still in this turn's buffer are written out first.
class MessageLog : private net::TurnTask, private net::IoHandler {
public:
    static constexpr uint64_t kDefaultSegmentSize = 64ull * 1024 * 1024;

    MessageLog(net::EventLoop& loop, std::string dir,
               uint64_t segment_size = kDefaultSegmentSize);
    ~MessageLog() override;

    /// Scans every segment, truncating a torn tail; calls `found` for each queue's copy of
    /// each message still in a queue, in publish order, without loading bodies. Must run
    /// before the first append. The caller retain()s the copies it keeps.
    RecoveryReport recover(const std::function<void(const RecoveredEntry&)>& found);

    uint64_t next_id() { return next_id_++; }
    /// Appends a message entering `queues`; returns where its record is.
    Location append_publish(uint64_t id, const std::vector<std::string_view>& queues,
                            std::string_view exchange, std::string_view routing_key,
                            std::string_view data, uint32_t properties_size);
    /// Compaction: one queue's copy of message `id`, moved out of an old segment, keeping
    /// its id (so its place in the queue) and delivery count (0: never delivered; stored
    /// in one byte, capped at 255). The caller then releases the old segment; it is
    /// deleted once this record is durable.
    Location append_relocate(uint64_t id, std::string_view queue, uint32_t deliveries,
                             std::string_view exchange, std::string_view routing_key,
                             std::string_view data, uint32_t properties_size);
    /// The oldest segment, if it holds back two or more newer ones while at most
    /// `max_live` queue references to its messages remain: worth relocating them.
    std::optional<uint32_t> segment_to_compact(uint64_t max_live) const;
    uint64_t relocated_total() const { return relocated_; }
    size_t segment_count() const { return live_.size(); }

    /// Message `id` (logged for a delayed exchange's key with append_publish) is due at
    /// `due_ms` (wall clock ms). A small control record, so it is in the segment's index and
    /// recovery finds the due time without reading the body; relocating the message must
    /// append it again.
    void append_delay_due(uint64_t id, int64_t due_ms);
    /// The message left `queue` for good (acked, expired, purged, dropped).
    void append_remove(std::string_view queue, uint64_t id);
    /// The message was delivered from `queue` and awaits an ack (redelivered on recovery).
    /// Quorum queues append one per delivery: recovery counts them.
    void append_delivered(std::string_view queue, uint64_t id);
    /// Every message of `queue` is gone (queue deleted).
    void append_drop_queue(std::string_view queue);
    /// One queue let go of a message in `segment`.
    void release(uint32_t segment);
    /// A queue holds a recovered message again.
    void retain(uint32_t segment) { ++live_[segment]; }

    /// Reads `length` bytes at `offset` of `segment` into `out` (one pread for a run of
    /// records). False, with the error logged, if they cannot be read.
    bool read(uint32_t segment, uint32_t offset, uint32_t length, char* out);
    /// Checks one record (header included) and decodes it as a publish record.
    static bool decode_publish(std::string_view record, PublishRecord& out);

    /// Shutdown: flushes what was appended and ignores later appends, so tearing down the
    /// in-memory queues records nothing.
    void close();

    /// Position covering everything appended so far; durable once durable_position() >= it.
    uint64_t position() const { return appended_; }
    uint64_t durable_position() const { return durable_; }
    /// Called on the loop thread whenever the durable position advances.
    void on_durable(std::function<void(uint64_t)> fn) { on_durable_ = std::move(fn); }
    /// A write or sync failed: whoever waits for durability should give up (nack). Called
    /// on every failed attempt; writes are retried every 200 ms.
    void on_failed(std::function<void()> fn) { on_failed_ = std::move(fn); }
    /// The last I/O error, logged once and never reported as success; cleared when writes
    /// succeed again.
    std::error_code error() const { return error_; }

private:
    void run_turn_task() override;  // writes the turn's records, asks for a sync
    void on_io(uint32_t events) override;  // the syncer reported progress
    /// Adds one id to this turn's remove or delivered records of `queue`.
    void batch(std::unordered_map<std::string, std::vector<uint64_t>>& batches,
               std::string_view queue, uint64_t id);
    void flush_removes();
    void write_out();
    void fail(int err, const std::string& what);
    template <class Apply>
    bool recover_from_index(uint32_t number, Apply& apply, RecoveryReport& report);
    void index_begin();
    void index_end();
    /// Seals a segment's index (NNN.idx): its records without bodies, read by recovery.
    void write_index(uint32_t number);
    std::string index_path(uint32_t number) const;
    void roll_segment();
    int read_fd(uint32_t segment);
    void open_segment(uint32_t number, bool truncate);
    void collect_garbage();
    void sync_loop();
    void begin_record(uint8_t type);
    /// Starts a record carrying a message body (rolling the segment first if it is full);
    /// returns the offset it starts at.
    uint32_t begin_message_record(uint8_t type);
    /// Where the record begun at `offset` lies, once ended.
    Location location_from(uint32_t offset) const;
    void end_record();
    std::string segment_path(uint32_t number) const;

    net::EventLoop& loop_;
    std::string dir_;
    uint64_t segment_size_;
    util::ByteBuffer pending_;  // records of this turn, not yet written
    util::ByteBuffer index_;    // the current segment's index, written when it is sealed
    size_t index_start_ = 0;
    size_t record_start_ = 0;
    std::unordered_map<std::string, std::vector<uint64_t>> removes_;    // batched per queue
    std::unordered_map<std::string, std::vector<uint64_t>> delivered_;  // batched per queue
    uint64_t next_id_ = 1;

    int fd_ = -1;
    uint32_t segment_ = 0;
    uint64_t segment_bytes_ = 0;
    uint64_t appended_ = 0;  // logical bytes appended (written + pending)
    uint64_t written_ = 0;
    uint64_t durable_ = 0;
    std::map<uint32_t, uint64_t> live_;  // segment -> queue references to its messages
    std::map<uint32_t, int> read_fds_;   // segments opened for reading back
    std::map<uint32_t, uint64_t> emptied_at_;  // segment -> position when its last ref left
    uint64_t relocated_ = 0;
    std::function<void(uint64_t)> on_durable_;
    std::function<void()> on_failed_;
    std::error_code error_;
    bool closed_ = false;

    // Syncer thread.
    std::thread syncer_;
    std::mutex mutex_;
    std::condition_variable wake_;
    uint64_t sync_requested_ = 0;  // guarded by mutex_
    int sync_fd_ = -1;             // guarded by mutex_
    bool stopping_ = false;        // guarded by mutex_
    std::atomic<uint64_t> synced_{0};
    std::atomic<int> sync_errno_{0};
    int event_fd_ = -1;
};

}  // namespace warren::store
