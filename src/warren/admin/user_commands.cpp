// Users, vhosts and permissions. Every change goes through Broker::definitions_changed()
// so it is saved to definitions.json before the reply leaves. Error texts and exit codes
// are rabbitmqctl 3.10's (docs/operations.md).
#include "warren/admin/handlers.h"
#include "warren/admin/protocol.h"
#include "warren/auth/password.h"
#include "warren/broker/broker.h"
#include "warren/conn/connection.h"
#include "warren/conn/server.h"
#include "warren/util/log.h"

#include <optional>
#include <regex>

namespace warren::admin {
namespace {

spdlog::logger& log() { return util::logger("admin"); }

json no_user(const std::string& user) {
    return error_reply(kExitNoUser, "User \"" + user + "\" does not exist");
}

/// set_permissions and clear_permissions first check both exist (rabbitmqctl's unquoted
/// texts for these two commands).
std::optional<json> missing_user_or_vhost(const auth::UserDb& db, const std::string& user,
                                          const std::string& vhost) {
    if (!db.find_user(user))
        return error_reply(kExitNoUser, "User " + user + " does not exist");
    if (!db.has_vhost(vhost))
        return error_reply(kExitUnavailable, "Virtual host " + vhost + " does not exist");
    return std::nullopt;
}

/// Closes, with 320 CONNECTION_FORCED, every open connection `match` picks; returns them.
template <class F>
std::vector<conn::Connection*> force_close_where(conn::Server& server, const std::string& reason,
                                                 F match) {
    std::vector<conn::Connection*> picked;
    for (const auto& [p, c] : server.connections())
        if (!c->is_closed() && match(*c)) picked.push_back(p);
    for (conn::Connection* c : picked) c->force_close(reason);
    return picked;
}

std::vector<std::string> string_list(const json& request, const char* key) {
    std::vector<std::string> out;
    if (auto it = request.find(key); it != request.end() && it->is_array())
        for (const auto& v : *it)
            if (v.is_string()) out.push_back(v.get<std::string>());
    return out;
}

}  // namespace

json add_user(CommandContext& ctx, const json& request) {
    std::string user = arg(request, "user");
    std::string password = arg(request, "password");
    auth::UserDb& db = ctx.broker.users();
    if (db.find_user(user))
        return error_reply(kExitSoftware, "User \"" + user + "\" already exists");
    // An empty password disables password logins, as in RabbitMQ.
    db.put_user(auth::User{user, password.empty() ? "" : auth::hash_password(password), {}});
    ctx.broker.definitions_changed();
    log().info("user '{}' created", user);
    return ok_reply();
}

json delete_user(CommandContext& ctx, const json& request) {
    std::string user = arg(request, "user");
    if (!ctx.broker.users().delete_user(user)) return no_user(user);
    ctx.broker.definitions_changed();
    auto closed = force_close_where(ctx.server, "user '" + user + "' is deleted",
                                    [&](conn::Connection& c) { return c.user_name() == user; });
    log().info("user '{}' deleted ({} connection(s) closed)", user, closed.size());
    return ok_reply();
}

json change_password(CommandContext& ctx, const json& request) {
    std::string user = arg(request, "user");
    auth::UserDb& db = ctx.broker.users();
    const auth::User* found = db.find_user(user);
    if (!found) return no_user(user);
    auth::User changed = *found;
    std::string password = arg(request, "password");
    changed.password_hash = password.empty() ? "" : auth::hash_password(password);
    db.put_user(std::move(changed));
    ctx.broker.definitions_changed();
    log().info("password of user '{}' changed", user);
    return ok_reply();
}

json clear_password(CommandContext& ctx, const json& request) {
    std::string user = arg(request, "user");
    auth::UserDb& db = ctx.broker.users();
    const auth::User* found = db.find_user(user);
    if (!found) return error_reply(kExitUnavailable, "{:no_such_user, \"" + user + "\"}");
    auth::User changed = *found;
    changed.password_hash.clear();
    db.put_user(std::move(changed));
    ctx.broker.definitions_changed();
    log().info("password of user '{}' cleared", user);
    return ok_reply();
}

json authenticate_user(CommandContext& ctx, const json& request) {
    std::string user = arg(request, "user");
    if (ctx.broker.users().authenticate(user, arg(request, "password"))) return ok_reply();
    return error_reply(kExitDataErr, "Error: failed to authenticate user \"" + user +
                                         "\"\nuser '" + user + "' - invalid credentials");
}

json set_user_tags(CommandContext& ctx, const json& request) {
    std::string user = arg(request, "user");
    auth::UserDb& db = ctx.broker.users();
    const auth::User* found = db.find_user(user);
    if (!found) return no_user(user);
    auth::User changed = *found;
    changed.tags = string_list(request, "tags");
    db.put_user(std::move(changed));
    ctx.broker.definitions_changed();
    return ok_reply();
}

json add_vhost(CommandContext& ctx, const json& request) {
    std::string vhost = arg(request, "vhost");
    if (vhost.empty()) return error_reply(kExitUsage, "vhost name must not be empty");
    if (!ctx.broker.find_vhost(vhost)) {
        ctx.broker.add_vhost(vhost);
        log().info("vhost '{}' created", vhost);
    }
    return ok_reply();
}

json delete_vhost(CommandContext& ctx, const json& request) {
    std::string vhost = arg(request, "vhost");
    if (!ctx.broker.find_vhost(vhost))
        return bare_error_reply(kExitDataErr, "Virtual host '" + vhost + "' does not exist");
    // Connections go first: they hold the vhost and its queues.
    auto closed = force_close_where(
        ctx.server, "vhost '" + vhost + "' is deleted", [&](conn::Connection& c) {
            return c.vhost() && c.vhost()->name() == vhost;
        });
    for (conn::Connection* c : closed) c->detach_vhost();
    ctx.broker.delete_vhost(vhost);
    log().info("vhost '{}' deleted ({} connection(s) closed)", vhost, closed.size());
    return ok_reply();
}

json set_permissions(CommandContext& ctx, const json& request) {
    std::string user = arg(request, "user");
    std::string vhost = vhost_arg(request);
    auth::UserDb& db = ctx.broker.users();
    if (auto missing = missing_user_or_vhost(db, user, vhost)) return *missing;
    std::string patterns[] = {arg(request, "configure"), arg(request, "write"),
                              arg(request, "read")};
    for (const std::string& p : patterns) {
        try {
            std::regex re(p, std::regex::ECMAScript);
        } catch (const std::regex_error& e) {
            return error_reply(kExitUnavailable,
                               "{:invalid_regexp, '" + p + "', '" + e.what() + "'}");
        }
    }
    db.set_permissions(user, vhost, patterns[0], patterns[1], patterns[2]);
    ctx.broker.definitions_changed();
    return ok_reply();
}

json clear_permissions(CommandContext& ctx, const json& request) {
    std::string user = arg(request, "user");
    std::string vhost = vhost_arg(request);
    auth::UserDb& db = ctx.broker.users();
    if (auto missing = missing_user_or_vhost(db, user, vhost)) return *missing;
    if (db.clear_permissions(user, vhost)) ctx.broker.definitions_changed();
    return ok_reply();
}

}  // namespace warren::admin
