#pragma once

#include "warren/amqp/error.h"
#include "warren/amqp/frame.h"
#include "warren/amqp/methods.h"
#include "warren/broker/message.h"
#include "warren/broker/queue_spec.h"
#include "warren/net/event_loop.h"
#include "warren/net/listener.h"
#include "warren/net/out_queue.h"
#include "warren/net/transport.h"
#include "warren/util/byte_buffer.h"

#include <memory>
#include <string>
#include <vector>

namespace warren::auth {
struct User;
}
namespace warren::broker {
class Vhost;
}

namespace warren::conn {

class Server;
class Channel;

/// One client connection: reads and parses frames, runs the handshake (start, tune, open),
/// heartbeats and connection.close, and hands channel frames to its Channels. Output is
/// gathered in an OutQueue and flushed once per loop turn. Lives on the loop thread; the
/// Server deletes it at the end of the turn in which it closed.
class Connection : public net::IoHandler, private net::TurnTask {
public:
    /// `tls` is the socket's TLS session (amqps), or null for plain TCP.
    Connection(Server& server, int fd, net::PeerAddress peer, uint64_t id,
               std::unique_ptr<net::Transport> tls = nullptr);
    ~Connection();

    void on_io(uint32_t events) override;

    uint64_t id() const { return id_; }
    broker::OwnerId owner_id() const { return static_cast<broker::OwnerId>(id_); }
    Server& server() { return server_; }
    broker::Vhost* vhost() { return vhost_; }
    const std::string& user_name() const { return user_name_; }
    const net::PeerAddress& peer() const { return peer_; }
    uint32_t frame_max() const { return frame_max_; }
    bool supports_consumer_cancel_notify() const { return cancel_notify_; }
    bool is_closed() const { return state_ == State::Closed; }

    // For warrenctl (conn/introspection.cpp): list_connections, list_channels.
    /// RabbitMQ's connection states: starting, tuning, opening, running, blocked, closing,
    /// closed.
    std::string_view state_name() const;
    const std::vector<std::unique_ptr<Channel>>& channels() const { return channels_; }
    const amqp::FieldTable& client_properties() const { return client_properties_; }
    const std::string& auth_mechanism() const { return auth_mechanism_; }
    uint32_t heartbeat_s() const { return heartbeat_s_; }
    uint16_t channel_max() const { return channel_max_; }
    /// Milliseconds since the epoch when the socket was accepted.
    int64_t connected_at_ms() const;
    /// The broker's end of the socket (empty once closed).
    net::PeerAddress local_address() const;
    /// The vhost is being deleted: drop this connection's exclusive queues now and forget
    /// the vhost (call after force_close, so no channel uses it any more).
    void detach_vhost();

    template <class M>
    void send(uint16_t channel, const M& method) {
        size_t mark = out_.arena().size();
        amqp::write_method_frame(out_.arena(), channel, method);
        out_.commit_arena(mark);
        schedule_flush();
    }
    /// Sends a content-carrying method (deliver, get-ok, return) with the message's
    /// properties and body, split into body frames of at most frame_max.
    template <class M>
    void send_content(uint16_t channel, const M& method, const broker::Message& message) {
        size_t mark = out_.arena().size();
        amqp::write_method_frame(out_.arena(), channel, method);
        out_.commit_arena(mark);
        write_content(channel, message);
    }

    /// Outbound bytes are piling up (a slow reader): consumers stop taking deliveries.
    bool is_backlogged() const { return out_.size() >= kHighWatermark; }
    /// A consumer could not take a delivery because of the backlog; wake its queue
    /// when the backlog drains.
    void note_throttled(Channel* channel);

    /// Closes the connection with a hard error: connection.close, then wait for close-ok.
    void fail(const amqp::Error& error);
    /// Closes the socket now (after flushing what can be flushed).
    void shutdown_socket();
    /// Broker shutdown: connection.close 320 CONNECTION_FORCED.
    void force_close(std::string_view reason);
    /// A memory or disk alarm was set or cleared: publishers stop being read.
    void on_alarm(bool active, const std::string& reason);
    /// A basic.publish arrived: this connection publishes (and blocks if an alarm is on).
    void note_publish();

    /// Seconds-level housekeeping from the Server: heartbeats, handshake timeout.
    void on_tick(net::EventLoop::Clock::time_point now);

private:
    enum class State { AwaitingHeader, AwaitingStartOk, AwaitingTuneOk, AwaitingOpen, Open,
                       Closing, Closed };
    static constexpr size_t kHighWatermark = 4 * 1024 * 1024;
    static constexpr size_t kLowWatermark = 1024 * 1024;

    void run_turn_task() override;
    void schedule_flush();
    void flush();
    void read_input();
    /// Handles the complete frames in `data`; returns the bytes used.
    size_t process_input(const uint8_t* data, size_t size);
    bool handle_frame(const amqp::Frame& frame);
    void handle_connection_method(amqp::MethodId id, amqp::Reader& r);
    void on_start_ok(const amqp::ConnectionStartOk& m);
    void on_tune_ok(const amqp::ConnectionTuneOk& m);
    void on_open(const amqp::ConnectionOpen& m);
    void on_close(const amqp::ConnectionClose& m);
    void send_start();
    void write_content(uint16_t channel, const broker::Message& message);
    Channel* channel(uint16_t number);
    void open_channel(uint16_t number);
    void close_all_channels();
    void refuse_login(std::string_view mechanism);
    /// Closes the socket without a connection.close, as RabbitMQ does for handshake errors.
    void drop(std::string_view why);
    bool refuse_early_frame(const amqp::Frame& frame);
    amqp::Error frame_error(amqp::ReplyCode code, const amqp::Frame& frame,
                            std::string_view reason) const;

    friend class Channel;
    void release_channel(uint16_t number);

    Server& server_;
    int fd_;
    std::unique_ptr<net::Transport> tls_;
    net::Transport* transport_;  // tls_, or the shared plain transport
    net::PeerAddress peer_;
    uint64_t id_;
    State state_ = State::AwaitingHeader;
    util::ByteBuffer in_;
    net::OutQueue out_;
    bool want_write_ = false;
    bool throttled_ = false;
    std::vector<Channel*> throttled_channels_;

    uint32_t frame_max_;
    uint16_t channel_max_;
    uint32_t heartbeat_s_ = 0;
    net::EventLoop::Clock::time_point opened_at_;
    net::EventLoop::Clock::time_point last_read_;
    net::EventLoop::Clock::time_point last_write_;
    net::EventLoop::Clock::time_point closing_since_;

    std::string user_name_;
    std::string client_product_;
    amqp::FieldTable client_properties_;
    std::string auth_mechanism_;
    bool cancel_notify_ = false;
    bool blocked_notify_ = false;   // client announced connection.blocked
    bool is_publisher_ = false;
    bool blocked_ = false;          // not read from until the alarm clears
    void block(const std::string& reason);
    void send_blocked_notice(uint16_t method_id, std::string_view reason);
    void unblock();
    void update_interest();
    bool auth_failure_close_ = false;
    broker::Vhost* vhost_ = nullptr;
    std::vector<std::unique_ptr<Channel>> channels_;  // sorted by channel number
};

}  // namespace warren::conn
