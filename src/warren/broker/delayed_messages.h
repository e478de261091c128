#pragma once

#include "warren/amqp/codec.h"
#include "warren/broker/delay_timer.h"
#include "warren/broker/message.h"
#include "warren/net/event_loop.h"
#include "warren/util/byte_buffer.h"
#include "warren/util/log_histogram.h"
#include "warren/util/shared_bytes.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace warren::amqp {
struct BasicProperties;
}  // namespace warren::amqp

namespace warren::store {
class MessageLog;
class PageFile;
}  // namespace warren::store

namespace warren::broker {

class Exchange;
class Queue;
class Vhost;

/// The exchange type of RabbitMQ's community plugin rabbitmq_delayed_message_exchange,
/// and the argument naming the type whose routing it borrows.
inline constexpr std::string_view kDelayedExchangeType = "x-delayed-message";
inline constexpr std::string_view kDelayedTypeArgument = "x-delayed-type";

/// The messages an x-delayed-message exchange holds back until their x-delay has passed.
/// Memory holds a 32-byte DelayedEntry per message (DelayTimer); bodies are on disk from
/// the moment they arrive: persistent messages of a durable exchange in the message log
/// (a publish record under this exchange's store key, preceded by a delay-due record, so
/// they survive a restart and recovery finds their due times without reading bodies),
/// everything else in the page file (lost on restart, as the exchange itself may be).
///
/// When messages fall due, one loop timer releases them in batches, reading neighbouring
/// bodies with one pread, and routes each through the exchange's bindings as a fresh
/// publish would (durable queues log it again), with x-delay set to minus its delay as
/// the plugin does. Owned by its Exchange, on the loop thread.
class DelayedMessages : private net::TurnTask {
public:
    /// The plugin delays only by 1 ms to 2^32-1 ms (Erlang's timer limit).
    static constexpr int64_t kMaxDelayMs = 4294967295;

    /// `log` (the broker's) may be null in tests, and so may `page_file`: then bodies stay
    /// in memory. Only a `durable` exchange keeps messages in the log.
    DelayedMessages(net::EventLoop& loop, Vhost& vhost, Exchange& exchange, bool durable,
                    store::MessageLog* log, store::PageFile* page_file);
    ~DelayedMessages() override;

    /// The delay the plugin applies to a message with these headers: the x-delay header as
    /// an integer (a string is parsed, a float or decimal truncated) within 1..kMaxDelayMs.
    /// Otherwise none, and the message is routed at once, x-delay untouched.
    static std::optional<int64_t> delay_of(const amqp::RawTable& headers);

    /// Holds `message` back if it carries a delay; then returns the message log position
    /// its publisher confirm waits for (0: none). nullopt: route it now.
    std::optional<uint64_t> hold_if_delayed(const Message& message);
    /// Holds `message` for `delay_ms`, its x-delay header rewritten to -delay_ms.
    uint64_t hold(const Message& message, int64_t delay_ms);

    /// Start-up: a message the log holds under store_key(); the caller retained its segment.
    /// `due_ms` < 0 (its delay-due record was lost) releases it at once.
    void restore(uint64_t id, store::Location location, int64_t due_ms);
    /// Compaction: re-logs the held messages in log `segment` and lets go of it.
    size_t relocate(uint32_t segment);

    size_t size() const { return timer_.size(); }
    /// Release time minus due time, µs, of every message released on time or late while
    /// the broker ran: how accurately the timer keeps its promise. Messages that fell due
    /// while the broker was down are counted in released_overdue() instead.
    const util::LogHistogram& release_lateness_us() const { return lateness_us_; }
    uint64_t released_overdue() const { return released_overdue_; }
    /// The when the next message is due (wall clock ms), if any.
    std::optional<int64_t> next_due_ms() const;
    /// This exchange's name in the message log: "\x01x-delayed\0<vhost>\0<exchange>", so
    /// it can never be a queue's key ("<vhost>\0<queue>").
    const std::string& store_key() const { return store_key_; }
    static std::string store_key_for(std::string_view vhost, std::string_view exchange);
    /// Splits a key made by store_key_for(); false for any other key.
    static bool parse_store_key(std::string_view key, std::string_view& vhost,
                                std::string_view& exchange);

    /// Wall clock now, ms since the epoch: due times use it so that they survive restarts.
    static int64_t wall_ms();
    static int64_t wall_us();

private:
    /// Where a held message's body is.
    enum Flags : uint32_t {
        kInLog = 1,
        kInPageFile = 2,
        kResident = 4,
        kPersistent = 8,
        kDueBeforeStart = 16,  // restored at start-up already due
    };

    void run_turn_task() override;  // the timer: release what is due
    void arm();
    void release(const std::vector<DelayedEntry>& batch);
    /// Reads the bodies of `batch` (coalescing neighbours); views go into blobs_.
    void read_bodies(const std::vector<DelayedEntry>& batch);
    void route(std::string exchange, std::string routing_key, util::SharedBytes data,
               uint32_t properties_size, bool persistent);
    void forget(const DelayedEntry& entry);
    /// A released message's CC and BCC keys go to `keys`; a BCC header is removed (the
    /// properties re-encoded into new `data`).
    static void take_sender_selected_keys(amqp::BasicProperties& props, util::SharedBytes& data,
                                          uint32_t& properties_size,
                                          std::vector<std::string>& keys);

    net::EventLoop& loop_;
    Vhost& vhost_;
    Exchange& exchange_;
    bool durable_;
    store::MessageLog* log_;
    store::PageFile* page_file_;
    std::string store_key_;
    DelayTimer timer_;
    int64_t armed_due_ms_ = INT64_MAX;
    uint64_t next_id_ = 1;  // ids when there is no log
    std::unordered_map<uint64_t, MessageRef> resident_;  // bodies when there is no page file
    bool logged_any_ = false;
    util::LogHistogram lateness_us_;
    uint64_t released_overdue_ = 0;

    // Release scratch, kept between batches.
    std::vector<DelayedEntry> batch_;
    struct Run {
        size_t first;  // index into order_
        size_t count;
        uint64_t start, end;  // byte range in one segment
    };
    std::vector<uint32_t> order_;  // batch indexes by storage position
    std::vector<Run> runs_;
    std::vector<std::string_view> blobs_;
    util::ByteBuffer head_;
};

}  // namespace warren::broker
