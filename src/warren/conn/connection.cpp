#include "warren/conn/connection.h"

#include "warren/amqp/field_table.h"
#include "warren/auth/user_db.h"
#include "warren/broker/broker.h"
#include "warren/broker/vhost.h"
#include "warren/conn/channel.h"
#include "warren/conn/server.h"
#include "warren/conn/server_properties.h"
#include "warren/util/log.h"

#include <fmt/format.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace warren::conn {
namespace {

using amqp::ReplyCode;
using Clock = net::EventLoop::Clock;

spdlog::logger& log() { return util::logger("conn"); }

constexpr size_t kReadChunk = 64 * 1024;
constexpr size_t kReadBudget = 64 * 1024;  // per turn, so one busy peer can't starve others
constexpr auto kCloseOkTimeout = std::chrono::seconds(3);

}  // namespace

Connection::Connection(Server& server, int fd, net::PeerAddress peer, uint64_t id,
                       std::unique_ptr<net::Transport> tls)
    : server_(server), fd_(fd), tls_(std::move(tls)),
      transport_(tls_ ? tls_.get() : &net::plain_transport()), peer_(std::move(peer)), id_(id),
      frame_max_(server.config().frame_max),
      channel_max_(static_cast<uint16_t>(std::min<uint32_t>(server.config().channel_max, 65535))) {
    opened_at_ = last_read_ = last_write_ = server_.loop().now();
    server_.loop().add(fd_, EPOLLIN | EPOLLRDHUP, this);
    log().debug("accepted connection from {}", peer_.to_string());
}

Connection::~Connection() {
    if (fd_ >= 0) {
        server_.loop().remove(fd_);
        ::close(fd_);
    }
}

void Connection::on_io(uint32_t events) {
    if (state_ == State::Closed) return;
    if (blocked_ && (events & (EPOLLHUP | EPOLLERR))) {
        shutdown_socket();  // not reading while blocked, but a dead peer still ends it
        return;
    }
    if (events & EPOLLOUT) flush();
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)) read_input();
}

void Connection::read_input() {
    // Reads land in one loop-wide scratch buffer and frames are parsed there in place;
    // only a partial frame's tail is copied into this connection's own buffer. Idle
    // connections so hold no read buffer at all.
    static util::ByteBuffer scratch(kReadChunk * 4);
    size_t total = 0;
    // Past the budget only to empty a TLS record already decrypted: epoll cannot report it.
    while (state_ != State::Closed && !blocked_ &&
           (total < kReadBudget || transport_->has_pending_input())) {
        bool own = !in_.empty();
        util::ByteBuffer& buf = own ? in_ : scratch;
        if (!own) scratch.clear();
        uint8_t* dst = buf.prepare(kReadChunk);
        ssize_t n = transport_->read(fd_, dst, kReadChunk);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (n <= 0) {
            // EOF or error: the peer is gone.
            if (state_ == State::Open)
                log().warn("client {} closed the TCP connection without connection.close",
                           peer_.to_string());
            shutdown_socket();
            return;
        }
        buf.commit(static_cast<size_t>(n));
        total += static_cast<size_t>(n);
        last_read_ = server_.loop().now();
        size_t used = process_input(buf.data(), buf.size());
        if (state_ == State::Closed) return;
        if (own) {
            in_.consume(used);
        } else if (used < scratch.size()) {
            in_.append(scratch.data() + used, scratch.size() - used);
        }
        if (static_cast<size_t>(n) < kReadChunk) break;  // drained for now
    }
    if (in_.empty()) in_.shrink_if_idle(0);
    if (tls_ && state_ != State::Closed && transport_->has_pending_output()) schedule_flush();
}

