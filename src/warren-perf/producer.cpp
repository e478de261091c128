#include "warren-perf/producer.h"

#include <poll.h>

#include <algorithm>
#include <cmath>

namespace warren::perf {
namespace {

constexpr size_t kBatchBytes = 64 * 1024;
constexpr int64_t kPollSliceNs = 100 * kNsPerMs;
// -r sends what is due at most once a millisecond: a send() per message would cost more CPU
// than the broker spends on it at high rates.
constexpr int64_t kRateTickNs = kNsPerMs;
constexpr int64_t kConnectTimeoutNs = 30 * kNsPerSec;
constexpr int64_t kCloseTimeoutNs = 5 * kNsPerSec;
// After the run ends: how long to wait for outstanding confirms, or for a half-written
// batch to drain before giving up on a clean close.
constexpr int64_t kSettleGraceNs = 10 * kNsPerSec;
constexpr int64_t kWriteGraceNs = 5 * kNsPerSec;

}  // namespace

Producer::Producer(const AmqpUri& uri, ProducerConfig config, RunState& state, ProducerStats& stats)
    : uri_(uri), config_(std::move(config)), state_(state), stats_(stats) {}

void Producer::run() {
    bool ok = setup();
    if (ok) {
        state_.worker_ready();
        ok = state_.wait_start() ? publish_loop() && settle_outstanding() : !state_.failed();
    }
    if (ok && client_.is_open()) {
        ok = client_.close_channel(config_.publish.channel, kCloseTimeoutNs);
        client_.close(kCloseTimeoutNs);
    }
    if (!ok && client_.failed()) {
        state_.fail("producer " + std::to_string(config_.index + 1) + ": " + client_.error());
    }
    client_.close(0);
    stats_.done.store(true);
    state_.producers_running.fetch_sub(1);
    state_.worker_done();
}

bool Producer::setup() {
    std::string name = "warren-perf producer " + std::to_string(config_.index + 1);
    if (!client_.connect(uri_, name, kConnectTimeoutNs)) return false;
    if (!client_.open_channel(config_.publish.channel)) return false;
    if (config_.confirm_window > 0) {
        amqp::ConfirmSelectOk ok;
        if (!client_.call(config_.publish.channel, amqp::ConfirmSelect{}, ok)) return false;
        confirms_.emplace(config_.confirm_window);
    }
    return true;
}

void Producer::cap_rate_burst(int64_t now) {
    // After a stall (connection.blocked, a full window, a slow broker) the limiter forgives
    // the backlog beyond 100 ms instead of bursting to catch up, like PerfTest's.
    double max_burst = std::max(1.0, config_.rate * 0.1);
    double owed = config_.rate * static_cast<double>(now - rate_base_ns_) / 1e9 -
                  static_cast<double>(built_ - rate_base_built_);
    if (owed > max_burst) {
        rate_base_ns_ = now - seconds_to_ns(max_burst / config_.rate);
        rate_base_built_ = built_;
    }
}

uint64_t Producer::allowed_now(int64_t now) const {
    uint64_t n = UINT64_MAX;
    if (config_.count > 0) n = config_.count - built_;
    if (config_.rate > 0) {
        double elapsed_s = static_cast<double>(now - rate_base_ns_) / 1e9;
        auto due = static_cast<uint64_t>(std::floor(config_.rate * elapsed_s)) + 1;
        uint64_t since_base = built_ - rate_base_built_;
        n = std::min(n, due > since_base ? due - since_base : 0);
    }
    if (confirms_) n = std::min(n, confirms_->room());
    if (client_.is_blocked()) n = 0;
    return n;
}

void Producer::note_blocked(int64_t now) {
    if (client_.is_blocked() && blocked_since_ == 0) {
        blocked_since_ = now;
    } else if (!client_.is_blocked() && blocked_since_ != 0) {
        stats_.blocked_ns.fetch_add(now - blocked_since_);
        blocked_since_ = 0;
    }
}

bool Producer::publish_loop() {
    PublishBatch batch(config_.publish, client_.frame_max(), kBatchBytes);
    rate_base_ns_ = state_.start_ns();
    const uint8_t* pending = nullptr;
    size_t pending_bytes = 0;
    size_t pending_msgs = 0;
    int64_t stop_seen = 0;
    bool socket_quiet = false;

    for (;;) {
        int64_t now = now_ns();
        bool stopping = state_.should_stop() || state_.past_deadline(now) ||
                        (config_.count > 0 && built_ >= config_.count);
        if (stopping && pending_bytes == 0) break;
        if (stopping && stop_seen == 0) stop_seen = now;
        if (stopping && now - stop_seen > kWriteGraceNs) {
            // A batch cannot be cut short mid-frame; a broker that stopped reading gets an
            // abrupt close instead of connection.close.
            client_.abort();
            return true;
        }
        // A wait that timed out proved there is nothing to read: skip the read() then.
        if (!socket_quiet && !pump_input()) return false;
        socket_quiet = false;
        note_blocked(now);

        if (pending_bytes == 0 && !stopping) {
            if (config_.rate > 0) cap_rate_burst(now);
            uint64_t n = std::min<uint64_t>(allowed_now(now), batch.capacity());
            if (n == 0) {
                int64_t wait = kPollSliceNs;
                if (config_.rate > 0 && !client_.is_blocked() &&
                    (!confirms_ || confirms_->room() > 0)) {
                    double next_s = static_cast<double>(built_ - rate_base_built_) / config_.rate;
                    int64_t due = rate_base_ns_ + seconds_to_ns(next_s);
                    wait = std::clamp<int64_t>(due - now, kRateTickNs, kPollSliceNs);
                }
                if (state_.deadline_ns() != 0) {
                    wait = std::min(wait, std::max<int64_t>(state_.deadline_ns() - now, 0));
                }
                socket_quiet = client_.wait(false, wait) == 0;
                continue;
            }
            batch.stamp(n, now);
            if (config_.publish.delayed) stamp_delays(batch, n, now);
            if (confirms_) confirms_->published(n);
            built_ += n;
            pending = batch.data();
            pending_bytes = n * batch.stride();
            pending_msgs = n;
        }

        ssize_t written = client_.write_some(pending, pending_bytes);
        if (written < 0) return false;
        pending += written;
        pending_bytes -= static_cast<size_t>(written);
        if (pending_bytes == 0) {
            stats_.sent.add(pending_msgs);
            stats_.last_send_ns.store(now, std::memory_order_relaxed);
            pending_msgs = 0;
        } else {
            client_.wait(true, kPollSliceNs);
        }
    }
    note_blocked(now_ns());
    if (blocked_since_ != 0) stats_.blocked_ns.fetch_add(now_ns() - blocked_since_);
    return true;
}

void Producer::stamp_delays(PublishBatch& batch, size_t n, int64_t now) {
    int64_t wall_now_ms = wall_now_ns() / kNsPerMs;
    // The run's start on the wall clock, which x-delay counts in.
    int64_t start_ms = wall_now_ms - (now - state_.start_ns()) / kNsPerMs;
    auto spread = static_cast<uint64_t>(config_.delay_spread_ms) + 1;
    for (size_t k = 0; k < n; ++k) {
        // splitmix64 of (producer, message number): uniform, and the same every run.
        uint64_t z = (static_cast<uint64_t>(config_.index) << 40) + built_ + k;
        z += 0x9e3779b97f4a7c15;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
        z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
        z ^= z >> 31;
        int64_t due_ms = start_ms + config_.delay_lead_ms + static_cast<int64_t>(z % spread);
        // A message already due (a slow publisher) gets the shortest delay, and is late.
        batch.stamp_delay(k, std::max<int64_t>(1, due_ms - wall_now_ms), due_ms * kNsPerMs);
    }
}

bool Producer::settle_outstanding() {
    if (!confirms_ || !client_.is_open()) return true;
    int64_t give_up = now_ns() + kSettleGraceNs;
    while (confirms_->outstanding() > 0 && !state_.should_stop() && now_ns() < give_up) {
        client_.wait(false, kPollSliceNs);
        if (!pump_input()) return false;
    }
    return true;
}

bool Producer::pump_input() {
    if (client_.read_some() < 0) return false;
    amqp::Frame frame;  // frames may also be left from setup
    while (client_.next_frame(frame)) {
        if (!on_frame(frame)) return false;
    }
    return !client_.failed();
}

bool Producer::on_frame(const amqp::Frame& frame) {
    using amqp::FrameType;
    if (frame.type == static_cast<uint8_t>(FrameType::Header) && in_return_) {
        amqp::Reader r(frame.payload);
        r.u32();  // class id, weight
        return_body_left_ = r.u64();
        in_return_ = return_body_left_ > 0;
        return true;
    }
    if (frame.type == static_cast<uint8_t>(FrameType::Body) && in_return_) {
        return_body_left_ -= std::min<uint64_t>(return_body_left_, frame.payload.size());
        in_return_ = return_body_left_ > 0;
        return true;
    }
    switch (client_.handle_control(frame)) {
    case Control::Fatal:
        return false;
    case Control::Handled:
        return true;
    case Control::NotMine:
        break;
    }
    if (frame.type != static_cast<uint8_t>(FrameType::Method)) return true;
    amqp::MethodId id = method_id_of(frame);
    amqp::Reader r(frame.payload.substr(4));
    if (id == amqp::BasicAck::kId || id == amqp::BasicNack::kId) {
        uint64_t tag = r.u64();
        bool multiple = (r.u8() & 1) != 0;
        uint64_t settled = confirms_ ? confirms_->settle(tag, multiple) : 0;
        if (id == amqp::BasicAck::kId) {
            stats_.confirmed.add(settled);
        } else {
            stats_.nacked.add(settled);
        }
        stats_.last_confirm_ns.store(now_ns(), std::memory_order_relaxed);
    } else if (id == amqp::BasicReturn::kId) {
        stats_.returned.add(1);
        in_return_ = true;
        return_body_left_ = 0;
    }
    return true;
}

}  // namespace warren::perf
