#pragma once

// The control commands, one function each, grouped by file: list_commands.cpp,
// user_commands.cpp, policy_commands.cpp, node_commands.cpp. Dispatched by commands.cpp.
#include "warren/admin/commands.h"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace warren::conn {
class Connection;
class Channel;
}  // namespace warren::conn

namespace warren::admin {

using nlohmann::json;

json ok_reply();
/// An error printed as "Error:\n<text>", exiting with `exit_code`.
json error_reply(int exit_code, std::string text);
/// An error rabbitmqctl prints without the "Error:" line.
json bare_error_reply(int exit_code, std::string text);

/// A string argument of the request ("" if absent or not a string).
std::string arg(const json& request, const char* key);
/// The request's vhost ("/" if absent).
std::string vhost_arg(const json& request);
bool flag(const json& request, const char* key);

/// Pid-like names shown for connections and channels: <warren@host.1.ID.0> and
/// <warren@host.2.ID.CHANNEL>, the shape of the Erlang pids rabbitmqctl prints.
std::string connection_pid(const std::string& node, uint64_t connection_id);
std::string channel_pid(const std::string& node, uint64_t connection_id, uint16_t channel);
/// "127.0.0.1:45234 -> 127.0.0.1:5672", as RabbitMQ names connections.
std::string connection_name(const conn::Connection& c);

json list_queues(CommandContext& ctx, const json& request);
json list_exchanges(CommandContext& ctx, const json& request);
json list_bindings(CommandContext& ctx, const json& request);
json list_connections(CommandContext& ctx, const json& request);
json list_channels(CommandContext& ctx, const json& request);
json list_consumers(CommandContext& ctx, const json& request);
json list_users(CommandContext& ctx, const json& request);
json list_vhosts(CommandContext& ctx, const json& request);
json list_permissions(CommandContext& ctx, const json& request);
json list_user_permissions(CommandContext& ctx, const json& request);
json list_policies(CommandContext& ctx, const json& request);
json list_operator_policies(CommandContext& ctx, const json& request);
json set_policy(CommandContext& ctx, const json& request);
json set_operator_policy(CommandContext& ctx, const json& request);
json clear_policy(CommandContext& ctx, const json& request);
json clear_operator_policy(CommandContext& ctx, const json& request);

json add_user(CommandContext& ctx, const json& request);
json delete_user(CommandContext& ctx, const json& request);
json change_password(CommandContext& ctx, const json& request);
json clear_password(CommandContext& ctx, const json& request);
json authenticate_user(CommandContext& ctx, const json& request);
json set_user_tags(CommandContext& ctx, const json& request);
json add_vhost(CommandContext& ctx, const json& request);
json delete_vhost(CommandContext& ctx, const json& request);
json set_permissions(CommandContext& ctx, const json& request);
json clear_permissions(CommandContext& ctx, const json& request);

json purge_queue(CommandContext& ctx, const json& request);
json delete_queue(CommandContext& ctx, const json& request);
json close_connection(CommandContext& ctx, const json& request);
json status(CommandContext& ctx, const json& request);
json ping(CommandContext& ctx, const json& request);
json stop(CommandContext& ctx, const json& request);
json export_definitions(CommandContext& ctx, const json& request);
json import_definitions(CommandContext& ctx, const json& request);

}  // namespace warren::admin