size_t Connection::process_input(const uint8_t* data, size_t size) {
    size_t used = 0;
    if (state_ == State::AwaitingHeader) {
        if (size < amqp::kProtocolHeader.size()) return 0;
        std::string_view got(reinterpret_cast<const char*>(data), amqp::kProtocolHeader.size());
        if (got != amqp::kProtocolHeader) {
            // AMQP 0-9-1 §4.2.2: answer with the header we speak, then close.
            size_t mark = out_.arena().size();
            out_.arena().append(amqp::kProtocolHeader);
            out_.commit_arena(mark);
            log().warn("{}: bad protocol header, closing", peer_.to_string());
            shutdown_socket();
            return size;
        }
        used = amqp::kProtocolHeader.size();
        send_start();
        state_ = State::AwaitingStartOk;
    }
    while (state_ != State::Closed && !blocked_) {
        amqp::Frame frame;
        size_t consumed = 0;
        auto status = amqp::parse_frame(data + used, size - used, frame_max_, frame, consumed);
        if (status == amqp::FrameStatus::NeedMore) break;
        if (status == amqp::FrameStatus::TooLarge) {
            // RabbitMQ reports the payload limit, frame_max less the 8 octets of framing.
            frame.payload = {};
            fail(frame_error(ReplyCode::FrameError, frame,
                             fmt::format(": {{frame_too_large,{},{}}}", frame.payload_size,
                                         frame_max_ - amqp::kFrameOverhead)));
            return size;
        }
        if (status == amqp::FrameStatus::BadFrameEnd) {
            fail(frame_error(ReplyCode::FrameError, frame,
                             fmt::format(": {{invalid_frame_end_marker,{}}}", frame.end)));
            return size;
        }
        bool keep_going = handle_frame(frame);
        used += consumed;
        if (!keep_going) return size;
    }
    return used;
}

bool Connection::handle_frame(const amqp::Frame& frame) {
    if (state_ == State::Closing) {
        // After our connection.close only close-ok (or a crossing close) matters.
        if (frame.type == 1 && frame.channel == 0) {
            amqp::Reader r(frame.payload);
            amqp::MethodId id{r.u16(), r.u16()};
            if (id == amqp::ConnectionCloseOk::kId || id == amqp::ConnectionClose::kId) {
                if (id == amqp::ConnectionClose::kId) send(0, amqp::ConnectionCloseOk{});
                shutdown_socket();
                return false;
            }
        }
        return true;
    }
    bool running = state_ == State::Open;
    switch (frame.type) {
    case 8:  // heartbeat
        if (frame.channel != 0) {
            fail(frame_error(ReplyCode::UnexpectedFrame, frame, ""));
            return false;
        }
        return true;
    case 1: {
        amqp::Reader r(frame.payload);
        amqp::MethodId id{r.u16(), r.u16()};
        if (!r.ok()) {
            fail(frame_error(ReplyCode::FrameError, frame, ": method frame too short"));
            return false;
        }
        if (frame.channel == 0) {
            handle_connection_method(id, r);
            return state_ == State::Open || state_ == State::AwaitingTuneOk ||
                   state_ == State::AwaitingOpen || state_ == State::AwaitingStartOk;
        }
        if (!running) return refuse_early_frame(frame);
        if (id.class_id == amqp::ConnectionStart::kId.class_id) {
            fail(amqp::Error{ReplyCode::CommandInvalid, "COMMAND_INVALID - unimplemented method",
                             id, amqp::Scope::Connection});
            return false;
        }
        Channel* ch = channel(frame.channel);
        if (!ch) {
            if (id == amqp::ChannelOpen::kId) {
                if (channels_.size() >= channel_max_) {
                    fail(amqp::connection_error(
                        ReplyCode::NotAllowed,
                        fmt::format("NOT_ALLOWED - number of channels opened ({}) has reached the "
                                    "negotiated channel_max ({})",
                                    channels_.size(), channel_max_)));
                    return false;
                }
                open_channel(frame.channel);
                return true;
            }
            fail(amqp::Error{ReplyCode::ChannelError, "CHANNEL_ERROR - expected 'channel.open'",
                             id, amqp::Scope::Connection});
            return false;
        }
        ch->on_method(id, r);
        return state_ == State::Open;
    }
    case 2:
    case 3: {
        if (!running) return refuse_early_frame(frame);
        if (frame.channel == 0) {
            fail(frame_error(ReplyCode::UnexpectedFrame, frame, ""));
            return false;
        }
        Channel* ch = channel(frame.channel);
        if (!ch) {
            fail(amqp::connection_error(ReplyCode::ChannelError,
                                        "CHANNEL_ERROR - expected 'channel.open'"));
            return false;
        }
        if (ch->is_closing()) return true;
        if (!ch->expects_content()) {
            fail(amqp::connection_error(
                ReplyCode::UnexpectedFrame,
                "UNEXPECTED_FRAME - expected method frame, got non method frame instead"));
            return false;
        }
        if (frame.type == 2)
            ch->on_header(frame.payload);
        else
            ch->on_body(frame.payload);
        return state_ == State::Open;
    }
    default:
        fail(frame_error(ReplyCode::FrameError, frame, ": unknown_frame"));
        return false;
    }
}

