#include "warrenctl/run.h"

#include "warren/admin/info_items.h"
#include "warren/admin/protocol.h"
#include "warren/admin/text_format.h"
#include "warrenctl/control_client.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

namespace warrenctl {
namespace {

using nlohmann::json;
namespace admin = warren::admin;

constexpr double kDefaultTimeout_s = 60;
constexpr double kAwaitStartupTimeout_s = 300;  // rabbitmqctl await_startup's default

std::string dump(const json& j) {
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string bolded(std::string_view s, bool bold) {
    return bold ? "\033[1m" + std::string(s) + "\033[0m" : std::string(s);
}

std::string quoted_list(const std::vector<std::string>& items) {
    std::string out = "[";
    for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
    return out + "]";
}

/// Where one invocation talks to, and how it reports.
class Session {
public:
    Session(const Invocation& inv, std::ostream& out, std::ostream& err, bool bold)
        : inv_(inv), o_(inv.options), out_(out), err_(err), bold_(bold),
          node_(admin::local_node_name()), path_(admin::socket_path(o_.data_dir)) {}

    int run();

private:
    bool banners() const { return !o_.quiet && !o_.silent && !o_.json; }
    void banner(const std::string& text) {
        if (banners()) out_ << text << "\n";
    }
    double timeout() const { return o_.timeout_s > 0 ? o_.timeout_s : kDefaultTimeout_s; }
    const std::string& arg(size_t i) const { return inv_.args.at(i); }

    /// Connects and sends one request. On failure prints the error and sets `exit_code`.
    bool call(json request, json& reply, int& exit_code);
    int unreachable(const std::string& why);
    int report_error(const json& reply);

    int list();
    int simple(json request);
    int status();
    int ping();
    int await_startup();
    int stop();
    int export_definitions();
    int import_definitions();

    const Invocation& inv_;
    const Options& o_;
    std::ostream& out_;
    std::ostream& err_;
    bool bold_;
    std::string node_;
    std::string path_;
    ControlClient client_;
};

int Session::unreachable(const std::string& why) {
    err_ << "Error: unable to perform an operation on node '" << node_
         << "'. Please see diagnostics information and suggestions below.\n\n"
            "Most common reasons for this are:\n\n"
            " * Target node is not running\n"
            " * --data-dir (or WARREN_DATA_DIR) is not the data directory of the running "
            "broker\n"
            " * warrenctl runs as another user than the broker (only that user and root may "
            "use the control socket)\n\n"
            "DIAGNOSTICS\n===========\n\n"
            "attempted to contact: "
         << path_ << "\n\n * " << why << "\n";
    return admin::kExitUnavailable;
}

int Session::report_error(const json& reply) {
    std::string text = reply.value("error", std::string("unknown error"));
    if (reply.value("bare", false))
        err_ << text << "\n";
    else
        err_ << "Error:\n" << text << "\n";
    return reply.value("exit_code", admin::kExitSoftware);
}

bool Session::call(json request, json& reply, int& exit_code) {
    std::string error;
    if (!client_.connect(path_, error)) {
        exit_code = unreachable("connect: " + error);
        return false;
    }
    if (!client_.call(request, reply, timeout(), error)) {
        exit_code = unreachable(error);
        return false;
    }
    if (reply.value("refused", false)) {
        exit_code = unreachable(reply.value("error", std::string("refused")));
        return false;
    }
    if (!reply.value("ok", false)) {
        exit_code = report_error(reply);
        return false;
    }
    return true;
}

int Session::list() {
    const admin::ListSpec& spec = *admin::find_list_spec(inv_.command);
    json request{{"command", inv_.command}, {"vhost", o_.vhost}};
    std::vector<std::string> columns =
        admin::effective_items(spec, spec.takes_columns ? inv_.args : std::vector<std::string>{});
    request["items"] = columns;
    const std::string& vh = o_.vhost;
    const std::string& c = inv_.command;
    if (c == "list_queues") {
        banner(fmt::format("Timeout: {:.1f} seconds ...", timeout()));
        banner("Listing queues for vhost " + vh + " ...");
    } else if (c == "list_exchanges") {
        banner("Listing exchanges for vhost " + vh + " ...");
    } else if (c == "list_bindings") {
        banner("Listing bindings for vhost " + vh + "...");
    } else if (c == "list_consumers") {
        banner("Listing consumers in vhost " + vh + " ...");
    } else if (c == "list_connections") {
        banner("Listing connections ...");
    } else if (c == "list_channels") {
        banner("Listing channels ...");
    } else if (c == "list_users") {
        banner("Listing users ...");
    } else if (c == "list_vhosts") {
        banner("Listing vhosts ...");
    } else if (c == "list_permissions") {
        banner("Listing permissions for vhost \"" + vh + "\" ...");
    } else if (c == "list_user_permissions") {
        request["user"] = arg(0);
        banner("Listing permissions for user \"" + arg(0) + "\" ...");
    } else if (c == "list_policies") {
        banner("Listing policies for vhost \"" + vh + "\" ...");
    } else if (c == "list_operator_policies") {
        banner("Listing operator policy overrides for vhost \"" + vh + "\" ...");
    }
    json reply;
    int code = 0;
    if (!call(request, reply, code)) return code;
    const json& rows = reply["rows"];
    bool policies = c == "list_policies" || c == "list_operator_policies";
    if (o_.json && policies && rows.empty())
        out_ << "[]\n";  // rabbitmqctl's policy lists are not streamed: no row, no newline
    else if (o_.json)
        out_ << admin::format_json_rows(columns, rows);
    else
        out_ << admin::format_table(spec, columns, rows, !o_.silent && !o_.no_table_headers);
    return 0;
}

int Session::simple(json request) {
    json reply;
    int code = 0;
    if (!call(std::move(request), reply, code)) return code;
    const std::string& c = inv_.command;
    if (c == "add_user" && banners())
        out_ << "Done. Don't forget to grant the user permissions to some virtual hosts! See "
                "'warrenctl help set_permissions' to learn more.\n";
    if (c == "authenticate_user" && !o_.silent) out_ << "Success\n";
    if (c == "delete_queue" && !o_.silent)
        out_ << "Queue was successfully deleted with " << reply.value("messages", 0)
             << " ready messages\n";
    return 0;
}

int Session::status() {
    banner("Status of node " + node_ + " ...");
    json reply;
    int code = 0;
    if (!call(json{{"command", "status"}}, reply, code)) return code;
    reply.erase("ok");
    if (o_.json) {
        out_ << dump(reply) << "\n";
        return 0;
    }
    auto gb = [](const json& bytes) {
        return fmt::format("{:.4f} gb", bytes.is_number() ? bytes.get<double>() / 1e9 : 0.0);
    };
    std::ostringstream s;
    s << bolded("Runtime", bold_) << "\n\n"
      << "OS PID: " << reply.value("pid", 0) << "\n"
      << "OS: Linux\n"
      << "Uptime (seconds): " << reply.value("uptime_s", 0) << "\n"
      << "Warren version: " << reply.value("version", std::string()) << "\n"
      << "Node name: " << reply.value("node", std::string()) << "\n\n"
      << bolded("Data directory", bold_) << "\n\n"
      << "Node data directory: " << reply.value("data_directory", std::string()) << "\n\n"
      << bolded("Alarms", bold_) << "\n\n";
    const json& alarms = reply["alarms"];
    if (!alarms.is_array() || alarms.empty()) s << "(none)\n";
    else
        for (const auto& a : alarms) s << a.get<std::string>() << "\n";
    s << "\n"
      << bolded("Memory", bold_) << "\n\n"
      << "Total memory used: " << gb(reply["memory_used_bytes"]) << "\n"
      << "Calculation strategy: rss\n"
      << "Memory high watermark setting: computed to: " << gb(reply["memory_limit_bytes"])
      << "\n\n"
      << bolded("Free Disk Space", bold_) << "\n\n"
      << "Low free disk space watermark: " << gb(reply["disk_free_limit_bytes"]) << "\n"
      << "Free disk space: " << gb(reply.value("disk_free_bytes", json(0))) << "\n\n"
      << bolded("Totals", bold_) << "\n\n"
      << "Connection count: " << reply.value("connections", 0) << "\n"
      << "Queue count: " << reply.value("queues", 0) << "\n"
      << "Virtual host count: " << reply.value("vhosts", 0) << "\n\n";
    const json& delayed = reply["delayed_messages"];
    if (delayed.is_object()) {
        const json& late = delayed["release_lateness_ms"];
        s << bolded("Delayed messages", bold_) << "\n\n"
          << "Pending: " << delayed.value("pending", 0) << "\n"
          << "Released: " << delayed.value("released", 0) << " ("
          << delayed.value("released_overdue_at_start", 0) << " already due at start-up)\n"
          << fmt::format("Release lateness (ms): p50 {:.3f}, p99 {:.3f}, p99.9 {:.3f}, max "
                         "{:.3f}\n\n",
                         late.value("p50", 0.0), late.value("p99", 0.0), late.value("p999", 0.0),
                         late.value("max", 0.0));
    }
    s << bolded("Listeners", bold_) << "\n\n";
    for (const auto& l : reply["listeners"])
        s << "Interface: " << l.value("interface", std::string()) << ", port: "
          << l.value("port", 0) << ", protocol: " << l.value("protocol", std::string())
          << ", purpose: AMQP 0-9-1\n";
    out_ << s.str();
    return 0;
}

int Session::ping() {
    int ms = static_cast<int>(timeout() * 1000);
    banner(fmt::format("Will ping {}. This only checks if the OS process is running and answers "
                       "on its control socket. Timeout: {} ms.",
                       node_, ms));
    std::string error;
    json reply;
    if (!client_.connect(path_, error) ||
        !client_.call(json{{"command", "ping"}}, reply, timeout(), error) ||
        !reply.value("ok", false)) {
        err_ << "Error:\nFailed to connect and authenticate to " << node_ << " in " << ms
             << " ms\n";
        return admin::kExitUnavailable;
    }
    if (!o_.silent) out_ << "Ping succeeded\n";
    return 0;
}

int Session::await_startup() {
    double limit = o_.timeout_s > 0 ? o_.timeout_s : kAwaitStartupTimeout_s;
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                        std::chrono::duration<double>(limit));
    std::string error;
    for (;;) {
        json reply;
        if (client_.connect(path_, error) &&
            client_.call(json{{"command", "await_startup"}}, reply, limit, error) &&
            reply.value("ok", false))
            return 0;
        if (reply.is_object() && reply.value("refused", false))
            return unreachable(reply.value("error", error));
        if (std::chrono::steady_clock::now() >= deadline)
            return unreachable(fmt::format("not started within {:.0f} seconds: {}", limit, error));
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

/// True once `pid` has exited (or is a zombie waiting for its parent).
bool process_gone(pid_t pid) {
    if (pid <= 0) return true;
    if (kill(pid, 0) != 0 && errno == ESRCH) return true;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    auto paren = text.rfind(')');
    return text.empty() || (paren != std::string::npos && paren + 2 < text.size() &&
                            (text[paren + 2] == 'Z' || text[paren + 2] == 'X'));
}

int Session::stop() {
    banner("Stopping and halting node " + node_ + " ...");
    std::string error;
    if (!client_.connect(path_, error)) {
        if (o_.idempotent) return 0;
        return unreachable("connect: " + error);
    }
    json reply;
    if (!client_.call(json{{"command", "stop"}}, reply, timeout(), error))
        return unreachable(error);
    if (reply.value("refused", false)) return unreachable(reply.value("error", error));
    if (!reply.value("ok", false)) return report_error(reply);
    pid_t pid = client_.peer_pid();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(
                                                            static_cast<int>(timeout()));
    client_.wait_closed(timeout());
    while (!process_gone(pid)) {
        if (std::chrono::steady_clock::now() >= deadline) {
            err_ << "Error:\nthe broker (pid " << pid << ") did not exit within "
                 << static_cast<int>(timeout()) << " seconds\n";
            return admin::kExitSoftware;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return 0;
}

int Session::export_definitions() {
    const std::string& target = arg(0);
    if (target != "-") banner("Exporting definitions in JSON to a file at \"" + target + "\" ...");
    json reply;
    int code = 0;
    if (!call(json{{"command", "export_definitions"}}, reply, code)) return code;
    std::string text = dump(reply["definitions"]);
    if (target == "-") {
        out_ << text;
        return 0;
    }
    std::ofstream file(target, std::ios::binary | std::ios::trunc);
    if (!(file << text) || !file.flush()) {
        err_ << "Error:\ncannot write \"" << target << "\"\n";
        return admin::kExitSoftware;
    }
    return 0;
}

int Session::import_definitions() {
    const std::string& source = arg(0);
    std::string text;
    if (source == "-") {
        banner("Importing definitions in JSON from standard input ...");
        text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    } else {
        std::ifstream file(source, std::ios::binary);
        if (!file) {
            err_ << "Error (argument validation): Bad argument: File " << source
                 << " does not exist\nArguments given:\n\t" << inv_.given << "\n\n"
                 << bolded("Usage", bold_) << "\n\n"
                 << usage_line(*find_command(inv_.command)) << "\n";
            return admin::kExitDataErr;
        }
        banner("Importing definitions in JSON from a file at \"" + source + "\" ...");
        text.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
    }
    json definitions;
    try {
        definitions = json::parse(text);
    } catch (const json::exception& e) {
        err_ << "Error:\nFailed to deserialise input (format: JSON) (error: " << e.what()
             << ")\n";
        return admin::kExitDataErr;
    }
    if (!definitions.is_object()) {
        err_ << "Error:\nFailed to deserialise input (format: JSON) (error: not a JSON "
                "object)\n";
        return admin::kExitDataErr;
    }
    json reply;
    int code = 0;
    if (!call(json{{"command", "import_definitions"}, {"definitions", std::move(definitions)}},
              reply, code))
        return code;
    if (banners()) out_ << "Successfully imported definitions.\n";
    return 0;
}

int Session::run() {
    const std::string& c = inv_.command;
    const std::string& vh = o_.vhost;
    if (admin::find_list_spec(c)) return list();
    if (c == "status") return status();
    if (c == "ping") return ping();
    if (c == "await_startup") return await_startup();
    if (c == "stop") return stop();
    if (c == "export_definitions") return export_definitions();
    if (c == "import_definitions") return import_definitions();
    if (c == "add_user") {
        banner("Adding user \"" + arg(0) + "\" ...");
        return simple({{"command", c}, {"user", arg(0)}, {"password", arg(1)}});
    }
    if (c == "delete_user") {
        banner("Deleting user \"" + arg(0) + "\" ...");
        return simple({{"command", c}, {"user", arg(0)}});
    }
    if (c == "change_password") {
        banner("Changing password for user \"" + arg(0) + "\" ...");
        return simple({{"command", c}, {"user", arg(0)}, {"password", arg(1)}});
    }
    if (c == "clear_password") {
        banner("Clearing password for user \"" + arg(0) + "\" ...");
        return simple({{"command", c}, {"user", arg(0)}});
    }
    if (c == "authenticate_user") {
        banner("Authenticating user \"" + arg(0) + "\" ...");
        return simple({{"command", c}, {"user", arg(0)}, {"password", arg(1)}});
    }
    if (c == "set_user_tags") {
        std::vector<std::string> tags(inv_.args.begin() + 1, inv_.args.end());
        banner("Setting tags for user \"" + arg(0) + "\" to " + quoted_list(tags) + " ...");
        return simple({{"command", c}, {"user", arg(0)}, {"tags", tags}});
    }
    if (c == "add_vhost") {
        banner("Adding vhost \"" + arg(0) + "\" ...");
        return simple({{"command", c}, {"vhost", arg(0)}});
    }
    if (c == "delete_vhost") {
        banner("Deleting vhost \"" + arg(0) + "\" ...");
        return simple({{"command", c}, {"vhost", arg(0)}});
    }
    if (c == "set_permissions") {
        banner("Setting permissions for user \"" + arg(0) + "\" in vhost \"" + vh + "\" ...");
        return simple({{"command", c},
                       {"vhost", vh},
                       {"user", arg(0)},
                       {"configure", arg(1)},
                       {"write", arg(2)},
                       {"read", arg(3)}});
    }
    if (c == "clear_permissions") {
        banner("Clearing permissions for user \"" + arg(0) + "\" in vhost \"" + vh + "\" ...");
        return simple({{"command", c}, {"vhost", vh}, {"user", arg(0)}});
    }
    if (c == "set_policy" || c == "set_operator_policy") {
        banner(fmt::format("Setting {} \"{}\" for pattern \"{}\" to \"{}\" with priority \"{}\" "
                           "for vhost \"{}\" ...",
                           c == "set_policy" ? "policy" : "operator policy override", arg(0),
                           arg(1), arg(2), o_.priority, vh));
        return simple({{"command", c},
                       {"vhost", vh},
                       {"name", arg(0)},
                       {"pattern", arg(1)},
                       {"definition", arg(2)},
                       {"priority", o_.priority},
                       {"apply_to", o_.apply_to}});
    }
    if (c == "clear_policy" || c == "clear_operator_policy") {
        banner(fmt::format("Clearing {} \"{}\" on vhost \"{}\" ...",
                           c == "clear_policy" ? "policy" : "operator policy", arg(0), vh));
        return simple({{"command", c}, {"vhost", vh}, {"name", arg(0)}});
    }
    if (c == "purge_queue") {
        banner("Purging queue '" + arg(0) + "' in vhost '" + vh + "' ...");
        return simple({{"command", c}, {"vhost", vh}, {"queue", arg(0)}});
    }
    if (c == "delete_queue") {
        std::string conditions;
        if (o_.if_empty) conditions += " if queue is empty";
        if (o_.if_unused)
            conditions += std::string(o_.if_empty ? " and" : "") + " if queue is unused";
        banner("Deleting queue '" + arg(0) + "' on vhost '" + vh + "'" + conditions + " ...");
        return simple({{"command", c},
                       {"vhost", vh},
                       {"queue", arg(0)},
                       {"if_empty", o_.if_empty},
                       {"if_unused", o_.if_unused}});
    }
    if (c == "close_connection") {
        banner("Closing connection " + arg(0) + ", reason: " + arg(1) + "...");
        return simple({{"command", c}, {"connection", arg(0)}, {"explanation", arg(1)}});
    }
    err_ << "Error:\ncommand '" << c << "' is not implemented\n";
    return admin::kExitUsage;
}

int print_help(const ParseResult& parsed, std::ostream& out, bool bold) {
    const Invocation& inv = parsed.invocation;
    std::string topic = inv.command == "help" ? (inv.args.empty() ? "" : inv.args[0])
                                              : inv.command;
    const CommandSpec* spec = topic.empty() ? nullptr : find_command(topic);
    if (!spec) {
        out << general_usage(bold);
        return 0;
    }
    out << "\n"
        << bolded("Usage", bold) << "\n\n"
        << usage_line(*spec) << "\n\n"
        << spec->help << "\n\n"
        << bolded("General Options", bold) << "\n\n"
        << "-n <node>, --node <node>   accepted and ignored: warrenctl reaches the local broker\n"
        << "--data-dir <dir>           the broker's data directory (default $WARREN_DATA_DIR, "
           "else ./data)\n"
        << "-t <n>, --timeout <n>      operation timeout in seconds\n"
        << "-q, --quiet                suppress informational messages\n"
        << "-s, --silent               suppress informational messages and table header row\n"
        << "-p <vhost>, --vhost        for commands scoped to a virtual host\n"
        << "--formatter json           print list results as JSON\n"
        << "--no-table-headers         no header row in tables\n";
    return 0;
}

}  // namespace

int run(const Invocation& invocation, std::ostream& out, std::ostream& err, bool bold) {
    Session session(invocation, out, err, bold);
    return session.run();
}

int run_command_line(const std::vector<std::string>& argv, const char* env_data_dir,
                     std::ostream& out, std::ostream& err, bool bold) {
    ParseResult parsed = parse_command_line(argv, env_data_dir);
    switch (parsed.status) {
    case ParseStatus::Ok: return run(parsed.invocation, out, err, bold);
    case ParseStatus::Help: return print_help(parsed, out, bold);
    case ParseStatus::NoCommand: err << general_usage(bold); return admin::kExitUsage;
    case ParseStatus::UnknownCommand:
        err << "\nCommand '" << parsed.invocation.command << "' not found. \n"
            << general_usage(bold);
        return admin::kExitUsage;
    case ParseStatus::BadArguments: {
        const CommandSpec* spec = find_command(parsed.invocation.command);
        err << "Error (argument validation): " << parsed.error << "\nArguments given:\n\t"
            << parsed.invocation.given << "\n\n"
            << bolded("Usage", bold) << "\n\n"
            << (spec ? usage_line(*spec) : std::string("warrenctl <command>")) << "\n";
        return admin::kExitUsage;
    }
    }
    return admin::kExitUsage;
}

}  // namespace warrenctl
