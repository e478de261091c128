#include "warren-perf/consumer.h"

#include "warren-perf/publish_batch.h"

#include <poll.h>

#include <cstring>

namespace warren::perf {
namespace {

constexpr int64_t kPollSliceNs = 100 * kNsPerMs;
constexpr int64_t kConnectTimeoutNs = 30 * kNsPerSec;
constexpr int64_t kCloseTimeoutNs = 5 * kNsPerSec;
// Send times further off than this are not ours (a foreign or corrupted body).
constexpr int64_t kMaxPlausibleLatencyNs = 3600 * kNsPerSec;

uint64_t read_u64_be(const char* p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
    return v;
}

}  // namespace

Consumer::Consumer(const AmqpUri& uri, ConsumerConfig config, RunState& state, ConsumerStats& stats)
    : uri_(uri), config_(std::move(config)), state_(state), stats_(stats) {}

void Consumer::run() {
    bool ok = setup();
    if (ok) {
        state_.worker_ready();
        if (state_.wait_start()) {
            ok = (!config_.consume_after_start || consume()) && consume_loop();
        } else {
            ok = !state_.failed();
        }
    }
    if (ok && client_.is_open()) {
        if (!config_.auto_ack && unacked_ > 0) queue_ack(last_complete_tag_, true);
        ok = client_.close_channel(1, kCloseTimeoutNs);
        client_.close(kCloseTimeoutNs);
    }
    if (!ok && client_.failed()) {
        state_.fail("consumer " + std::to_string(config_.index + 1) + ": " + client_.error());
    }
    client_.close(0);
    stats_.done.store(true);
    state_.worker_done();
}

bool Consumer::setup() {
    std::string name = "warren-perf consumer " + std::to_string(config_.index + 1);
    if (!client_.connect(uri_, name, kConnectTimeoutNs)) return false;
    if (!client_.open_channel(1)) return false;
    if (config_.prefetch_count > 0) {
        amqp::BasicQos qos;
        qos.prefetch_count = config_.prefetch_count;
        amqp::BasicQosOk ok;
        if (!client_.call(1, qos, ok)) return false;
    }
    return config_.consume_after_start || consume();
}

bool Consumer::consume() {
    std::string tag = "warren-perf-c" + std::to_string(config_.index + 1);
    amqp::BasicConsume consume;
    consume.queue = config_.queue;
    consume.consumer_tag = tag;
    consume.no_ack = config_.auto_ack;
    amqp::BasicConsumeOk ok;
    return client_.call(1, consume, ok);
}

void Consumer::queue_ack(uint64_t tag, bool multiple) {
    // basic.ack is 21 bytes on the wire; encoded by hand on the per-delivery path.
    uint8_t* p = client_.out().prepare(21);
    const uint8_t head[] = {1, 0, 1, 0, 0, 0, 13, 0, 60, 0, 80};
    std::memcpy(p, head, sizeof head);
    for (int i = 0; i < 8; ++i) p[11 + i] = static_cast<uint8_t>(tag >> (56 - 8 * i));
    p[19] = multiple ? 1 : 0;
    p[20] = amqp::kFrameEnd;
    client_.out().commit(21);
    unacked_ = 0;
}

void Consumer::on_message_complete() {
    in_delivery_ = false;
    last_complete_tag_ = delivery_tag_;
    ++batch_received_;
    if (!config_.auto_ack) {
        ++unacked_;
        if (config_.multi_ack_every <= 1) {
            queue_ack(delivery_tag_, false);
        } else if (unacked_ >= config_.multi_ack_every) {
            queue_ack(delivery_tag_, true);
        }
    }
    if (config_.count > 0 && received_ + batch_received_ >= config_.count) count_reached_ = true;
}

bool Consumer::on_frame(const amqp::Frame& frame, int64_t now) {
    using amqp::FrameType;
    if (frame.type == static_cast<uint8_t>(FrameType::Body) && in_delivery_) {
        if (body_left_ == body_size_ && body_size_ >= kSendTimeBytes &&
            frame.payload.size() >= kSendTimeBytes) {
            record_latency(frame.payload, now);
        }
        body_left_ -= std::min<uint64_t>(body_left_, frame.payload.size());
        if (body_left_ == 0) on_message_complete();
        return true;
    }
    if (frame.type == static_cast<uint8_t>(FrameType::Header) && awaiting_header_) {
        awaiting_header_ = false;
        if (frame.payload.size() < 12) {
            client_.fail("malformed content header from the broker");
            return false;
        }
        body_size_ = read_u64_be(frame.payload.data() + 4);
        body_left_ = body_size_;
        in_delivery_ = true;
        if (body_size_ == 0) on_message_complete();
        return true;
    }
    if (frame.type == static_cast<uint8_t>(FrameType::Method)) {
        amqp::MethodId id = method_id_of(frame);
        if (id == amqp::BasicDeliver::kId) {
            amqp::BasicDeliver deliver;
            amqp::Reader r(frame.payload.substr(4));
            if (!deliver.decode(r)) {
                client_.fail("malformed basic.deliver from the broker");
                return false;
            }
            delivery_tag_ = deliver.delivery_tag;
            awaiting_header_ = true;
            return true;
        }
        if (id == amqp::BasicCancel::kId) {
            client_.fail("broker cancelled the consumer on queue '" + config_.queue +
                         "' (queue deleted?)");
            return false;
        }
    }
    return client_.handle_control(frame) != Control::Fatal;
}

void Consumer::record_latency(std::string_view body, int64_t now) {
    auto marked_with = [&](const char (&marker)[4]) {
        return body.size() >= kMarkedBodyBytes &&
               std::memcmp(body.data() + kSendTimeBytes, marker, sizeof marker) == 0;
    };
    int64_t stamp = 0;
    std::memcpy(&stamp, body.data(), sizeof stamp);
    int64_t latency = 0;
    if (marked_with(kDelayedBodyMarker)) {
        latency = wall_now_ns_ - stamp;
        if (latency < 0) {
            stats_.early.add(1);
            return;
        }
    } else if (body_size_ < kMarkedBodyBytes || marked_with(kBodyMarker)) {
        latency = now - stamp;
    } else {
        return;
    }
    if (latency >= 0 && latency < kMaxPlausibleLatencyNs) {
        stats_.latency.record(static_cast<uint64_t>(latency));
    }
}

bool Consumer::should_finish(int64_t now) {
    if (count_reached_ || state_.should_stop() || state_.past_deadline(now)) return true;
    if (config_.shared_received != nullptr &&
        config_.shared_received->load(std::memory_order_relaxed) >= config_.shared_target) {
        return true;
    }
    if (!config_.stop_when_idle || state_.producers_running.load() > 0) return false;
    if (producers_done_seen_ns_ == 0) producers_done_seen_ns_ = now;
    int64_t quiet_since = std::max(producers_done_seen_ns_, last_receive_ns_);
    return now - quiet_since >= config_.idle_ns;
}

bool Consumer::consume_loop() {
    for (;;) {
        ssize_t n = client_.read_some();
        if (n < 0) return false;
        int64_t now = now_ns();
        wall_now_ns_ = wall_now_ns();
        // Parse even when this read brought nothing: deliveries may already be buffered
        // behind basic.consume-ok.
        amqp::Frame frame;
        while (!count_reached_ && client_.next_frame(frame)) {
            if (!on_frame(frame, now)) return false;
        }
        if (client_.failed()) return false;
        if (batch_received_ > 0) publish_batch_stats(now);
        if (!client_.try_flush()) return false;
        if (should_finish(now)) return true;
        if (n == 0 && client_.wait(client_.has_pending_output(), kPollSliceNs) == 0 &&
            !config_.auto_ack && unacked_ > 0) {
            queue_ack(last_complete_tag_, true);  // quiet for a while: settle what we hold
        }
    }
}

void Consumer::publish_batch_stats(int64_t now) {
    received_ += batch_received_;
    stats_.received.add(batch_received_);
    stats_.last_receive_ns.store(now, std::memory_order_relaxed);
    last_receive_ns_ = now;
    if (config_.shared_received != nullptr) {
        config_.shared_received->fetch_add(batch_received_);
    }
    batch_received_ = 0;
}

}  // namespace warren::perf