amqp::Error Connection::frame_error(ReplyCode code, const amqp::Frame& frame,
                                    std::string_view reason) const {
    return amqp::connection_error(
        code, fmt::format("{} - type {}, all octets = {}{}", amqp::reply_code_name(code),
                          frame.type, amqp::erlang_binary(frame.payload), reason));
}

bool Connection::refuse_early_frame(const amqp::Frame& frame) {
    // Between tune-ok and connection.open RabbitMQ answers with UNEXPECTED_FRAME; earlier
    // in the handshake it just drops the socket.
    if (state_ == State::AwaitingOpen)
        fail(frame_error(ReplyCode::UnexpectedFrame, frame, ""));
    else
        drop("frame before the handshake completed");
    return false;
}

void Connection::drop(std::string_view why) {
    log().warn("{}: {}, closing the socket", peer_.to_string(), why);
    shutdown_socket();
}

void Connection::send_start() {
    amqp::ConnectionStart start;
    start.version_major = 0;
    start.version_minor = 9;
    start.server_properties = server_properties();
    start.mechanisms = "PLAIN AMQPLAIN";
    start.locales = "en_US";
    send(0, start);
}

void Connection::handle_connection_method(amqp::MethodId id, amqp::Reader& r) {
    std::string_view args(reinterpret_cast<const char*>(r.position()), r.remaining());
    bool expected = true;
    auto status = amqp::dispatch_method(id, r, [&](const auto& m) {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, amqp::ConnectionStartOk>) {
            if (state_ != State::AwaitingStartOk) expected = false; else on_start_ok(m);
        } else if constexpr (std::is_same_v<M, amqp::ConnectionTuneOk>) {
            if (state_ != State::AwaitingTuneOk) expected = false; else on_tune_ok(m);
        } else if constexpr (std::is_same_v<M, amqp::ConnectionOpen>) {
            if (state_ != State::AwaitingOpen) expected = false; else on_open(m);
        } else if constexpr (std::is_same_v<M, amqp::ConnectionClose>) {
            on_close(m);
        } else if constexpr (std::is_same_v<M, amqp::ConnectionCloseOk>) {
            shutdown_socket();
        } else {
            expected = false;
        }
    });
    if (status == amqp::DecodeStatus::UnknownMethod) {
        // RabbitMQ 3.10 drops the socket here without a word (its reader crashes on
        // {unknown_method_id,...}); Warren says why before closing.
        fail(amqp::Error{ReplyCode::NotImplemented,
                         fmt::format("NOT_IMPLEMENTED - unknown method {}/{}", id.class_id,
                                     id.method_id),
                         id, amqp::Scope::Connection});
    } else if (status == amqp::DecodeStatus::Malformed) {
        if (state_ == State::Open)
            fail(amqp::Error{ReplyCode::FrameError,
                             fmt::format("FRAME_ERROR - cannot decode {}", amqp::erlang_binary(args)),
                             id, amqp::Scope::Connection});
        else
            drop("malformed handshake method");
    } else if (!expected) {
        if (state_ == State::Open)
            fail(amqp::Error{ReplyCode::ChannelError,
                             "CHANNEL_ERROR - unexpected method in connection state running", id,
                             amqp::Scope::Connection});
        else
            drop(fmt::format("unexpected '{}' during the handshake", amqp::method_name(id)));
    }
}

void Connection::refuse_login(std::string_view mechanism) {
    // Clients announcing authentication_failure_close get a reason; others (as with
    // RabbitMQ) see the socket close.
    if (!auth_failure_close_) {
        drop("login refused");
        return;
    }
    fail(amqp::connection_error(
        ReplyCode::AccessRefused,
        fmt::format("ACCESS_REFUSED - Login was refused using authentication mechanism {}. For "
                    "details see the broker logfile.",
                    mechanism)));
}

