#include "warren/auth/user_db.h"
#include "warren/broker/errors.h"
#include "warren/broker/vhost.h"
#include "warren/conn/channel.h"
#include "warren/conn/connection.h"

#include <fmt/format.h>

namespace warren::conn {

namespace {
constexpr std::string_view kReplyTo = "amq.rabbitmq.reply-to";
}  // namespace

amqp::Result<std::string> Channel::expand_queue_name(std::string_view name) const {
    if (!name.empty()) return std::string(name);
    if (last_queue_.empty())
        return amqp::channel_error(amqp::ReplyCode::NotFound,
                                   "NOT_FOUND - no previously declared queue");
    return last_queue_;
}

amqp::Result<> Channel::on_queue_declare(const amqp::QueueDeclare& m) {
    broker::Vhost& vh = *conn_.vhost();
    std::string name(m.queue);
    if (name == kReplyTo || name.starts_with("amq.rabbitmq.reply-to.")) {
        // The direct reply-to pseudo queue always "exists" (RabbitMQ answers 0 messages,
        // 1 consumer).
        if (!m.no_wait) reply(amqp::QueueDeclareOk{name, 0, 1});
        return {};
    }
    if (!m.passive && name.starts_with("amq."))
        return broker::errors::reserved_name("queue", name);
    if (name.empty() && !m.passive) {
        broker::QueueType type = broker::queue_type_of(m.arguments);
        if (type == broker::QueueType::Quorum)
            return broker::errors::server_named_not_allowed(broker::queue_type_name(type));
        name = broker::Vhost::generate_queue_name();
    }
    broker::QueueRef queue;
    if (m.passive) {
        auto found = vh.declare_queue(broker::QueueSpec{name, false, false, false, {}}, true,
                                      conn_.owner_id());
        if (!found) return found.error();
        queue = *found;
    } else {
        if (auto denied = check_access(auth::Access::Configure, "queue", name); !denied) return denied;
        if (!vh.find_queue(name)) {
            if (auto denied = check_dead_letter_access(name, m.arguments); !denied) return denied;
        }
        broker::QueueSpec spec{name, m.durable, m.exclusive, m.auto_delete, m.arguments};
        auto declared = vh.declare_queue(spec, false, conn_.owner_id());
        if (!declared) return declared.error();
        queue = *declared;
    }
    last_queue_ = name;
    if (!m.no_wait)
        reply(amqp::QueueDeclareOk{name, static_cast<uint32_t>(queue->ready_count()),
                                   static_cast<uint32_t>(queue->consumer_count())});
    return {};
}

amqp::Result<> Channel::on_queue_bind(const amqp::QueueBind& m) {
    auto name = expand_queue_name(m.queue);
    if (!name) return name.error();
    // An empty routing key with an empty queue name means "the last queue's name".
    std::string key = (m.queue.empty() && m.routing_key.empty()) ? *name : std::string(m.routing_key);
    if (auto denied = check_access(auth::Access::Write, "queue", *name); !denied) return denied;
    if (auto denied = check_access(auth::Access::Read, "exchange", m.exchange); !denied) return denied;
    auto bound = conn_.vhost()->bind_queue(*name, m.exchange, key, m.arguments, conn_.owner_id());
    if (!bound) return bound.error();
    if (!m.no_wait) reply(amqp::QueueBindOk{});
    return {};
}

amqp::Result<> Channel::on_queue_unbind(const amqp::QueueUnbind& m) {
    auto name = expand_queue_name(m.queue);
    if (!name) return name.error();
    if (auto denied = check_access(auth::Access::Write, "queue", *name); !denied) return denied;
    if (auto denied = check_access(auth::Access::Read, "exchange", m.exchange); !denied) return denied;
    auto unbound =
        conn_.vhost()->unbind_queue(*name, m.exchange, m.routing_key, m.arguments, conn_.owner_id());
    if (!unbound) return unbound.error();
    reply(amqp::QueueUnbindOk{});
    return {};
}

amqp::Result<> Channel::on_queue_purge(const amqp::QueuePurge& m) {
    auto name = expand_queue_name(m.queue);
    if (!name) return name.error();
    if (auto denied = check_access(auth::Access::Read, "queue", *name); !denied) return denied;
    auto queue = conn_.vhost()->use_queue(*name, conn_.owner_id());
    if (!queue) return queue.error();
    size_t purged = (*queue)->purge();
    if (!m.no_wait) reply(amqp::QueuePurgeOk{static_cast<uint32_t>(purged)});
    return {};
}

amqp::Result<> Channel::on_queue_delete(const amqp::QueueDelete& m) {
    auto name = expand_queue_name(m.queue);
    if (!name) return name.error();
    if (auto denied = check_access(auth::Access::Configure, "queue", *name); !denied) return denied;
    broker::Vhost& vh = *conn_.vhost();
    uint32_t count = 0;
    if (vh.find_queue(*name)) {
        auto deleted = vh.delete_queue(*name, conn_.owner_id(), m.if_unused, m.if_empty);
        if (!deleted) return deleted.error();
        count = static_cast<uint32_t>(*deleted);
    }
    // Deleting a missing queue succeeds with count 0, as in RabbitMQ 3.x.
    if (!m.no_wait) reply(amqp::QueueDeleteOk{count});
    return {};
}

}  // namespace warren::conn
