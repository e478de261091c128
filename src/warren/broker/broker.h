#pragma once

#include "warren/auth/user_db.h"
#include "warren/broker/message_pager.h"
#include "warren/broker/vhost.h"
#include "warren/config/config.h"
#include "warren/net/event_loop.h"
#include "warren/store/message_log.h"

#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace warren::broker {

/// The broker's model: vhosts, the user database and the message log. One per process,
/// on the loop thread. Durable definitions are saved to <data dir>/definitions.json at the
/// end of any loop turn that changed them, before replies leave (declare-ok means saved).
class Broker : private net::TurnTask {
public:
    Broker(net::EventLoop& loop, const config::Config& config);
    ~Broker() override;

    net::EventLoop& loop() { return loop_; }
    const config::Config& config() const { return config_; }
    auth::UserDb& users() { return users_; }
    store::MessageLog& message_log() { return *log_; }
    MessagePager& pager() { return *pager_; }

    Vhost* find_vhost(std::string_view name);
    Vhost& add_vhost(const std::string& name);
    bool delete_vhost(std::string_view name);

    /// Start-up: restores definitions.json (or creates the default user and vhost on a
    /// fresh data directory), imports `--load-definitions`, then recovers the messages of
    /// durable queues from the log. Throws std::runtime_error on unusable input.
    void start();
    /// Imports users, vhosts, permissions, exchanges, queues and bindings from RabbitMQ's
    /// definitions JSON. Throws std::runtime_error on a malformed file.
    void load_definitions(const std::string& path);
    /// Durable definitions changed: save them at the end of this turn.
    void definitions_changed();
    /// Writes definitions.json now; logs and returns false on an I/O error.
    bool save_definitions();

private:
    void add_defaults();
    void recover_messages();
    /// Over the memory budget: the queues holding most in memory page their tails out.
    void relieve_memory();
    /// The oldest log segment pins newer ones for a few messages: move them.
    void compact_log();
    void run_turn_task() override { save_definitions(); }
    std::string definitions_path() const;

    net::EventLoop& loop_;
    const config::Config& config_;
    auth::UserDb users_;
    std::unique_ptr<store::MessageLog> log_;
    std::unique_ptr<MessagePager> pager_;
    std::map<std::string, std::unique_ptr<Vhost>, std::less<>> vhosts_;
    bool loading_ = false;
};

}  // namespace warren::broker