void Connection::on_start_ok(const amqp::ConnectionStartOk& m) {
    if (auto* caps = m.client_properties.find("capabilities"); caps && caps->table()) {
        auto flag = [&](const char* name) {
            const amqp::FieldValue* v = caps->table()->find(name);
            return v && v->get_if<bool>() && *v->get_if<bool>();
        };
        cancel_notify_ = flag("consumer_cancel_notify");
        blocked_notify_ = flag("connection.blocked");
        auth_failure_close_ = flag("authentication_failure_close");
    }
    std::string user, password;
    if (m.mechanism == "PLAIN") {
        // "authzid \0 authcid \0 password" (RFC 4616); authzid is ignored as RabbitMQ does.
        std::string_view resp = m.response;
        size_t a = resp.find('\0');
        size_t b = a == std::string_view::npos ? a : resp.find('\0', a + 1);
        if (b == std::string_view::npos) {
            drop("malformed PLAIN response");
            return;
        }
        user = resp.substr(a + 1, b - a - 1);
        password = resp.substr(b + 1);
    } else if (m.mechanism == "AMQPLAIN") {
        amqp::FieldTable t;
        amqp::decode_table(m.response, t);
        if (auto* v = t.find("LOGIN"); v && v->string()) user = *v->string();
        if (auto* v = t.find("PASSWORD"); v && v->string()) password = *v->string();
    } else {
        drop(fmt::format("unknown authentication mechanism '{}'", m.mechanism));
        return;
    }
    auth::UserDb& users = server_.broker().users();
    const auth::User* u = users.authenticate(user, password);
    // As RabbitMQ: who and from where, never the password.
    if (!u) {
        log().warn("login failed for user '{}' from {}: invalid credentials", user,
                   peer_.to_string());
        refuse_login(m.mechanism);
        return;
    }
    if (users.is_loopback_only(user) && !peer_.is_loopback) {
        log().warn("login failed for user '{}' from {}: user '{}' can only connect via localhost",
                   user, peer_.to_string(), user);
        refuse_login(m.mechanism);
        return;
    }
    user_name_ = user;
    if (auto* p = m.client_properties.find("product"); p && p->string()) client_product_ = *p->string();
    client_properties_ = m.client_properties;
    auth_mechanism_ = m.mechanism;
    amqp::ConnectionTune tune;
    tune.channel_max = channel_max_;
    tune.frame_max = frame_max_;
    tune.heartbeat = static_cast<uint16_t>(std::min<uint32_t>(server_.config().heartbeat_s, 65535));
    send(0, tune);
    state_ = State::AwaitingTuneOk;
}

void Connection::on_tune_ok(const amqp::ConnectionTuneOk& m) {
    // RabbitMQ drops the socket on out-of-range values; 0 means "no limit", which is
    // above ours, so it is refused too.
    uint32_t server_frame_max = server_.config().frame_max;
    if (m.frame_max < amqp::kFrameMinSize || m.frame_max > server_frame_max) {
        drop(fmt::format("tune-ok frame_max {} outside [{}, {}]", m.frame_max, amqp::kFrameMinSize,
                         server_frame_max));
        return;
    }
    if (m.channel_max == 0 || m.channel_max > channel_max_) {
        drop(fmt::format("tune-ok channel_max {} outside [1, {}]", m.channel_max, channel_max_));
        return;
    }
    frame_max_ = m.frame_max;
    channel_max_ = m.channel_max;
    heartbeat_s_ = m.heartbeat;
    state_ = State::AwaitingOpen;
}

void Connection::on_open(const amqp::ConnectionOpen& m) {
    auto& b = server_.broker();
    broker::Vhost* vh = b.find_vhost(m.virtual_host);
    if (!vh) {
        fail(amqp::Error{ReplyCode::NotAllowed,
                         fmt::format("NOT_ALLOWED - vhost {} not found", m.virtual_host),
                         amqp::ConnectionOpen::kId, amqp::Scope::Connection});
        return;
    }
    if (!b.users().permissions(user_name_, m.virtual_host)) {
        fail(amqp::Error{ReplyCode::NotAllowed,
                         fmt::format("NOT_ALLOWED - access to vhost '{}' refused for user '{}'",
                                     m.virtual_host, user_name_),
                         amqp::ConnectionOpen::kId, amqp::Scope::Connection});
        return;
    }
    vhost_ = vh;
    state_ = State::Open;
    send(0, amqp::ConnectionOpenOk{});
    log().info("connection {} ({}) opened: user '{}', vhost '{}'", id_, peer_.to_string(),
               user_name_, m.virtual_host);
}

void Connection::on_close(const amqp::ConnectionClose& m) {
    log().info("connection {} ({}) closed by client: {} {}", id_, peer_.to_string(), m.reply_code,
               m.reply_text);
    close_all_channels();
    send(0, amqp::ConnectionCloseOk{});
    shutdown_socket();
}

