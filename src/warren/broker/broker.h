#pragma once

#include "warren/auth/user_db.h"
#include "warren/broker/vhost.h"
#include "warren/config/config.h"
#include "warren/net/event_loop.h"

#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace warren::broker {

/// The broker's model: vhosts and the user database. One per process, on the loop thread.
class Broker {
public:
    Broker(net::EventLoop& loop, const config::Config& config);
    ~Broker();

    net::EventLoop& loop() { return loop_; }
    const config::Config& config() const { return config_; }
    auth::UserDb& users() { return users_; }

    Vhost* find_vhost(std::string_view name);
    Vhost& add_vhost(const std::string& name);
    bool delete_vhost(std::string_view name);

    /// Creates the default user and vhost (guest on '/' by default), as a fresh RabbitMQ.
    void add_defaults();
    /// Imports users, vhosts and permissions from RabbitMQ's definitions JSON.
    /// Throws std::runtime_error on a malformed file.
    void load_definitions(const std::string& path);

private:
    net::EventLoop& loop_;
    const config::Config& config_;
    auth::UserDb users_;
    std::map<std::string, std::unique_ptr<Vhost>, std::less<>> vhosts_;
};

}  // namespace warren::broker
