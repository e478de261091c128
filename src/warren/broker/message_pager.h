#pragma once

#include "warren/broker/message.h"
#include "warren/net/event_loop.h"
#include "warren/store/message_log.h"
#include "warren/store/page_file.h"
#include "warren/util/byte_buffer.h"

#include <cstdint>
#include <deque>
#include <string>

namespace warren::broker {

/// Keeps queued message bodies within a memory budget. A queue holds its head in memory
/// and, past the budget, a tail of PagedMessage entries whose bodies are only on disk:
/// in the message log already (persistent messages of durable queues: paging them out
/// costs no I/O) or written to the page file (everything else).
///
/// Two limits: the broker-wide budget for bodies in queues, past which every queue pages
/// new messages out and the largest queues shed their tails; and, for bodies the log
/// already holds, a per-queue limit, so a long durable backlog never fills memory at all.
class MessagePager {
public:
    /// `log` may be null (tests); `budget_bytes` is the broker-wide limit,
    /// `stored_queue_bytes` the per-queue limit for bodies the log holds.
    MessagePager(net::EventLoop& loop, std::string page_dir, store::MessageLog* log,
                 uint64_t budget_bytes, uint64_t stored_queue_bytes);

    /// Whether a queue holding `queue_resident` bytes in memory should page out the next
    /// message (`in_log`: the log holds it on this queue's behalf).
    bool should_page(uint64_t queue_resident, bool in_log) const {
        return resident_ >= budget_ || (in_log && queue_resident >= stored_queue_bytes_);
    }
    bool over_budget() const { return resident_ > budget_; }
    uint64_t budget() const { return budget_; }
    /// Bytes of message data held in queues' memory, across every queue.
    uint64_t resident_bytes() const { return resident_; }
    void add_resident(uint64_t bytes) { resident_ += bytes; }
    void remove_resident(uint64_t bytes) { resident_ -= bytes < resident_ ? bytes : resident_; }

    /// Moves a message's body out of memory (`in_log` as above). The caller drops `m`.
    PagedMessage page_out(const QueuedMessage& m, bool in_log);
    /// Reads up to `max_count` messages (about `max_bytes` of them) from the front of
    /// `paged` into the back of `ready`, numbering them from `next_seq`. Returns how many
    /// bytes of message data it added to `ready`. A body that cannot be read is logged and
    /// left where it is on disk (a restart may still find a logged one).
    uint64_t page_in(std::deque<PagedMessage>& paged, size_t max_count, uint64_t max_bytes,
                     std::deque<QueuedMessage>& ready, uint64_t& next_seq);
    /// A paged message leaves without being read (purged, expired, queue deleted): frees
    /// its page file space. The message log's share is the queue's to release.
    void discard(const PagedMessage& m);

    /// Scratch space for bodies the log does not hold (delayed messages use it too).
    store::PageFile& page_file() { return page_file_; }

    uint64_t paged_out_total() const { return paged_out_; }
    uint64_t paged_in_total() const { return paged_in_; }
    uint64_t read_failures() const { return read_failures_; }

private:
    store::MessageLog* log_;
    store::PageFile page_file_;
    uint64_t budget_;
    uint64_t stored_queue_bytes_;
    uint64_t resident_ = 0;
    uint64_t paged_out_ = 0;
    uint64_t paged_in_ = 0;
    uint64_t read_failures_ = 0;
    std::string read_buffer_;
    util::ByteBuffer blob_head_;
};

}  // namespace warren::broker
