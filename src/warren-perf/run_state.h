#pragma once

#include "warren-perf/clock.h"
#include "warren-perf/latency_histogram.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>

namespace warren::perf {

/// A counter with one writer: a relaxed load and store compile to a plain add (no locked
/// instruction), and the reporter thread may read it at any time.
class Counter {
public:
    void add(uint64_t n) {
        v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
    uint64_t get() const { return v_.load(std::memory_order_relaxed); }

private:
    std::atomic<uint64_t> v_{0};
};

/// Written by one producer thread, read by the reporter.
struct alignas(64) ProducerStats {
    Counter sent;
    Counter confirmed;
    Counter nacked;
    Counter returned;
    std::atomic<int64_t> last_send_ns{0};
    std::atomic<int64_t> last_confirm_ns{0};
    std::atomic<int64_t> blocked_ns{0};
    std::atomic<bool> done{false};
};

/// Written by one consumer thread, read by the reporter.
struct alignas(64) ConsumerStats {
    Counter received;
    std::atomic<int64_t> last_receive_ns{0};
    LatencyHistogram latency;
    Counter early;  // delayed messages delivered before their due time
    std::atomic<bool> done{false};
};

// Deques: the stats hold atomics, so they must never move once a thread writes them.
using ProducerStatsList = std::deque<ProducerStats>;
using ConsumerStatsList = std::deque<ConsumerStats>;

/// What the threads of one run share: the start gate, the stop flag, the deadline and the
/// first error. Every worker polls should_stop() at least every 100 ms.
class RunState {
public:
    bool should_stop() const { return stop_.load(std::memory_order_relaxed); }
    void request_stop();
    /// Records the first error (later ones are dropped) and stops the run.
    void fail(const std::string& text);
    bool failed() const;
    std::string error() const;

    /// Worker side: announce that setup is done, then wait for start(); false if the run
    /// stopped first.
    void worker_ready();
    bool wait_start();
    /// Main side: wait until `workers` are ready (false on failure or stop), then start.
    bool wait_ready(int workers);
    void start(double duration_s);

    int64_t start_ns() const { return start_ns_; }
    /// 0 when the run has no time limit.
    int64_t deadline_ns() const { return deadline_ns_; }
    bool past_deadline(int64_t now) const { return deadline_ns_ != 0 && now >= deadline_ns_; }

    /// Wakes the reporter early when a worker finishes.
    void worker_done();
    /// Sleeps until `until_ns`, a worker finishing or a stop.
    void wait_until(int64_t until_ns);

    std::atomic<int> producers_running{0};

private:
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::atomic<bool> stop_{false};
    std::string error_;
    int ready_ = 0;
    bool started_ = false;
    uint64_t done_events_ = 0;
    int64_t start_ns_ = 0;
    int64_t deadline_ns_ = 0;
};

}  // namespace warren::perf
