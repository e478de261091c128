#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace warrenctl {

/// What a command accepts besides positional arguments.
enum CommandFlag : uint32_t {
    kTakesVhost = 1u << 0,    // -p / --vhost
    kTakesColumns = 1u << 1,  // positional arguments are info items (list_*)
    kTakesIfFlags = 1u << 2,  // --if-empty / --if-unused (delete_queue)
    kTakesFormat = 1u << 3,   // --format json (definitions)
    kTakesPolicy = 1u << 4,   // --priority / --apply-to (set_policy, set_operator_policy)
};

struct CommandSpec {
    std::string_view name;
    std::string_view group;
    std::string_view arguments;  // usage after the name, rabbitmqctl style
    std::string_view help;
    int min_args;
    int max_args;  // -1: any number
    uint32_t flags;
};

std::span<const CommandSpec> all_commands();
const CommandSpec* find_command(std::string_view name);

/// Options as rabbitmqctl takes them, anywhere on the command line.
struct Options {
    std::string data_dir;  // --data-dir, else $WARREN_DATA_DIR, else ./data
    std::string node;      // -n/--node: accepted and ignored (the local node only)
    std::string vhost = "/";
    bool quiet = false;             // -q: no banners
    bool silent = false;            // -s: no banners, no table header
    bool no_table_headers = false;  // --no-table-headers
    bool json = false;              // --formatter json
    double timeout_s = 0;           // -t/--timeout; 0: the command's default
    bool if_empty = false;
    bool if_unused = false;
    bool idempotent = false;  // stop: success if the broker is not running
    int64_t priority = 0;     // --priority
    std::string apply_to = "all";  // --apply-to, checked by the broker as RabbitMQ does
};

struct Invocation {
    std::string command;
    std::vector<std::string> args;
    Options options;
    std::string given;  // the arguments as typed, for error messages
};

enum class ParseStatus { Ok, Help, NoCommand, UnknownCommand, BadArguments };

struct ParseResult {
    ParseStatus status = ParseStatus::Ok;
    Invocation invocation;
    std::string error;  // for BadArguments: "not enough arguments." and the like
};

/// Parses argv (without the program name). `env_data_dir` is $WARREN_DATA_DIR (or null).
ParseResult parse_command_line(const std::vector<std::string>& argv, const char* env_data_dir);

/// "warrenctl [--node <node>] [--longnames] [--quiet] add_user <username> <password>"
std::string usage_line(const CommandSpec& spec);
/// What `warrenctl` with no or an unknown command prints: usage and every command.
std::string general_usage(bool bold);

}  // namespace warrenctl
