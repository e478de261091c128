#include "warrenctl/cli.h"

#include <gtest/gtest.h>

namespace warrenctl {
namespace {

ParseResult parse(std::vector<std::string> argv, const char* env = nullptr) {
    return parse_command_line(argv, env);
}

TEST(Cli, OptionsGoAnywhereAsInRabbitmqctl) {
    auto r = parse({"-n", "rabbit@host", "list_queues", "-p", "v1", "name", "-q", "messages",
                    "--formatter", "json", "--no-table-headers", "-s"});
    ASSERT_EQ(r.status, ParseStatus::Ok) << r.error;
    const Invocation& inv = r.invocation;
    EXPECT_EQ(inv.command, "list_queues");
    EXPECT_EQ(inv.args, (std::vector<std::string>{"name", "messages"}));
    EXPECT_EQ(inv.options.vhost, "v1");
    EXPECT_EQ(inv.options.node, "rabbit@host");
    EXPECT_TRUE(inv.options.quiet && inv.options.silent && inv.options.no_table_headers);
    EXPECT_TRUE(inv.options.json);
    EXPECT_EQ(inv.given, "-n rabbit@host list_queues -p v1 name -q messages --formatter json "
                         "--no-table-headers -s");
}

TEST(Cli, DataDirFromFlagEnvOrDefault) {
    EXPECT_EQ(parse({"ping"}).invocation.options.data_dir, "./data");
    EXPECT_EQ(parse({"ping"}, "/var/lib/warren").invocation.options.data_dir, "/var/lib/warren");
    EXPECT_EQ(parse({"--data-dir=/d", "ping"}, "/e").invocation.options.data_dir, "/d");
    EXPECT_EQ(parse({"ping", "--data-dir", "/d"}, "/e").invocation.options.data_dir, "/d");
}

TEST(Cli, ArgumentCountsAreCheckedPerCommand) {
    auto r = parse({"add_user", "alice"});
    EXPECT_EQ(r.status, ParseStatus::BadArguments);
    EXPECT_EQ(r.error, "not enough arguments.");
    r = parse({"add_user", "a", "b", "c"});
    EXPECT_EQ(r.error, "too many arguments.");
    EXPECT_EQ(parse({"set_user_tags", "alice"}).status, ParseStatus::Ok);  // clears the tags
    EXPECT_EQ(parse({"set_user_tags", "alice", "a", "b", "c"}).status, ParseStatus::Ok);
    EXPECT_EQ(parse({"set_permissions", "-p", "v", "u", ".*", ".*", ""}).status,
              ParseStatus::Ok);
}

TEST(Cli, ListColumnsAreValidated) {
    auto r = parse({"list_queues", "name", "bogus", "nope"});
    EXPECT_EQ(r.status, ParseStatus::BadArguments);
    EXPECT_EQ(r.error, "Info key(s) bogus,nope are not supported");
    EXPECT_EQ(parse({"list_connections", "client_properties", "protocol"}).status,
              ParseStatus::Ok);
}

TEST(Cli, OptionsACommandDoesNotTakeAreRefused) {
    auto r = parse({"add_user", "-p", "v", "a", "b"});
    EXPECT_EQ(r.status, ParseStatus::BadArguments);
    EXPECT_NE(r.error.find("Invalid options for this command"), std::string::npos);
    EXPECT_EQ(parse({"list_queues", "-p"}).status, ParseStatus::BadArguments);
    EXPECT_EQ(parse({"list_queues", "--bogus"}).status, ParseStatus::BadArguments);
    EXPECT_EQ(parse({"list_users", "--formatter", "xml"}).status, ParseStatus::BadArguments);
}

TEST(Cli, DeleteQueueFlagsAndDashArguments) {
    auto r = parse({"delete_queue", "q", "--if-empty", "-u"});
    ASSERT_EQ(r.status, ParseStatus::Ok);
    EXPECT_TRUE(r.invocation.options.if_empty && r.invocation.options.if_unused);
    r = parse({"import_definitions", "-"});
    ASSERT_EQ(r.status, ParseStatus::Ok);
    EXPECT_EQ(r.invocation.args, (std::vector<std::string>{"-"}));
    r = parse({"add_user", "alice", "--", "-secret-"});
    ASSERT_EQ(r.status, ParseStatus::Ok);
    EXPECT_EQ(r.invocation.args, (std::vector<std::string>{"alice", "-secret-"}));
}

TEST(Cli, UnknownMissingAndHelp) {
    EXPECT_EQ(parse({}).status, ParseStatus::NoCommand);
    EXPECT_EQ(parse({"frobnicate"}).status, ParseStatus::UnknownCommand);
    EXPECT_EQ(parse({"help"}).status, ParseStatus::Help);
    EXPECT_EQ(parse({"add_user", "--help"}).status, ParseStatus::Help);
}

TEST(Cli, UsageLinesLookLikeRabbitmqctls) {
    EXPECT_EQ(usage_line(*find_command("add_user")),
              "warrenctl [--node <node>] [--longnames] [--quiet] add_user <username> <password>");
    std::string all = general_usage(false);
    for (const CommandSpec& c : all_commands())
        EXPECT_NE(all.find(std::string(c.name)), std::string::npos) << c.name;
}

}  // namespace
}  // namespace warrenctl
