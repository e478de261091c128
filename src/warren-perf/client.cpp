#include "warren-perf/client.h"

#include "warren/amqp/field_table.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace warren::perf {
namespace {

constexpr uint32_t kDefaultFrameMax = 131072;
constexpr uint16_t kDefaultChannelMax = 2047;
constexpr int64_t kPollSliceNs = 100 * kNsPerMs;
constexpr amqp::MethodId kConnectionBlocked{10, 60};
constexpr amqp::MethodId kConnectionUnblocked{10, 61};

std::string describe_close(uint16_t code, std::string_view text, uint16_t class_id,
                           uint16_t method_id) {
    std::string s = std::to_string(code) + " " + std::string(text);
    if (class_id != 0) {
        std::string_view cause = amqp::method_name(amqp::MethodId{class_id, method_id});
        s += " (in reply to ";
        s += cause.empty() ? std::to_string(class_id) + "." + std::to_string(method_id)
                           : std::string(cause);
        s += ")";
    }
    return s;
}

amqp::FieldTable client_properties(const std::string& connection_name) {
    amqp::FieldTable capabilities{
        {"publisher_confirms", true},         {"basic.nack", true},
        {"connection.blocked", true},         {"consumer_cancel_notify", true},
        {"exchange_exchange_bindings", true}, {"authentication_failure_close", true},
    };
    return amqp::FieldTable{
        {"product", "warren-perf"},
        {"version", "0.1.0"},
        {"platform", "C++20"},
        {"information", "AMQP 0-9-1 load generator"},
        {"connection_name", std::string_view(connection_name)},
        {"capabilities", std::move(capabilities)},
    };
}

}  // namespace

amqp::MethodId method_id_of(const amqp::Frame& frame) {
    if (frame.payload.size() < 4) return {};
    auto p = reinterpret_cast<const uint8_t*>(frame.payload.data());
    return amqp::MethodId{static_cast<uint16_t>((p[0] << 8) | p[1]),
                          static_cast<uint16_t>((p[2] << 8) | p[3])};
}

Client::Client(size_t read_buffer_bytes)
    : read_chunk_(std::max<size_t>(read_buffer_bytes / 4, 4096)), in_(read_buffer_bytes) {}

Client::~Client() { close_socket(); }

void Client::fail(std::string text) {
    if (!error_.empty()) {
        only_channel_closed_ = false;
        return;
    }
    error_ = std::move(text);
}

bool Client::recover_from_channel_close() {
    if (!only_channel_closed_ || fd_ < 0) return false;
    error_.clear();
    only_channel_closed_ = false;
    return true;
}

void Client::close_socket() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

bool Client::connect(const AmqpUri& uri, const std::string& connection_name, int64_t timeout_ns) {
    int64_t deadline = now_ns() + timeout_ns;
    if (!connect_socket(uri, deadline)) return false;
    if (!handshake(uri, connection_name, deadline)) {
        close_socket();
        return false;
    }
    return true;
}

bool Client::connect_socket(const AmqpUri& uri, int64_t deadline_ns) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    std::string port = std::to_string(uri.port);
    if (int rc = getaddrinfo(uri.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
        fail("cannot resolve '" + uri.host + "': " + gai_strerror(rc));
        return false;
    }
    std::string last_error = "no address";
    for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
        int fd =
            ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            last_error = std::strerror(errno);
            continue;
        }
        int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
        if (rc != 0 && errno == EINPROGRESS) {
            pollfd p{fd, POLLOUT, 0};
            int64_t left = std::max<int64_t>(deadline_ns - now_ns(), 0);
            timespec ts{static_cast<time_t>(left / kNsPerSec), static_cast<long>(left % kNsPerSec)};
            int ready = ::ppoll(&p, 1, &ts, nullptr);
            int err = ETIMEDOUT;
            socklen_t len = sizeof err;
            if (ready == 1) ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
            rc = err == 0 ? 0 : -1;
            errno = err;
        }
        if (rc != 0) {
            last_error = std::strerror(errno);
            ::close(fd);
            continue;
        }
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        fd_ = fd;
        break;
    }
    freeaddrinfo(found);
    if (fd_ < 0) {
        fail("cannot connect to " + uri.display() + ": " + last_error);
        return false;
    }
    return true;
}

