#pragma once

#include "warren-perf/amqp_uri.h"
#include "warren-perf/client.h"
#include "warren-perf/run_state.h"

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace warren::perf {

struct ConsumerConfig {
    int index = 0;
    std::string queue;
    uint16_t prefetch_count = 0;
    bool auto_ack = false;
    uint32_t multi_ack_every = 0;  // 0 or 1: ack each delivery
    uint64_t count = 0;            // 0: no per-consumer limit
    /// --fill's drain: consumers stop together once `shared_received` reaches `shared_target`.
    std::atomic<uint64_t>* shared_received = nullptr;
    uint64_t shared_target = 0;
    /// basic.consume only after the start (--fill), not before it.
    bool consume_after_start = false;
    /// Stop once every producer has finished and nothing arrived for `idle_ns`.
    bool stop_when_idle = true;
    int64_t idle_ns = 2'000'000'000;
};

/// One consuming connection on its own thread: deliveries are parsed in place from a large
/// read buffer, latency is read from the body's send time, and acks (one per delivery, or
/// multiple every N) are queued and written once per read.
class Consumer {
public:
    Consumer(const AmqpUri& uri, ConsumerConfig config, RunState& state, ConsumerStats& stats);

    /// The thread body: connect, subscribe, wait for the start, consume, close.
    void run();

private:
    bool setup();
    bool consume();
    bool consume_loop();
    /// Handles one frame; false on a fatal error.
    bool on_frame(const amqp::Frame& frame, int64_t now);
    /// Latency from the first body frame: since the send time, or for a delayed message
    /// since its due time.
    void record_latency(std::string_view body, int64_t now);
    void on_message_complete();
    void queue_ack(uint64_t tag, bool multiple);
    bool should_finish(int64_t now);
    /// Adds the deliveries of this read to the shared counters.
    void publish_batch_stats(int64_t now);

    const AmqpUri& uri_;
    ConsumerConfig config_;
    RunState& state_;
    ConsumerStats& stats_;
    Client client_;

    uint64_t received_ = 0;        // total, published to stats_ once per read
    uint64_t batch_received_ = 0;  // in the current read
    uint64_t delivery_tag_ = 0;
    uint64_t last_complete_tag_ = 0;
    uint64_t body_size_ = 0;
    uint64_t body_left_ = 0;
    bool in_delivery_ = false;
    bool awaiting_header_ = false;
    uint64_t unacked_ = 0;
    bool count_reached_ = false;
    int64_t last_receive_ns_ = 0;
    int64_t wall_now_ns_ = 0;  // CLOCK_REALTIME of the current read
    int64_t producers_done_seen_ns_ = 0;
};

}  // namespace warren::perf
