#include "warren/auth/user_db.h"
#include "warren/broker/errors.h"
#include "warren/broker/queue_settings.h"
#include "warren/broker/vhost.h"
#include "warren/conn/channel.h"
#include "warren/conn/connection.h"

namespace warren::conn {

amqp::Result<> Channel::on_exchange_declare(const amqp::ExchangeDeclare& m) {
    broker::Vhost& vh = *conn_.vhost();
    std::string name(m.exchange);
    if (m.passive) {
        if (name.empty()) return broker::errors::default_exchange_op();
        if (!vh.find_exchange(name)) return broker::errors::no_exchange(name, vh.name());
    } else {
        // RabbitMQ checks the type, then the default exchange, then permissions.
        if (!broker::is_exchange_type(m.type)) return broker::errors::unknown_exchange_type(m.type);
        if (name.empty()) return broker::errors::default_exchange_op();
        if (auto denied = check_access(auth::Access::Configure, "exchange", name); !denied) return denied;
        if (name.starts_with("amq.") && !vh.find_exchange(name))
            return broker::errors::reserved_name("exchange", name);
        // A new exchange's alternate exchange: a string, and the user may read the new
        // exchange and write to the alternate one (rabbit_channel, exchange.declare).
        const amqp::FieldValue* ae = m.arguments.find("alternate-exchange");
        if (ae && !vh.find_exchange(name)) {
            if (!ae->string())
                return broker::errors::invalid_alternate_exchange_type(
                    broker::amqp_type_name(*ae), name, vh.name());
            if (auto denied = check_access(auth::Access::Read, "exchange", name); !denied)
                return denied;
            if (auto denied = check_access(auth::Access::Write, "exchange", *ae->string());
                !denied)
                return denied;
        }
        broker::ExchangeSpec spec{name, std::string(m.type), m.durable, m.auto_delete, m.internal,
                                  m.arguments};
        auto declared = vh.declare_exchange(spec, false);
        if (!declared) return declared.error();
    }
    if (!m.no_wait) reply(amqp::ExchangeDeclareOk{});
    return {};
}

amqp::Result<> Channel::on_exchange_delete(const amqp::ExchangeDelete& m) {
    broker::Vhost& vh = *conn_.vhost();
    std::string name(m.exchange);
    if (name.empty()) return broker::errors::default_exchange_op();
    if (auto denied = check_access(auth::Access::Configure, "exchange", name); !denied) return denied;
    if (name.starts_with("amq.")) return broker::errors::system_exchange_deletion(name, vh.name());
    if (vh.find_exchange(name)) {
        auto deleted = vh.delete_exchange(name, m.if_unused);
        if (!deleted) return deleted.error();
    }
    // Deleting a missing exchange succeeds, as in RabbitMQ 3.x.
    if (!m.no_wait) reply(amqp::ExchangeDeleteOk{});
    return {};
}

amqp::Result<> Channel::on_exchange_bind(const amqp::ExchangeBind& m) {
    if (auto denied = check_access(auth::Access::Write, "exchange", m.destination); !denied) return denied;
    if (auto denied = check_access(auth::Access::Read, "exchange", m.source); !denied) return denied;
    auto bound = conn_.vhost()->bind_exchange(m.destination, m.source, m.routing_key, m.arguments);
    if (!bound) return bound.error();
    if (!m.no_wait) reply(amqp::ExchangeBindOk{});
    return {};
}

amqp::Result<> Channel::on_exchange_unbind(const amqp::ExchangeUnbind& m) {
    if (auto denied = check_access(auth::Access::Write, "exchange", m.destination); !denied) return denied;
    if (auto denied = check_access(auth::Access::Read, "exchange", m.source); !denied) return denied;
    auto unbound =
        conn_.vhost()->unbind_exchange(m.destination, m.source, m.routing_key, m.arguments);
    if (!unbound) return unbound.error();
    if (!m.no_wait) reply(amqp::ExchangeUnbindOk{});
    return {};
}

}  // namespace warren::conn