bool Client::handshake(const AmqpUri& uri, const std::string& connection_name,
                       int64_t deadline_ns) {
    out_.append(amqp::kProtocolHeader);
    if (!flush(deadline_ns)) return false;

    // A broker that refuses our version answers with its own protocol header (§4.2.2).
    while (in_.size() < 8) {
        if (wait(false, deadline_ns - now_ns()) == 0 && now_ns() >= deadline_ns) {
            fail("timed out waiting for connection.start");
            return false;
        }
        if (read_some() < 0) return false;
    }
    if (std::memcmp(in_.data(), "AMQP", 4) == 0) {
        const uint8_t* v = in_.data() + 4;
        fail("broker refused AMQP 0-9-1; it speaks AMQP " + std::to_string(v[1]) + "-" +
             std::to_string(v[2]) + "-" + std::to_string(v[3]));
        return false;
    }

    std::string_view args;
    if (!wait_method(0, amqp::ConnectionStart::kId, args, deadline_ns)) return false;
    amqp::ConnectionStart start;
    amqp::Reader start_reader(args);
    if (!start.decode(start_reader)) {
        fail("malformed connection.start from the broker");
        return false;
    }
    if (start.mechanisms.find("PLAIN") == std::string_view::npos) {
        fail("broker does not offer SASL PLAIN (offers: " + std::string(start.mechanisms) + ")");
        return false;
    }

    std::string response;
    response.push_back('\0');
    response += uri.user;
    response.push_back('\0');
    response += uri.password;
    amqp::ConnectionStartOk start_ok;
    start_ok.client_properties = client_properties(connection_name);
    start_ok.mechanism = "PLAIN";
    start_ok.response = response;
    start_ok.locale = "en_US";
    send(0, start_ok);
    if (!flush(deadline_ns)) return false;

    if (!wait_method(0, amqp::ConnectionTune::kId, args, deadline_ns)) {
        if (error_.starts_with("broker closed the socket")) {
            error_ += " (authentication failure for user '" + uri.user + "'?)";
        }
        return false;
    }
    amqp::ConnectionTune tune;
    amqp::Reader tune_reader(args);
    if (!tune.decode(tune_reader)) {
        fail("malformed connection.tune from the broker");
        return false;
    }
    amqp::ConnectionTuneOk tune_ok;
    tune_ok.channel_max = tune.channel_max != 0 ? tune.channel_max : kDefaultChannelMax;
    tune_ok.frame_max = tune.frame_max != 0 ? tune.frame_max : kDefaultFrameMax;
    tune_ok.heartbeat = 0;
    send(0, tune_ok);
    frame_max_ = tune_ok.frame_max;

    amqp::ConnectionOpen open;
    open.virtual_host = uri.vhost;
    amqp::ConnectionOpenOk open_ok;
    return call(0, open, open_ok);
}

bool Client::open_channel(uint16_t channel) {
    amqp::ChannelOpenOk ok;
    return call(channel, amqp::ChannelOpen{}, ok);
}

bool Client::close_channel(uint16_t channel, int64_t timeout_ns) {
    if (fd_ < 0 || failed()) return false;
    amqp::ChannelClose close;
    close.reply_code = 200;
    close.reply_text = "OK";
    send(channel, close);
    int64_t deadline = now_ns() + timeout_ns;
    std::string_view args;
    return flush(deadline) && wait_method(channel, amqp::ChannelCloseOk::kId, args, deadline);
}

void Client::close(int64_t timeout_ns) {
    if (fd_ < 0) return;
    if (!failed()) {
        closing_ = true;
        amqp::ConnectionClose close;
        close.reply_code = 200;
        close.reply_text = "OK";
        send(0, close);
        int64_t deadline = now_ns() + timeout_ns;
        std::string_view args;
        if (flush(deadline)) wait_method(0, amqp::ConnectionCloseOk::kId, args, deadline);
    }
    close_socket();
}

bool Client::try_flush() {
    while (!out_.empty()) {
        ssize_t n = write_some(out_.data(), out_.size());
        if (n < 0) return false;
        if (n == 0) return true;
        out_.consume(static_cast<size_t>(n));
    }
    return true;
}

bool Client::flush(int64_t deadline_ns) {
    while (!out_.empty()) {
        if (!try_flush()) return false;
        if (out_.empty()) break;
        int64_t left = deadline_ns - now_ns();
        if (left <= 0) {
            fail("timed out writing to the broker");
            return false;
        }
        // Keep reading while we wait, so a broker pushing to us never deadlocks with us.
        if (wait(true, std::min(left, kPollSliceNs)) & POLLIN) {
            if (read_some() < 0) return false;
        }
    }
    return true;
}

ssize_t Client::write_some(const uint8_t* data, size_t size) {
    if (fd_ < 0) return -1;
    ssize_t n = ::send(fd_, data, size, MSG_NOSIGNAL);
    if (n >= 0) return n;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return 0;
    fail(std::string("write to the broker failed: ") + std::strerror(errno));
    return -1;
}

