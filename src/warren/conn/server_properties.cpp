#include "warren/conn/server_properties.h"

#include <unistd.h>

#include <string>

namespace warren::conn {

amqp::FieldTable server_properties() {
    amqp::FieldTable caps{
        {"publisher_confirms", true},
        {"exchange_exchange_bindings", true},
        {"basic.nack", true},
        {"consumer_cancel_notify", true},
        {"connection.blocked", true},
        {"consumer_priorities", true},
        {"authentication_failure_close", true},
        {"per_consumer_qos", true},
        {"direct_reply_to", true},
    };
    char host[256] = "localhost";
    gethostname(host, sizeof host - 1);
    return amqp::FieldTable{
        {"capabilities", amqp::FieldValue(std::move(caps))},
        {"cluster_name", amqp::FieldValue(std::string("warren@") + host)},
        {"copyright", "Copyright (c) the Warren authors"},
        {"information", "Warren, an AMQP 0-9-1 broker compatible with RabbitMQ"},
        {"platform", "C++20"},
        {"product", "Warren"},
        {"version", "0.1.0"},
    };
}

}  // namespace warren::conn