void Connection::fail(const amqp::Error& error) {
    if (state_ == State::Closing || state_ == State::Closed) return;
    log().warn("connection {} ({}): closing with {}", id_, peer_.to_string(), error.text);
    amqp::ConnectionClose close;
    close.reply_code = static_cast<uint16_t>(error.code);
    close.reply_text = error.text;
    close.class_id = error.cause.class_id;
    close.method_id = error.cause.method_id;
    send(0, close);
    close_all_channels();
    state_ = State::Closing;
    closing_since_ = server_.loop().now();
}

void Connection::force_close(std::string_view reason) {
    if (state_ == State::Open) {
        fail(amqp::connection_error(ReplyCode::ConnectionForced,
                                    fmt::format("CONNECTION_FORCED - {}", reason)));
        flush();
    } else if (state_ != State::Closed) {
        shutdown_socket();
    }
}

void Connection::close_all_channels() {
    auto channels = std::move(channels_);
    channels_.clear();
    throttled_channels_.clear();
    for (auto& ch : channels) ch->release_resources();
}

void Connection::shutdown_socket() {
    if (state_ == State::Closed) return;
    transport_->close();
    flush();
    close_all_channels();
    state_ = State::Closed;
    server_.loop().remove(fd_);
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    fd_ = -1;
    server_.loop().cancel(*this);
    if (vhost_) vhost_->drop_owned_queues(owner_id());
    server_.release(this);
}

Channel* Connection::channel(uint16_t number) {
    auto it = std::lower_bound(channels_.begin(), channels_.end(), number,
                               [](const auto& c, uint16_t n) { return c->number() < n; });
    return (it != channels_.end() && (*it)->number() == number) ? it->get() : nullptr;
}

void Connection::open_channel(uint16_t number) {
    auto it = std::lower_bound(channels_.begin(), channels_.end(), number,
                               [](const auto& c, uint16_t n) { return c->number() < n; });
    channels_.insert(it, std::make_unique<Channel>(*this, number));
    send(number, amqp::ChannelOpenOk{});
}

void Connection::release_channel(uint16_t number) {
    auto it = std::lower_bound(channels_.begin(), channels_.end(), number,
                               [](const auto& c, uint16_t n) { return c->number() < n; });
    if (it == channels_.end() || (*it)->number() != number) return;
    std::unique_ptr<Channel> gone = std::move(*it);
    channels_.erase(it);
    gone->release_resources();
    throttled_channels_.erase(
        std::remove(throttled_channels_.begin(), throttled_channels_.end(), gone.get()),
        throttled_channels_.end());
}

void Connection::write_content(uint16_t channel, const broker::Message& message) {
    util::ByteBuffer& arena = out_.arena();
    size_t mark = arena.size();
    amqp::write_header_frame(arena, channel, message.body_size(), message.properties());
    out_.commit_arena(mark);
    const uint8_t* body = message.data().data() + message.properties_size();
    uint64_t left = message.body_size();
    size_t chunk_max = frame_max_ - amqp::kFrameOverhead;
    while (left > 0) {
        size_t n = static_cast<size_t>(std::min<uint64_t>(left, chunk_max));
        mark = arena.size();
        amqp::Writer w(arena);
        w.u8(3);
        w.u16(channel);
        w.u32(static_cast<uint32_t>(n));
        out_.commit_arena(mark);
        out_.append_shared(message.data(), body, n);
        mark = arena.size();
        arena.push(amqp::kFrameEnd);
        out_.commit_arena(mark);
        body += n;
        left -= n;
    }
    schedule_flush();
}

void Connection::schedule_flush() {
    if (state_ != State::Closed) server_.loop().schedule(*this, 1);
}

void Connection::run_turn_task() { flush(); }

void Connection::flush() {
    if (fd_ < 0 || (out_.empty() && !transport_->has_pending_output())) return;
    if (!transport_->flush(fd_, out_)) {
        log().debug("connection {}: write failed", id_);
        out_ = net::OutQueue();
        if (state_ != State::Closed) {
            state_ = State::Closing;  // the read side will see the error and shut down
            closing_since_ = server_.loop().now() - kCloseOkTimeout;
        }
        return;
    }
    last_write_ = server_.loop().now();
    bool pending = !out_.empty() || transport_->has_pending_output();
    if (pending != want_write_ && state_ != State::Closed) {
        want_write_ = pending;
        update_interest();
    }
    if (throttled_ && out_.size() < kLowWatermark) {
        throttled_ = false;
        auto channels = std::move(throttled_channels_);
        throttled_channels_.clear();
        for (Channel* ch : channels) ch->wake_consumers();
    }
    if (!pending) out_.trim();
}

