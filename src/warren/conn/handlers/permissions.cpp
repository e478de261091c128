#include "warren/auth/user_db.h"
#include "warren/broker/broker.h"
#include "warren/broker/errors.h"
#include "warren/conn/channel.h"
#include "warren/conn/connection.h"
#include "warren/conn/server.h"

namespace warren::conn {

amqp::Result<> Channel::check_access(auth::Access access, std::string_view kind,
                                     std::string_view name) {
    auto& users = conn_.server().broker().users();
    const std::string& vhost = conn_.vhost()->name();
    if (users.allowed(conn_.user_name(), vhost, access, name)) return {};
    return broker::errors::access_refused(kind, name, vhost, conn_.user_name());
}

amqp::Result<> Channel::check_dead_letter_access(std::string_view queue,
                                                 const amqp::FieldTable& arguments) {
    // RabbitMQ's queue.declare of a new queue with a dead-letter exchange (rabbit_channel):
    // the user must be able to read the queue and write the exchange. A policy's
    // dead-letter-exchange would be checked the same way where the policy is applied.
    const amqp::FieldValue* dlx = arguments.find("x-dead-letter-exchange");
    const std::string* exchange = dlx ? dlx->string() : nullptr;
    if (!exchange) return {};  // absent, or of a wrong type that validation reports
    if (auto denied = check_access(auth::Access::Read, "queue", queue); !denied) return denied;
    // Permissions name the default exchange "amq.default", as RabbitMQ does.
    return check_access(auth::Access::Write, "exchange",
                        exchange->empty() ? std::string_view("amq.default") : *exchange);
}

}  // namespace warren::conn
