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

}  // namespace warren::conn
