#include "warren-perf/run_state.h"

#include <chrono>

namespace warren::perf {

void RunState::request_stop() {
    std::lock_guard lock(mu_);
    stop_.store(true);
    cv_.notify_all();
}

void RunState::fail(const std::string& text) {
    std::lock_guard lock(mu_);
    if (error_.empty()) error_ = text;
    stop_.store(true);
    cv_.notify_all();
}

bool RunState::failed() const {
    std::lock_guard lock(mu_);
    return !error_.empty();
}

std::string RunState::error() const {
    std::lock_guard lock(mu_);
    return error_;
}

void RunState::worker_ready() {
    std::lock_guard lock(mu_);
    ++ready_;
    cv_.notify_all();
}

bool RunState::wait_start() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return started_ || stop_.load(); });
    return started_ && !stop_.load();
}

bool RunState::wait_ready(int workers) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return ready_ >= workers || stop_.load(); });
    return !stop_.load();
}

void RunState::start(double duration_s) {
    std::lock_guard lock(mu_);
    start_ns_ = now_ns();
    deadline_ns_ = duration_s > 0 ? start_ns_ + seconds_to_ns(duration_s) : 0;
    started_ = true;
    cv_.notify_all();
}

void RunState::worker_done() {
    std::lock_guard lock(mu_);
    ++done_events_;
    cv_.notify_all();
}

void RunState::wait_until(int64_t until_ns) {
    std::unique_lock lock(mu_);
    uint64_t seen = done_events_;
    int64_t wait = until_ns - now_ns();
    if (wait <= 0) return;
    cv_.wait_for(lock, std::chrono::nanoseconds(wait),
                 [&] { return done_events_ != seen || stop_.load(); });
}

}  // namespace warren::perf
