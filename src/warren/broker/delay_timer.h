#pragma once

#include "warren/store/location.h"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

namespace warren::broker {

/// One held-back message of an x-delayed-message exchange: when it is due and where its
/// body is. 32 bytes; the body itself is only on disk.
struct DelayedEntry {
    int64_t due_ms = 0;  // wall clock, ms since the epoch (survives a restart)
    uint64_t id = 0;     // message log id (unique, in publish order): ties go in this order
    store::Location location;
    uint32_t flags = 0;  // DelayedMessages' storage flags
};
static_assert(sizeof(DelayedEntry) == 32);

/// The held-back messages of one exchange ordered by due time, then publish order: a
/// 4-ary min-heap (shallower than a binary one, so fewer cache misses per pop) in a deque,
/// which grows and shrinks a block at a time instead of doubling. Pushing and popping are
/// O(log n); a million entries take 32 MB. Loop-thread only.
class DelayTimer {
public:
    void push(const DelayedEntry& entry);
    bool empty() const { return heap_.empty(); }
    size_t size() const { return heap_.size(); }
    /// The entry due first. Not empty().
    const DelayedEntry& top() const { return heap_.front(); }
    void pop();
    /// Moves entries due at or before `now_ms` into `out`, earliest first, until `max_count`
    /// of them or `max_bytes` of their records were taken (at least one, if any is due).
    size_t pop_due(int64_t now_ms, size_t max_count, uint64_t max_bytes,
                   std::vector<DelayedEntry>& out);

    /// Visits every entry in no particular order; `fn` may change locations and flags but
    /// not due times or ids.
    template <class Fn>
    void for_each(Fn&& fn) {
        for (DelayedEntry& e : heap_) fn(e);
    }
    /// Removes every entry, handing each to `fn` first.
    template <class Fn>
    void drain(Fn&& fn) {
        for (DelayedEntry& e : heap_) fn(e);
        heap_.clear();
    }

private:
    static bool earlier(const DelayedEntry& a, const DelayedEntry& b) {
        return a.due_ms != b.due_ms ? a.due_ms < b.due_ms : a.id < b.id;
    }
    void sift_up(size_t i);
    void sift_down(size_t i);

    std::deque<DelayedEntry> heap_;
};

}  // namespace warren::broker
