#include "warren/auth/user_db.h"
#include "warren/broker/broker.h"
#include "warren/broker/delayed_messages.h"
#include "warren/broker/errors.h"
#include "warren/broker/sender_selected.h"
#include "warren/broker/vhost.h"
#include "warren/conn/channel.h"
#include "warren/conn/connection.h"
#include "warren/conn/server.h"

#include <fmt/format.h>

#include "warren/amqp/field_table.h"

#include <cstring>
#include <optional>

namespace warren::conn {

namespace {

constexpr std::string_view kReplyTo = "amq.rabbitmq.reply-to";
constexpr std::string_view kReplyToPrefix = "amq.rabbitmq.reply-to.";

/// Parses the expiration property as RabbitMQ does (a decimal integer string, >= 0).
amqp::Result<int64_t> parse_expiration(std::string_view text) {
    int64_t value = 0;
    bool negative = !text.empty() && text.front() == '-';
    std::string_view digits = negative ? text.substr(1) : text;
    bool ok = !digits.empty() && digits.size() <= 18;
    for (char c : digits) ok = ok && c >= '0' && c <= '9';
    if (!ok)
        return amqp::channel_error(
            amqp::ReplyCode::PreconditionFailed,
            fmt::format("PRECONDITION_FAILED - invalid expiration '{}': no_integer", text));
    for (char c : digits) value = value * 10 + (c - '0');
    if (negative && value != 0)
        return amqp::channel_error(amqp::ReplyCode::PreconditionFailed,
                                   fmt::format("PRECONDITION_FAILED - invalid expiration '{}': "
                                               "{{value_negative,-{}}}",
                                               text, value));
    return value;
}

}  // namespace

amqp::Result<> Channel::on_basic_publish(const amqp::BasicPublish& m) {
    if (m.immediate)
        return amqp::Error{amqp::ReplyCode::NotImplemented, "NOT_IMPLEMENTED - immediate=true",
                           amqp::BasicPublish::kId, amqp::Scope::Connection};
    conn_.note_publish();
    pending_.exchange.assign(m.exchange);
    pending_.routing_key.assign(m.routing_key);
    pending_.mandatory = m.mandatory;
    pending_.received = 0;
    assembly_ = Assembly::Header;
    return {};
}

void Channel::on_header(std::string_view payload) {
    if (assembly_ != Assembly::Header) {
        conn_.fail(amqp::connection_error(
            amqp::ReplyCode::UnexpectedFrame,
            "UNEXPECTED_FRAME - expected content body, got non content body frame instead"));
        return;
    }
    amqp::Reader r(payload);
    uint16_t class_id = r.u16();
    r.u16();  // weight, unused
    uint64_t body_size = r.u64();
    if (!r.ok() || class_id != amqp::BasicPublish::kId.class_id) {
        conn_.fail(amqp::connection_error(amqp::ReplyCode::FrameError,
                                          "FRAME_ERROR - malformed content header frame"));
        return;
    }
    uint64_t limit = conn_.server().config().max_message_size;
    if (body_size > limit) {
        assembly_ = Assembly::None;
        fail(amqp::channel_error(
                 amqp::ReplyCode::PreconditionFailed,
                 fmt::format("PRECONDITION_FAILED - message size {} is larger than configured max "
                             "size {}",
                             body_size, limit)),
             amqp::BasicPublish::kId);
        return;
    }
    std::string_view props = payload.substr(12);
    pending_.body_size = body_size;
    pending_.properties_size = static_cast<uint32_t>(props.size());
    pending_.data = util::SharedBytes::allocate(props.size() + body_size);
    if (!props.empty()) std::memcpy(pending_.data.mutable_data(), props.data(), props.size());
    if (body_size == 0) {
        if (auto done = complete_publish(); !done) {
            auto e = done.error();
            if (e.scope == amqp::Scope::Connection) conn_.fail(e); else fail(e, amqp::BasicPublish::kId);
        }
        return;
    }
    assembly_ = Assembly::Body;
}

void Channel::on_body(std::string_view payload) {
    if (assembly_ != Assembly::Body) {
        conn_.fail(amqp::connection_error(
            amqp::ReplyCode::UnexpectedFrame,
            "UNEXPECTED_FRAME - expected content header for class 60, got non content header "
            "frame instead"));
        return;
    }
    if (pending_.received + payload.size() > pending_.body_size) {
        // RabbitMQ keeps waiting for a body that can no longer add up (the next method then
        // gets UNEXPECTED_FRAME); the excess is dropped, never written past the buffer.
        pending_.received = pending_.body_size + 1;
        return;
    }
    std::memcpy(pending_.data.mutable_data() + pending_.properties_size + pending_.received,
                payload.data(), payload.size());
    pending_.received += payload.size();
    if (pending_.received != pending_.body_size) return;
    if (auto done = complete_publish(); !done) {
        auto e = done.error();
        if (e.cause.packed() == 0) e.cause = amqp::BasicPublish::kId;
        if (e.scope == amqp::Scope::Connection) conn_.fail(e); else fail(e, amqp::BasicPublish::kId);
    }
}

namespace {

/// Rebuilds a pending message's buffer with new encoded properties and the same body.
void replace_properties_of(util::SharedBytes& data, uint32_t& properties_size,
                           uint64_t body_size, const amqp::BasicProperties& props) {
    util::ByteBuffer encoded;
    amqp::Writer w(encoded);
    props.encode(w);
    util::SharedBytes fresh = util::SharedBytes::allocate(encoded.size() + body_size);
    std::memcpy(fresh.mutable_data(), encoded.data(), encoded.size());
    std::memcpy(fresh.mutable_data() + encoded.size(), data.data() + properties_size, body_size);
    data = std::move(fresh);
    properties_size = static_cast<uint32_t>(encoded.size());
}

}  // namespace

void Channel::replace_properties(PendingPublish& p, const amqp::BasicProperties& props) {
    replace_properties_of(p.data, p.properties_size, p.body_size, props);
}

amqp::Result<broker::Exchange*> Channel::check_publish_target(std::string_view exchange) {
    broker::Vhost& vh = *conn_.vhost();
    broker::Exchange* ex = vh.find_exchange(exchange);
    if (!ex) return broker::errors::no_exchange(exchange, vh.name());
    if (ex->is_internal()) return broker::errors::internal_exchange_publish(exchange, vh.name());
    if (!write_allowed_ || write_allowed_exchange_ != exchange) {
        // Permissions name the default exchange "amq.default", as RabbitMQ does.
        std::string_view resource = exchange.empty() ? "amq.default" : exchange;
        if (auto denied = check_access(auth::Access::Write, "exchange", resource); !denied) return denied.error();
        write_allowed_exchange_.assign(exchange);
        write_allowed_ = true;
    }
    return ex;
}

amqp::Result<> Channel::complete_publish() {
    assembly_ = Assembly::None;
    PendingPublish p = std::move(pending_);
    pending_ = PendingPublish{};
    uint64_t seq = confirm_mode_ ? next_publish_seq_++ : 0;

    amqp::BasicProperties props;
    amqp::Reader pr(p.data.view().substr(0, p.properties_size));
    if (!props.decode(pr))
        return amqp::Error{amqp::ReplyCode::FrameError,
                           "FRAME_ERROR - malformed content header properties",
                           amqp::BasicPublish::kId, amqp::Scope::Connection};
    auto target = check_publish_target(p.exchange);
    if (!target) return target.error();
    if (props.has(amqp::BasicProperties::kUserId) && props.user_id != conn_.user_name())
        return amqp::channel_error(
            amqp::ReplyCode::PreconditionFailed,
            fmt::format("PRECONDITION_FAILED - user_id property set to '{}' but authenticated "
                        "user was '{}'",
                        props.user_id, conn_.user_name()));
    // Set when the properties must be re-encoded (rare: direct reply-to, BCC); `props` keeps
    // viewing the original buffer until the message is rebuilt at the end.
    std::optional<amqp::BasicProperties> rewritten;
    util::ByteBuffer stripped_headers;
    if (props.has(amqp::BasicProperties::kReplyTo) && props.reply_to == kReplyTo) {
        if (reply_token_.empty())
            return amqp::channel_error(amqp::ReplyCode::PreconditionFailed,
                                       "PRECONDITION_FAILED - fast reply consumer does not exist");
        // The consumer sees this channel's own reply address.
        rewritten = props;
        rewritten->reply_to = reply_token_;
    }
    if (props.has(amqp::BasicProperties::kDeliveryMode) && props.delivery_mode != 1 &&
        props.delivery_mode != 2)
        return amqp::channel_error(
            amqp::ReplyCode::PreconditionFailed,
            fmt::format("PRECONDITION_FAILED - invalid message: {{delivery_mode_unknown,{}}}",
                        props.delivery_mode));
    int64_t ttl_ms = -1;
    if (props.has(amqp::BasicProperties::kExpiration)) {
        auto ttl = parse_expiration(props.expiration);
        if (!ttl) return ttl.error();
        ttl_ms = *ttl;
    }
    std::vector<std::string> extra_keys;
    if (props.has(amqp::BasicProperties::kHeaders) && !props.headers.empty()) {
        amqp::FieldTable headers;
        if (!amqp::decode_table(props.headers.bytes, headers))
            return amqp::Error{amqp::ReplyCode::FrameError,
                               "FRAME_ERROR - cannot decode the headers property of basic.publish",
                               amqp::BasicPublish::kId, amqp::Scope::Connection};
        const amqp::FieldValue* cc = headers.find("CC");
        const amqp::FieldValue* bcc = headers.find("BCC");
        broker::append_sender_selected_keys(cc, extra_keys);
        broker::append_sender_selected_keys(bcc, extra_keys);
        if (bcc) {
            // BCC never reaches consumers.
            headers.erase("BCC");
            amqp::encode_table_body(headers, stripped_headers);
            if (!rewritten) rewritten = props;
            rewritten->headers = amqp::RawTable{std::string_view(
                reinterpret_cast<const char*>(stripped_headers.data()), stripped_headers.size())};
        }
    }
    if (rewritten) replace_properties(p, *rewritten);
    bool persistent = props.has(amqp::BasicProperties::kDeliveryMode) && props.delivery_mode == 2;
    broker::MessageRef message = broker::MessageRef::make(
        std::move(p.exchange), std::move(p.routing_key), std::move(p.data), p.properties_size,
        persistent, ttl_ms);
    message->set_extra_routing_keys(std::move(extra_keys));
    if (tx_mode_) {
        tx_publishes_.push_back(
            TxPublish{message->exchange(), message->routing_key(), p.mandatory, message});
        return {};
    }
    auto published = route_message(**target, message->routing_key(), p.mandatory, message);
    if (seq) {
        if (published.refused) {
            nack_published(seq);
        } else {
            if (published.durable_at != 0)
                pending_durable_.push_back(PendingDurable{seq, published.durable_at});
            confirm_published();
        }
    }
    return {};
}

broker::Vhost::PublishResult Channel::route_message(broker::Exchange& exchange,
                                                    const std::string& routing_key,
                                                    bool mandatory,
                                                    const broker::MessageRef& message) {
    broker::Vhost::PublishResult result;
    if (exchange.name().empty() && routing_key.starts_with(kReplyToPrefix)) {
        if (Channel* target = conn_.server().find_reply_channel(routing_key)) {
            target->deliver_reply(message, routing_key);
            result.routed = true;
        }
    } else if (auto held = exchange.delayed() ? exchange.delayed()->hold_if_delayed(*message)
                                               : std::nullopt) {
        // Held by an x-delayed-message exchange and routed when due. Like the plugin, which
        // routes it to no queue now, a mandatory one is returned (its limitation, issue #7).
        result.durable_at = *held;
    } else {
        result = conn_.vhost()->publish(exchange, message);
    }
    if (!result.routed && mandatory) {
        amqp::BasicReturn ret;
        ret.reply_code = 312;
        ret.reply_text = "NO_ROUTE";
        ret.exchange = message->exchange();
        ret.routing_key = routing_key;
        conn_.send_content(number_, ret, *message);
    }
    return result;
}

void Channel::nack_published(uint64_t seq) {
    if (!pending_durable_.empty()) {
        // Earlier persistent publishes are still on their way to disk: nacked in turn.
        pending_durable_.push_back(PendingDurable{seq, pending_durable_.back().position, true});
        confirm_published();
        return;
    }
    send_nack(seq);
}

void Channel::send_nack(uint64_t seq) {
    if (closing_) return;
    // Settled publishes before this one are acked first, so tags stay in order.
    confirmed_upto_ = std::max(confirmed_upto_, seq - 1);
    run_turn_task();
    amqp::BasicNack nack;
    nack.delivery_tag = seq;
    reply(nack);
    acked_upto_ = confirmed_upto_ = seq;
}

void Channel::on_store_failed() {
    if (commit_waits_for_ != 0) conn_.server().await_durability(this);  // tx waits it out
    if (closing_ || pending_durable_.empty()) return;
    for (const PendingDurable& d : pending_durable_) {
        // Settled publishes before this one are acked first, so tags stay in order.
        confirmed_upto_ = std::max(confirmed_upto_, d.seq - 1);
        run_turn_task();
        amqp::BasicNack nack;
        nack.delivery_tag = d.seq;
        reply(nack);
        acked_upto_ = confirmed_upto_ = d.seq;
    }
    pending_durable_.clear();
    confirm_published();
}

void Channel::on_durable(uint64_t position) {
    if (commit_waits_for_ != 0) {
        if (position < commit_waits_for_) {
            conn_.server().await_durability(this);
            return;
        }
        commit_waits_for_ = 0;
        if (!closing_) reply(amqp::TxCommitOk{});
    }
    while (!pending_durable_.empty() && pending_durable_.front().position <= position) {
        PendingDurable d = pending_durable_.front();
        pending_durable_.pop_front();
        if (d.nack) send_nack(d.seq);
    }
    confirm_published();
}

}  // namespace warren::conn
