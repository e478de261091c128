#pragma once

#include "warren-perf/amqp_uri.h"
#include "warren-perf/clock.h"
#include "warren/amqp/frame.h"
#include "warren/util/byte_buffer.h"

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace warren::perf {

/// How handle_control() dealt with a frame.
enum class Control : uint8_t {
    NotMine,  // for the caller: deliveries, acks, replies
    Handled,  // heartbeat, blocked/unblocked, flow
    Fatal,    // the broker closed the connection or a channel; error() says why
};

/// One AMQP 0-9-1 client connection, driven by the thread that owns it: a non-blocking socket,
/// a read buffer that frames are parsed from in place and an output buffer written in
/// batches. Setup and teardown are synchronous (call(), close()); the worker loops use the
/// raw pieces (read_some, next_frame, handle_control, out, try_flush, wait).
class Client {
public:
    explicit Client(size_t read_buffer_bytes = size_t{4} << 20);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    /// TCP connect, then the handshake: protocol header, start-ok (PLAIN), tune-ok (the
    /// server's frame_max and channel_max, heartbeat 0), open.
    bool connect(const AmqpUri& uri, const std::string& connection_name, int64_t timeout_ns);

    bool open_channel(uint16_t channel);
    /// Sends `method` on `channel` and waits for the reply `R` there. R's string views stay
    /// valid until the next read. Frames after the reply stay buffered for the caller.
    template <class R, class M>
    bool call(uint16_t channel, const M& method, R& reply);
    /// Queues a method frame; try_flush()/flush() send it.
    template <class M>
    void send(uint16_t channel, const M& method) {
        amqp::write_method_frame(out_, channel, method);
    }

    /// channel.close and wait for close-ok (discarding deliveries meanwhile).
    bool close_channel(uint16_t channel, int64_t timeout_ns);
    /// connection.close, wait for close-ok, close the socket. Safe to call more than once.
    void close(int64_t timeout_ns);
    /// Closes the socket without connection.close (when a frame is half written).
    void abort() { close_socket(); }

    int fd() const { return fd_; }
    bool is_open() const { return fd_ >= 0; }
    uint32_t frame_max() const { return frame_max_; }
    bool is_blocked() const { return blocked_; }
    bool failed() const { return !error_.empty(); }
    const std::string& error() const { return error_; }
    void fail(std::string text);
    /// After the broker closed just one channel, clears the error so the connection can go on
    /// (with another channel); false, keeping the error, if the connection itself failed.
    bool recover_from_channel_close();

    util::ByteBuffer& out() { return out_; }
    bool has_pending_output() const { return !out_.empty(); }
    /// Writes queued output without blocking; false on a socket error.
    bool try_flush();
    /// Writes all queued output, waiting at most until `deadline_ns` (reading meanwhile).
    bool flush(int64_t deadline_ns);
    /// Writes raw bytes without blocking: bytes written (maybe 0), or -1 on error.
    ssize_t write_some(const uint8_t* data, size_t size);

    /// One read() into the buffer: bytes read, 0 if none are ready, -1 on error or EOF.
    ssize_t read_some();
    /// Waits for the socket to become readable (or writable, if asked); returns poll's
    /// revents, 0 on timeout.
    int wait(bool want_write, int64_t timeout_ns);
    /// Takes the next complete frame off the read buffer. False when more bytes are needed,
    /// or on a malformed frame (then failed() is true). The payload views the buffer until
    /// the next read_some().
    bool next_frame(amqp::Frame& frame);
    /// Heartbeats, connection.close, channel.close, connection.blocked/unblocked, channel.flow.
    Control handle_control(const amqp::Frame& frame);

private:
    bool connect_socket(const AmqpUri& uri, int64_t deadline_ns);
    bool handshake(const AmqpUri& uri, const std::string& connection_name, int64_t deadline_ns);
    /// Reads until a method frame `id` arrives on `channel`; its arguments (after the ids)
    /// go to `args`. Control frames are handled, anything else is dropped.
    bool wait_method(uint16_t channel, amqp::MethodId id, std::string_view& args,
                     int64_t deadline_ns);
    void close_socket();

    int fd_ = -1;
    size_t read_chunk_;
    util::ByteBuffer in_;
    util::ByteBuffer out_;
    uint32_t frame_max_ = 0;  // 0 until tune
    bool blocked_ = false;
    bool closing_ = false;
    bool only_channel_closed_ = false;
    std::string error_;
};

inline constexpr int64_t kRpcTimeoutNs = 30 * kNsPerSec;

/// The class and method ids that open a method frame's payload ({0, 0} if it is too short).
amqp::MethodId method_id_of(const amqp::Frame& frame);

template <class R, class M>
bool Client::call(uint16_t channel, const M& method, R& reply) {
    send(channel, method);
    int64_t deadline = now_ns() + kRpcTimeoutNs;
    std::string_view args;
    if (!flush(deadline) || !wait_method(channel, R::kId, args, deadline)) return false;
    amqp::Reader r(args);
    if (!reply.decode(r)) {
        fail(std::string("malformed ") + std::string(R::kName) + " from the broker");
        return false;
    }
    return true;
}

}  // namespace warren::perf
