#pragma once

#include "warren-perf/amqp_uri.h"
#include "warren-perf/client.h"
#include "warren-perf/confirm_tracker.h"
#include "warren-perf/publish_batch.h"
#include "warren-perf/run_state.h"

#include <cstdint>
#include <optional>
#include <string>

namespace warren::perf {

struct ProducerConfig {
    int index = 0;
    PublishSpec publish;
    uint64_t count = 0;           // 0: until the deadline
    double rate = 0;              // msg/s; 0: unlimited
    uint32_t confirm_window = 0;  // 0: no confirm.select
    /// publish.delayed: due times uniform in [start + lead, start + lead + spread].
    int64_t delay_lead_ms = 0;
    int64_t delay_spread_ms = 0;
};

/// One publishing connection, run on its own thread: encodes batches of publishes into one
/// buffer and writes each with one send(); reads confirms, returns and flow control in
/// between. Owns its Client; reports through its ProducerStats.
class Producer {
public:
    Producer(const AmqpUri& uri, ProducerConfig config, RunState& state, ProducerStats& stats);

    /// The thread body: connect, wait for the start, publish, settle confirms, close.
    void run();

private:
    bool setup();
    bool publish_loop();
    bool settle_outstanding();
    /// Reads what is ready and handles it; false on a fatal error.
    bool pump_input();
    bool on_frame(const amqp::Frame& frame);
    uint64_t allowed_now(int64_t now) const;
    void cap_rate_burst(int64_t now);
    void note_blocked(int64_t now);
    /// Gives the `n` messages about to be sent their x-delay and due time.
    void stamp_delays(PublishBatch& batch, size_t n, int64_t now);

    const AmqpUri& uri_;
    ProducerConfig config_;
    RunState& state_;
    ProducerStats& stats_;
    Client client_;
    std::optional<ConfirmTracker> confirms_;
    uint64_t built_ = 0;
    uint64_t return_body_left_ = 0;  // bytes of a basic.return's content still to skip
    bool in_return_ = false;
    int64_t blocked_since_ = 0;
    int64_t rate_base_ns_ = 0;  // -r: messages are due at rate from here
    uint64_t rate_base_built_ = 0;
};

}  // namespace warren::perf