void Connection::update_interest() {
    if (fd_ < 0) return;
    uint32_t events = (blocked_ ? 0u : EPOLLIN | EPOLLRDHUP) | (want_write_ ? EPOLLOUT : 0u);
    server_.loop().modify(fd_, events, this);
}

void Connection::note_publish() {
    is_publisher_ = true;
    if (!blocked_ && server_.alarms().active()) block(server_.alarms().reason());
}

void Connection::on_alarm(bool active, const std::string& reason) {
    if (state_ != State::Open) return;
    if (active && is_publisher_ && !blocked_) block(reason);
    if (!active && blocked_) unblock();
}

void Connection::send_blocked_notice(uint16_t method_id, std::string_view reason) {
    // connection.blocked (10, 60) and unblocked (10, 61) are RabbitMQ's extension and not in
    // the spec XML the codec is generated from.
    if (!blocked_notify_) return;
    size_t mark = out_.arena().size();
    size_t size_at = 0;
    amqp::begin_frame(out_.arena(), amqp::FrameType::Method, 0, size_at);
    amqp::Writer w(out_.arena());
    w.u16(10);
    w.u16(method_id);
    if (method_id == 60) w.shortstr(reason);
    amqp::end_frame(out_.arena(), size_at);
    out_.commit_arena(mark);
    schedule_flush();
}

void Connection::block(const std::string& reason) {
    blocked_ = true;
    log().info("connection {} ({}) blocked: {}", id_, peer_.to_string(), reason);
    send_blocked_notice(60, reason);
    update_interest();
}

void Connection::unblock() {
    blocked_ = false;
    log().info("connection {} ({}) unblocked", id_, peer_.to_string());
    send_blocked_notice(61, "");
    update_interest();
    // Frames that arrived before the block are handled now.
    if (!in_.empty()) {
        size_t used = process_input(in_.data(), in_.size());
        if (state_ != State::Closed) in_.consume(used);
    }
    // Decrypted TLS input left behind when the block began: epoll will not report it.
    if (state_ != State::Closed && !blocked_ && transport_->has_pending_input()) read_input();
}

void Connection::note_throttled(Channel* channel) {
    throttled_ = true;
    if (std::find(throttled_channels_.begin(), throttled_channels_.end(), channel) ==
        throttled_channels_.end())
        throttled_channels_.push_back(channel);
}

void Connection::on_tick(Clock::time_point now) {
    if (state_ == State::Closed) return;
    if (state_ == State::Closing) {
        if (now - closing_since_ >= kCloseOkTimeout) shutdown_socket();
        return;
    }
    if (state_ != State::Open) {
        const config::Config& c = server_.config();
        bool tls_late = tls_ && transport_->is_handshaking() &&
                        now - opened_at_ >= std::chrono::milliseconds(c.tls_handshake_timeout_ms);
        if (tls_late || now - opened_at_ >= std::chrono::milliseconds(c.handshake_timeout_ms)) {
            log().warn("{}: {}handshake timeout, closing", peer_.to_string(),
                       tls_late ? "TLS " : "");
            shutdown_socket();
        }
        return;
    }
    if (heartbeat_s_ == 0) return;
    // In milliseconds: a whole-second interval / 2 would truncate (1 s / 2 == 0 s).
    std::chrono::milliseconds interval = std::chrono::seconds(heartbeat_s_);
    if (blocked_) last_read_ = now;  // we are not reading: silence is ours, not the peer's
    if (now - last_read_ >= 2 * interval) {
        log().warn("connection {} ({}): missed heartbeats from client, timeout: {}s", id_,
                   peer_.to_string(), heartbeat_s_);
        shutdown_socket();
        return;
    }
    // RabbitMQ sends a heartbeat every interval/2 of silence. Half a sweep of slack keeps
    // that cadence when a sweep comes a hair before the mark, instead of a whole interval.
    if (now - last_write_ >= interval / 2 - kSweepInterval / 2) {
        size_t mark = out_.arena().size();
        amqp::write_heartbeat_frame(out_.arena());
        out_.commit_arena(mark);
        flush();
    }
}

}  // namespace warren::conn
