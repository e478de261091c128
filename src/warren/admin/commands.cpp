#include "warren/admin/commands.h"

#include "warren/admin/handlers.h"
#include "warren/admin/protocol.h"
#include "warren/conn/connection.h"
#include "warren/util/log.h"

#include <fmt/format.h>

namespace warren::admin {
namespace {

using Handler = json (*)(CommandContext&, const json&);

struct Entry {
    std::string_view name;
    Handler handler;
};

constexpr Entry kCommands[] = {
    {"list_queues", list_queues},
    {"list_exchanges", list_exchanges},
    {"list_bindings", list_bindings},
    {"list_connections", list_connections},
    {"list_channels", list_channels},
    {"list_consumers", list_consumers},
    {"list_users", list_users},
    {"list_vhosts", list_vhosts},
    {"list_permissions", list_permissions},
    {"list_user_permissions", list_user_permissions},
    {"add_user", add_user},
    {"delete_user", delete_user},
    {"change_password", change_password},
    {"clear_password", clear_password},
    {"authenticate_user", authenticate_user},
    {"set_user_tags", set_user_tags},
    {"add_vhost", add_vhost},
    {"delete_vhost", delete_vhost},
    {"set_permissions", set_permissions},
    {"clear_permissions", clear_permissions},
    {"list_policies", list_policies},
    {"list_operator_policies", list_operator_policies},
    {"set_policy", set_policy},
    {"set_operator_policy", set_operator_policy},
    {"clear_policy", clear_policy},
    {"clear_operator_policy", clear_operator_policy},
    {"purge_queue", purge_queue},
    {"delete_queue", delete_queue},
    {"close_connection", close_connection},
    {"status", status},
    {"ping", ping},
    {"await_startup", ping},
    {"stop", stop},
    {"export_definitions", export_definitions},
    {"import_definitions", import_definitions},
};

}  // namespace

json ok_reply() { return json{{"ok", true}}; }

json error_reply(int exit_code, std::string text) {
    return json{{"ok", false}, {"exit_code", exit_code}, {"error", std::move(text)}};
}

json bare_error_reply(int exit_code, std::string text) {
    json j = error_reply(exit_code, std::move(text));
    j["bare"] = true;
    return j;
}

std::string arg(const json& request, const char* key) {
    auto it = request.find(key);
    return it != request.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string vhost_arg(const json& request) {
    auto it = request.find("vhost");
    return it != request.end() && it->is_string() ? it->get<std::string>() : std::string("/");
}

bool flag(const json& request, const char* key) {
    auto it = request.find(key);
    return it != request.end() && it->is_boolean() && it->get<bool>();
}

std::string connection_pid(const std::string& node, uint64_t connection_id) {
    return fmt::format("<{}.1.{}.0>", node, connection_id);
}

std::string channel_pid(const std::string& node, uint64_t connection_id, uint16_t channel) {
    return fmt::format("<{}.2.{}.{}>", node, connection_id, channel);
}

std::string connection_name(const conn::Connection& c) {
    return c.peer().to_string() + " -> " + c.local_address().to_string();
}

json run_command(CommandContext& ctx, const json& request) {
    if (!request.is_object()) return error_reply(kExitUsage, "a request must be a JSON object");
    std::string command = arg(request, "command");
    for (const Entry& e : kCommands) {
        if (e.name != command) continue;
        try {
            return e.handler(ctx, request);
        } catch (const std::exception& ex) {
            util::logger("admin").error("control command {} failed: {}", command, ex.what());
            return error_reply(kExitSoftware, ex.what());
        }
    }
    return error_reply(kExitUsage, "Command '" + command + "' not found.");
}

}  // namespace warren::admin