ssize_t Client::read_some() {
    if (fd_ < 0) return -1;
    uint8_t* dst = in_.prepare(read_chunk_);
    ssize_t n = ::read(fd_, dst, read_chunk_);
    if (n > 0) {
        in_.commit(static_cast<size_t>(n));
        return n;
    }
    if (n == 0) {
        fail(closing_ ? "broker closed the socket before connection.close-ok"
                      : "broker closed the socket without connection.close");
        return -1;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return 0;
    fail(std::string("read from the broker failed: ") + std::strerror(errno));
    return -1;
}

int Client::wait(bool want_write, int64_t timeout_ns) {
    if (fd_ < 0) return POLLERR;
    pollfd p{fd_, static_cast<short>(POLLIN | (want_write ? POLLOUT : 0)), 0};
    timeout_ns = std::max<int64_t>(timeout_ns, 0);
    timespec ts{static_cast<time_t>(timeout_ns / kNsPerSec),
                static_cast<long>(timeout_ns % kNsPerSec)};
    int rc = ::ppoll(&p, 1, &ts, nullptr);
    if (rc <= 0) return 0;
    // Errors and hang-ups surface through the next read or write.
    return p.revents & (POLLERR | POLLHUP) ? (p.revents | POLLIN) : p.revents;
}

bool Client::next_frame(amqp::Frame& frame) {
    size_t consumed = 0;
    uint32_t limit = frame_max_ != 0 ? frame_max_ : kDefaultFrameMax;
    switch (amqp::parse_frame(in_.data(), in_.size(), limit, frame, consumed)) {
    case amqp::FrameStatus::Ok:
        in_.consume(consumed);
        return true;
    case amqp::FrameStatus::NeedMore:
        return false;
    case amqp::FrameStatus::BadFrameEnd:
        fail("malformed frame from the broker (bad frame-end octet)");
        return false;
    case amqp::FrameStatus::TooLarge:
        fail("frame from the broker exceeds frame_max " + std::to_string(limit));
        return false;
    }
    return false;
}

Control Client::handle_control(const amqp::Frame& frame) {
    if (frame.type == static_cast<uint8_t>(amqp::FrameType::Heartbeat)) return Control::Handled;
    if (frame.type != static_cast<uint8_t>(amqp::FrameType::Method)) return Control::NotMine;
    amqp::MethodId id = method_id_of(frame);
    amqp::Reader r(frame.payload.substr(4));
    if (id == amqp::ConnectionClose::kId) {
        amqp::ConnectionClose m;
        m.decode(r);
        fail("broker closed the connection: " +
             describe_close(m.reply_code, m.reply_text, m.class_id, m.method_id));
        send(0, amqp::ConnectionCloseOk{});
        try_flush();
        return Control::Fatal;
    }
    if (id == amqp::ChannelClose::kId) {
        amqp::ChannelClose m;
        m.decode(r);
        fail("broker closed channel " + std::to_string(frame.channel) + ": " +
             describe_close(m.reply_code, m.reply_text, m.class_id, m.method_id));
        only_channel_closed_ = error_.starts_with("broker closed channel");
        send(frame.channel, amqp::ChannelCloseOk{});
        try_flush();
        return Control::Fatal;
    }
    if (id == kConnectionBlocked) {
        blocked_ = true;
        return Control::Handled;
    }
    if (id == kConnectionUnblocked) {
        blocked_ = false;
        return Control::Handled;
    }
    if (id == amqp::ChannelFlow::kId) {
        amqp::ChannelFlow m;
        m.decode(r);
        blocked_ = !m.active;
        amqp::ChannelFlowOk ok;
        ok.active = m.active;
        send(frame.channel, ok);
        try_flush();
        return Control::Handled;
    }
    return Control::NotMine;
}

bool Client::wait_method(uint16_t channel, amqp::MethodId id, std::string_view& args,
                         int64_t deadline_ns) {
    for (;;) {
        amqp::Frame frame;
        while (next_frame(frame)) {
            if (frame.type == static_cast<uint8_t>(amqp::FrameType::Method) &&
                frame.channel == channel && method_id_of(frame) == id) {
                args = frame.payload.substr(4);
                return true;
            }
            // During close a concurrent connection.close from the broker also ends it.
            if (closing_ && method_id_of(frame) == amqp::ConnectionClose::kId &&
                frame.type == static_cast<uint8_t>(amqp::FrameType::Method)) {
                send(0, amqp::ConnectionCloseOk{});
                try_flush();
                return true;
            }
            if (handle_control(frame) == Control::Fatal) return false;
        }
        if (failed()) return false;
        int64_t left = deadline_ns - now_ns();
        if (left <= 0) {
            fail("timed out waiting for " + std::string(amqp::method_name(id)));
            return false;
        }
        if (wait(false, std::min(left, kPollSliceNs)) != 0 && read_some() < 0) return false;
    }
}

}  // namespace warren::perf
