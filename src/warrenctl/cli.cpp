#include "warrenctl/cli.h"

#include "warren/admin/info_items.h"

#include <charconv>
#include <cstdlib>

namespace warrenctl {
namespace {

constexpr CommandSpec kCommands[] = {
    {"help", "Help", "[<command>]", "Displays usage information for a command", 0, 1, 0},
    {"await_startup", "Nodes", "[--timeout <timeout>]",
     "Waits for the broker on the data directory to accept control connections", 0, 0, 0},
    {"ping", "Nodes", "",
     "Checks that the broker is running and answers on its control socket", 0, 0, 0},
    {"status", "Nodes", "", "Displays status of a node", 0, 0, 0},
    {"stop", "Nodes", "[--idempotent] [<pidfile>]",
     "Stops the broker cleanly (as SIGTERM) and waits until it has exited", 0, 1, 0},
    {"add_user", "Users", "<username> <password>",
     "Creates a new user in the internal database. This user will have no permissions for any "
     "virtual hosts by default.",
     2, 2, 0},
    {"authenticate_user", "Users", "<username> <password>",
     "Attempts to authenticate a user. Exits with a non-zero code if authentication fails.", 2, 2,
     0},
    {"change_password", "Users", "<username> <password>", "Changes the user password", 2, 2, 0},
    {"clear_password", "Users", "<username>",
     "Clears (resets) password and disables password login for a user", 1, 1, 0},
    {"delete_user", "Users", "<username>",
     "Removes a user from the internal database and closes its connections", 1, 1, 0},
    {"list_users", "Users", "[--no-table-headers]", "List user names and tags", 0, 0,
     kTakesColumns},
    {"set_user_tags", "Users", "<username> <tag> [...]", "Sets user tags", 1, -1, 0},
    {"clear_permissions", "Access Control", "[--vhost <vhost>] <username>",
     "Revokes user permissions for a vhost", 1, 1, kTakesVhost},
    {"list_permissions", "Access Control", "[--vhost <vhost>] [--no-table-headers]",
     "Lists user permissions in a virtual host", 0, 0, kTakesVhost | kTakesColumns},
    {"list_user_permissions", "Access Control", "[--no-table-headers] <username>",
     "Lists permissions of a user across all virtual hosts", 1, 1, kTakesColumns},
    {"list_vhosts", "Access Control", "[--no-table-headers] [<column> ...]",
     "Lists virtual hosts", 0, -1, kTakesColumns},
    {"set_permissions", "Access Control", "[--vhost <vhost>] <username> <conf> <write> <read>",
     "Sets user permissions for a vhost", 4, 4, kTakesVhost},
    {"list_bindings", "Monitoring, observability and health checks",
     "[--vhost <vhost>] [--no-table-headers] [<column> ...]", "Lists all bindings on a vhost", 0,
     -1, kTakesVhost | kTakesColumns},
    {"list_channels", "Monitoring, observability and health checks",
     "[--no-table-headers] [<column> ...]", "Lists all channels in the node", 0, -1,
     kTakesColumns},
    {"list_connections", "Monitoring, observability and health checks",
     "[--no-table-headers] [<column> ...]", "Lists AMQP 0.9.1 connections for the node", 0, -1,
     kTakesColumns},
    {"list_consumers", "Monitoring, observability and health checks",
     "[--vhost <vhost>] [--no-table-headers] [<column> ...]", "Lists all consumers for a vhost",
     0, -1, kTakesVhost | kTakesColumns},
    {"list_exchanges", "Monitoring, observability and health checks",
     "[--vhost <vhost>] [--no-table-headers] [<column> ...]", "Lists exchanges", 0, -1,
     kTakesVhost | kTakesColumns},
    {"list_queues", "Monitoring, observability and health checks",
     "[--vhost <vhost>] [--no-table-headers] [<column> ...] [--timeout <timeout>]",
     "Lists queues and their properties", 0, -1, kTakesVhost | kTakesColumns},
    {"add_vhost", "Virtual hosts", "<vhost>", "Creates a virtual host", 1, 1, 0},
    {"delete_vhost", "Virtual hosts", "<vhost>",
     "Deletes a virtual host and closes its connections", 1, 1, 0},
    {"export_definitions", "Definitions", "<file_path | \"-\"> [--format <json>]",
     "Exports definitions in JSON", 1, 1, kTakesFormat},
    {"import_definitions", "Definitions", "<file_path | \"-\"> [--format <json>]",
     "Imports definitions in JSON", 1, 1, kTakesFormat},
    {"clear_operator_policy", "Policies", "[--vhost <vhost>] <name>",
     "Clears an operator policy", 1, 1, kTakesVhost},
    {"clear_policy", "Policies", "[--vhost <vhost>] <name>", "Clears (removes) a policy", 1, 1,
     kTakesVhost},
    {"list_operator_policies", "Policies",
     "[--vhost <vhost>] [--no-table-headers] [--timeout <timeout>]",
     "Lists operator policy overrides for a virtual host", 0, 0, kTakesVhost | kTakesColumns},
    {"list_policies", "Policies", "[--vhost <vhost>] [--no-table-headers] [--timeout <timeout>]",
     "Lists all policies in a virtual host", 0, 0, kTakesVhost | kTakesColumns},
    {"set_operator_policy", "Policies",
     "[--vhost <vhost>] [--priority <priority>] [--apply-to <apply-to>] <name> <pattern> "
     "<definition>",
     "Sets an operator policy that overrides a subset of arguments in user policies", 3, 3,
     kTakesVhost | kTakesPolicy},
    {"set_policy", "Policies",
     "[--vhost <vhost>] [--priority <priority>] [--apply-to <apply-to>] <name> <pattern> "
     "<definition>",
     "Sets or updates a policy", 3, 3, kTakesVhost | kTakesPolicy},
    {"close_connection", "Operations", "<connection pid or name> <explanation>",
     "Instructs the broker to close the connection with the given pid (or name)", 2, 2, 0},
    {"delete_queue", "Queues", "[--vhost <vhost>] <queue_name> [--if-empty|-e] [--if-unused|-u]",
     "Deletes a queue", 1, 1, kTakesVhost | kTakesIfFlags},
    {"purge_queue", "Queues", "[--vhost <vhost>] <queue>",
     "Purges a queue (removes all messages in it)", 1, 1, kTakesVhost},
};

bool parse_timeout(const std::string& text, double& out) {
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && p == text.data() + text.size() && out > 0;
}

bool parse_integer(const std::string& text, int64_t& out) {
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return !text.empty() && ec == std::errc() && p == text.data() + text.size();
}

}  // namespace

std::span<const CommandSpec> all_commands() { return kCommands; }

const CommandSpec* find_command(std::string_view name) {
    for (const CommandSpec& c : kCommands)
        if (c.name == name) return &c;
    return nullptr;
}

ParseResult parse_command_line(const std::vector<std::string>& argv, const char* env_data_dir) {
    ParseResult r;
    Invocation& inv = r.invocation;
    Options& o = inv.options;
    o.data_dir = env_data_dir && *env_data_dir ? env_data_dir : "./data";
    for (size_t i = 0; i < argv.size(); ++i) inv.given += (i ? " " : "") + argv[i];

    bool vhost_given = false, if_flags_given = false, format_given = false, help = false;
    bool policy_given = false;
    // Options the command does not take, or lacking values: "NAME : VALUE" as rabbitmqctl.
    std::vector<std::pair<std::string, std::string>> invalid;
    std::vector<std::string> positional;
    bool options_done = false;
    for (size_t i = 0; i < argv.size(); ++i) {
        std::string a = argv[i];
        if (options_done || a.size() < 2 || a[0] != '-') {
            positional.push_back(a);
            continue;
        }
        if (a == "--") {
            options_done = true;
            continue;
        }
        std::string name = a, value;
        bool has_inline = false;
        if (a.starts_with("--")) {
            if (auto eq = a.find('='); eq != std::string::npos) {
                name = a.substr(0, eq);
                value = a.substr(eq + 1);
                has_inline = true;
            }
        }
        auto take_value = [&](std::string& out) {
            if (has_inline) {
                out = value;
                return true;
            }
            if (i + 1 >= argv.size()) return false;
            out = argv[++i];
            return true;
        };
        if (name == "-q" || name == "--quiet") {
            o.quiet = true;
        } else if (name == "-s" || name == "--silent") {
            o.silent = true;
        } else if (name == "--no-table-headers") {
            o.no_table_headers = true;
        } else if (name == "-l" || name == "--longnames" || name == "--online" ||
                   name == "--local") {
            // Accepted for compatibility; a single local node has nothing to choose.
        } else if (name == "-?" || name == "-h" || name == "--help") {
            help = true;
        } else if (name == "-n" || name == "--node") {
            if (!take_value(o.node)) invalid.emplace_back(name, "");
        } else if (name == "--data-dir") {
            if (!take_value(o.data_dir)) invalid.emplace_back(name, "");
        } else if (name == "-p" || name == "--vhost") {
            if (!take_value(o.vhost)) invalid.emplace_back(name, "");
            vhost_given = true;
        } else if (name == "--formatter") {
            std::string f;
            if (!take_value(f) || (f != "json" && f != "table"))
                invalid.emplace_back(name + " " + f, "");
            o.json = f == "json";
        } else if (name == "-t" || name == "--timeout") {
            std::string t;
            if (!take_value(t) || !parse_timeout(t, o.timeout_s)) invalid.emplace_back(name, "");
        } else if (name == "-e" || name == "--if-empty") {
            o.if_empty = if_flags_given = true;
        } else if (name == "-u" || name == "--if-unused") {
            o.if_unused = if_flags_given = true;
        } else if (name == "--idempotent") {
            o.idempotent = true;
        } else if (name == "--priority") {
            std::string n;
            if (!take_value(n) || !parse_integer(n, o.priority)) invalid.emplace_back(name, n);
            policy_given = true;
        } else if (name == "--apply-to") {
            if (!take_value(o.apply_to)) invalid.emplace_back(name, "");
            policy_given = true;
        } else if (name == "--format") {
            std::string f;
            if (!take_value(f) || f != "json") invalid.emplace_back(name + " " + f, "");
            format_given = true;
        } else {
            invalid.emplace_back(a, "");
        }
    }

    if (positional.empty()) {
        r.status = help ? ParseStatus::Help : ParseStatus::NoCommand;
        return r;
    }
    inv.command = positional.front();
    inv.args.assign(positional.begin() + 1, positional.end());
    const CommandSpec* spec = find_command(inv.command);
    if (!spec) {
        r.status = ParseStatus::UnknownCommand;
        return r;
    }
    if (help || inv.command == "help") {
        r.status = ParseStatus::Help;
        return r;
    }
    if (vhost_given && !(spec->flags & kTakesVhost)) invalid.emplace_back("--vhost", "");
    if (if_flags_given && !(spec->flags & kTakesIfFlags)) invalid.emplace_back("--if-empty", "");
    if (format_given && !(spec->flags & kTakesFormat)) invalid.emplace_back("--format", "");
    if (policy_given && !(spec->flags & kTakesPolicy)) invalid.emplace_back("--priority", "");
    auto fail = [&](std::string why) {
        r.status = ParseStatus::BadArguments;
        r.error = std::move(why);
        return r;
    };
    if (!invalid.empty()) {
        std::string text = "Invalid options for this command:";
        for (const auto& [option, value] : invalid) text += "\n" + option + " : " + value;
        return fail(text);
    }
    int n = static_cast<int>(inv.args.size());
    const auto* list = warren::admin::find_list_spec(spec->name);
    if (list && list->takes_columns) {
        auto bad = warren::admin::unsupported_items(*list, inv.args);
        if (!bad.empty()) {
            std::string names;
            for (const auto& b : bad) names += (names.empty() ? "" : ",") + b;
            return fail("Info key(s) " + names + " are not supported");
        }
        return r;
    }
    if (n < spec->min_args) return fail("not enough arguments.");
    if (spec->max_args >= 0 && n > spec->max_args) return fail("too many arguments.");
    return r;
}

std::string usage_line(const CommandSpec& spec) {
    std::string line = "warrenctl [--node <node>] [--longnames] [--quiet] ";
    line += spec.name;
    if (!spec.arguments.empty()) {
        line += " ";
        line += spec.arguments;
    }
    return line;
}

std::string general_usage(bool bold) {
    auto b = [&](std::string_view s) {
        return bold ? "\033[1m" + std::string(s) + "\033[0m" : std::string(s);
    };
    std::string out = "\n" + b("Usage") +
                      "\n\nwarrenctl [--node <node>] [--timeout <timeout>] [--longnames] "
                      "[--quiet] [--data-dir <dir>] <command> [<command options>]\n\n"
                      "Available commands:\n";
    std::string_view group;
    for (const CommandSpec& c : kCommands) {
        if (c.group != group) {
            group = c.group;
            out += "\n" + b(group) + ":\n\n";
        }
        std::string name(c.name);
        name.resize(std::max<size_t>(name.size() + 1, 30), ' ');
        out += "   " + name + std::string(c.help) + "\n";
    }
    out += "\nUse 'warrenctl help <command>' to learn more about a specific command\n";
    return out;
}

}  // namespace warrenctl
