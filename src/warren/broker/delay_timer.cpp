#include "warren/broker/delay_timer.h"

#include <algorithm>

namespace warren::broker {
namespace {

constexpr size_t kArity = 4;

}  // namespace

void DelayTimer::push(const DelayedEntry& entry) {
    heap_.push_back(entry);
    sift_up(heap_.size() - 1);
}

void DelayTimer::pop() {
    heap_.front() = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) sift_down(0);
}

size_t DelayTimer::pop_due(int64_t now_ms, size_t max_count, uint64_t max_bytes,
                           std::vector<DelayedEntry>& out) {
    size_t taken = 0;
    uint64_t bytes = 0;
    while (!heap_.empty() && heap_.front().due_ms <= now_ms && taken < max_count &&
           (taken == 0 || bytes < max_bytes)) {
        out.push_back(heap_.front());
        bytes += heap_.front().location.length;
        pop();
        ++taken;
    }
    return taken;
}

void DelayTimer::sift_up(size_t i) {
    DelayedEntry moving = heap_[i];
    while (i > 0) {
        size_t parent = (i - 1) / kArity;
        if (!earlier(moving, heap_[parent])) break;
        heap_[i] = heap_[parent];
        i = parent;
    }
    heap_[i] = moving;
}

void DelayTimer::sift_down(size_t i) {
    DelayedEntry moving = heap_[i];
    size_t n = heap_.size();
    for (;;) {
        size_t first = i * kArity + 1;
        if (first >= n) break;
        size_t best = first;
        size_t last = std::min(first + kArity, n);
        for (size_t c = first + 1; c < last; ++c)
            if (earlier(heap_[c], heap_[best])) best = c;
        if (!earlier(heap_[best], moving)) break;
        heap_[i] = heap_[best];
        i = best;
    }
    heap_[i] = moving;
}

}  // namespace warren::broker
