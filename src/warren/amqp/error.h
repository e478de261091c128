#pragma once

#include "warren/amqp/codec.h"
#include "warren/amqp/methods.h"
#include "warren/util/result.h"

#include <string>

namespace warren::amqp {

enum class Scope : uint8_t { Channel, Connection };

/// An AMQP error as a value: which close goes to the client, with RabbitMQ's wording.
struct Error {
    ReplyCode code = ReplyCode::InternalError;
    std::string text;  // complete, e.g. "NOT_FOUND - no queue 'x' in vhost '/'"
    MethodId cause{};  // the method that failed, for channel.close / connection.close
    Scope scope = Scope::Channel;
};

template <class T = util::Unit>
using Result = util::Result<T, Error>;

inline Error channel_error(ReplyCode code, std::string text) {
    return Error{code, std::move(text), {}, Scope::Channel};
}
inline Error connection_error(ReplyCode code, std::string text) {
    return Error{code, std::move(text), {}, Scope::Connection};
}

}  // namespace warren::amqp
