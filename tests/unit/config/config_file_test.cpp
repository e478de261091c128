#include "warren/config/config_file.h"

#include "warren/config/options.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <unistd.h>

namespace warren::config {
namespace {

Config parse(std::string_view text) {
    Config c;
    parse_config_text(text, "warren.conf", c);
    return c;
}

std::string error_of(std::string_view text) {
    try {
        parse(text);
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "(no error)";
}

TEST(ConfigFile, EmptyFileKeepsTheDefaults) {
    Config c = parse("");
    Config d;
    EXPECT_EQ(c.port, d.port);
    EXPECT_EQ(c.default_user, "guest");
    EXPECT_EQ(c.loopback_users, std::vector<std::string>{"guest"});
}

TEST(ConfigFile, ReadsRabbitMqStyleLinesWithCommentsAndBlankLines) {
    Config c = parse(
        "# Warren\n"
        "\n"
        "listeners.tcp.default = 5673\n"
        "   heartbeat=30   \n"
        "frame_max\t=\t8192\n"
        "channel_max = 16 # trailing comment\n"
        "default_user = admin\r\n"
        "default_vhost = /prod\n"
        "\n"
        "   # indented comment\n");
    EXPECT_EQ(c.port, 5673);
    EXPECT_EQ(c.heartbeat_s, 30u);
    EXPECT_EQ(c.frame_max, 8192u);
    EXPECT_EQ(c.channel_max, 16u);
    EXPECT_EQ(c.default_user, "admin");
    EXPECT_EQ(c.default_vhost, "/prod");
}

TEST(ConfigFile, LastLineWithAKeyWins) {
    EXPECT_EQ(parse("heartbeat = 1\nheartbeat = 2\n").heartbeat_s, 2u);
}

TEST(ConfigFile, NoTrailingNewlineIsFine) {
    EXPECT_EQ(parse("heartbeat = 7").heartbeat_s, 7u);
}

TEST(ConfigFile, ValueKeepsInnerSpaces) {
    EXPECT_EQ(parse("default_pass = two words\n").default_pass, "two words");
}

TEST(ConfigFile, ListenerTakesPortOrAddressAndPort) {
    Config c = parse("listeners.tcp.default = 127.0.0.1:5680\n");
    EXPECT_EQ(c.port, 5680);
    EXPECT_EQ(c.bind, "127.0.0.1");
    c = parse("listeners.tcp.default = ::1:5681\n");
    EXPECT_EQ(c.port, 5681);
    EXPECT_EQ(c.bind, "::1");
    c = parse("listeners.ssl.default = [::1]:5671\n");
    EXPECT_EQ(c.tls_port, 5671);
    EXPECT_EQ(c.tls_bind, "::1");
    EXPECT_EQ(error_of("listeners.tcp.default = :5672\n"),
              "warren.conf:1: invalid value ':5672' for listeners.tcp.default (expected PORT or "
              "ADDRESS:PORT)");
    EXPECT_EQ(error_of("listeners.tcp.default = 70000\n"),
              "warren.conf:1: invalid value '70000' for listeners.tcp.default");
}

TEST(ConfigFile, SslOptions) {
    Config c = parse(
        "listeners.ssl.default = 5671\n"
        "ssl_options.cacertfile = /etc/warren/ca.pem\n"
        "ssl_options.certfile   = /etc/warren/server.pem\n"
        "ssl_options.keyfile    = /etc/warren/server.key\n"
        "ssl_options.verify     = verify_peer\n"
        "ssl_options.fail_if_no_peer_cert = true\n"
        "ssl_handshake_timeout = 2500\n");
    EXPECT_EQ(c.tls_port, 5671);
    EXPECT_EQ(c.tls_cacert_file, "/etc/warren/ca.pem");
    EXPECT_EQ(c.tls_cert_file, "/etc/warren/server.pem");
    EXPECT_EQ(c.tls_key_file, "/etc/warren/server.key");
    EXPECT_TRUE(c.tls_verify_peer);
    EXPECT_TRUE(c.tls_fail_if_no_peer_cert);
    EXPECT_EQ(c.tls_handshake_timeout_ms, 2500u);
    EXPECT_NO_THROW(validate(c));
    EXPECT_FALSE(parse("ssl_options.verify = verify_none\n").tls_verify_peer);
    EXPECT_EQ(error_of("ssl_options.fail_if_no_peer_cert = yes\n"),
              "warren.conf:1: invalid value 'yes' for ssl_options.fail_if_no_peer_cert "
              "(expected true or false)");
}

TEST(ConfigFile, ConsumerTimeoutIsPositiveMilliseconds) {
    EXPECT_EQ(Config{}.consumer_timeout_ms, 1800000u);  // RabbitMQ 3.10's default
    EXPECT_EQ(parse("consumer_timeout = 2000\n").consumer_timeout_ms, 2000u);
    EXPECT_EQ(error_of("consumer_timeout = 0\n"),
              "warren.conf:1: invalid value '0' for consumer_timeout (a positive number of "
              "milliseconds)");
    EXPECT_EQ(error_of("consumer_timeout = soon\n"),
              "warren.conf:1: invalid value 'soon' for consumer_timeout");
}

TEST(ConfigFile, LoopbackUsersFollowRabbitMqSyntax) {
    EXPECT_TRUE(parse("loopback_users.guest = false\n").loopback_users.empty());
    EXPECT_TRUE(parse("loopback_users = none\n").loopback_users.empty());
    EXPECT_EQ(parse("loopback_users.admin = true\n").loopback_users,
              (std::vector<std::string>{"guest", "admin"}));
    EXPECT_EQ(parse("loopback_users = none\nloopback_users.ops = true\n").loopback_users,
              std::vector<std::string>{"ops"});
    EXPECT_EQ(parse("loopback_users.guest = true\n").loopback_users,
              std::vector<std::string>{"guest"});
    EXPECT_EQ(error_of("loopback_users.guest = no\n"),
              "warren.conf:1: invalid value 'no' for loopback_users.guest (expected true or "
              "false)");
    EXPECT_EQ(error_of("loopback_users.a.b = true\n"), "warren.conf:1: unknown key 'loopback_users.a.b'");
}

TEST(ConfigFile, SizesAndRatiosAsRabbitMqWritesThem) {
    Config c = parse("vm_memory_high_watermark.relative = 0.6\ndisk_free_limit.absolute = 2GB\n");
    EXPECT_EQ(c.memory_high_watermark, "0.6");
    EXPECT_EQ(c.disk_free_limit, "2GB");
    c = parse("vm_memory_high_watermark.absolute = 1024MiB\ndisk_free_limit.relative = 2\n");
    EXPECT_EQ(c.memory_high_watermark, "1024MiB");
    EXPECT_EQ(c.disk_free_limit, "2.0") << "a ratio keeps a point so it reads as one";
    EXPECT_EQ(parse("max_message_size = 50MB\n").max_message_size, 50000000u);
    EXPECT_EQ(parse("max_message_size = 1048576\n").max_message_size, 1048576u);
    EXPECT_EQ(error_of("vm_memory_high_watermark.relative = lots\n"),
              "warren.conf:1: invalid value 'lots' for vm_memory_high_watermark.relative "
              "(expected a number such as 0.4)");
    EXPECT_EQ(error_of("disk_free_limit.absolute = 5 apples\n"),
              "warren.conf:1: invalid value '5 apples' for disk_free_limit.absolute (expected a "
              "size such as 2GB, 512MiB or 1073741824)");
    EXPECT_EQ(error_of("max_message_size = 1GB\n"),
              "warren.conf:1: invalid value '1GB' for max_message_size (at most 536870912 (512 "
              "MiB), as RabbitMQ)");
}

TEST(ConfigFile, TuneLimitsAreChecked) {
    EXPECT_EQ(error_of("frame_max = 100\n"),
              "warren.conf:1: invalid value '100' for frame_max (at least 4096, the AMQP 0-9-1 "
              "frame-min-size)");
    EXPECT_EQ(parse("channel_max = 0\n").channel_max, 65535u);
    EXPECT_EQ(error_of("channel_max = 65536\n"),
              "warren.conf:1: invalid value '65536' for channel_max (0 to 65535)");
    EXPECT_EQ(error_of("heartbeat = -1\n"), "warren.conf:1: invalid value '-1' for heartbeat");
}

TEST(ConfigFile, LogLevels) {
    EXPECT_EQ(parse("log.console.level = debug\n").log_level, "debug");
    EXPECT_EQ(parse("log.level = warning\n").log_level, "warning");
    Config c = parse("log.file.level = error\n");
    EXPECT_EQ(c.log_file_level, "error");
    EXPECT_EQ(c.log_level, "info");
    EXPECT_EQ(error_of("log.console.level = loud\n"),
              "warren.conf:1: invalid value 'loud' for log.console.level (expected debug, info, "
              "warning, error, critical or none)");
}

TEST(ConfigFile, EveryBadLineIsReportedWithItsNumber) {
    EXPECT_EQ(error_of("heartbeat = 5\n"
                       "heartbeet = 5\n"
                       "\n"
                       "frame_max = big\n"
                       "just some words\n"
                       "default_user =\n"
                       "bad key = 1\n"),
              "warren.conf:2: unknown key 'heartbeet'\n"
              "warren.conf:4: invalid value 'big' for frame_max\n"
              "warren.conf:5: expected 'key = value'\n"
              "warren.conf:6: missing value for 'default_user'\n"
              "warren.conf:7: invalid key 'bad key'");
}

TEST(ConfigFile, MalformedLineIsNotEchoed) {
    // It may be a password with the '=' forgotten.
    std::string err = error_of("default_pass s3cr3t\n");
    EXPECT_EQ(err.find("s3cr3t"), std::string::npos) << err;
}

TEST(ConfigFile, KeysOfFlagOnlyOptionsAreUnknown) {
    EXPECT_EQ(error_of("detached = true\n"), "warren.conf:1: unknown key 'detached'");
    EXPECT_EQ(error_of("listeners.tcp.other = 5672\n"),
              "warren.conf:1: unknown key 'listeners.tcp.other'");
}

class ConfigFileOnDisk : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/warren-config-test-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override {
        std::remove((dir_ + "/warren.conf").c_str());
        ::rmdir(dir_.c_str());
    }
    std::string write(const std::string& text) {
        std::string path = dir_ + "/warren.conf";
        std::ofstream(path) << text;
        return path;
    }
    std::string dir_;
};

TEST_F(ConfigFileOnDisk, CommandLineFlagsOverrideTheFile) {
    std::string path = write("heartbeat = 10\nframe_max = 8192\n");
    Config c;
    std::string config_arg = "--config=" + path;
    std::vector<std::string> args{"warren-server", config_arg, "--heartbeat", "20"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    parse_command_line(static_cast<int>(argv.size()), argv.data(), c, "");
    EXPECT_EQ(c.heartbeat_s, 20u);
    EXPECT_EQ(c.frame_max, 8192u);
    EXPECT_EQ(c.config_file, path);
}

TEST_F(ConfigFileOnDisk, DefaultFileIsReadWhenPresent) {
    std::string path = write("channel_max = 9\n");
    Config c;
    std::vector<std::string> args{"warren-server"};
    std::vector<char*> argv{args[0].data()};
    parse_command_line(1, argv.data(), c, path);
    EXPECT_EQ(c.channel_max, 9u);
    EXPECT_EQ(c.config_file, path);
}

TEST_F(ConfigFileOnDisk, ErrorsNameTheFile) {
    std::string path = write("\nnope = 1\n");
    Config c;
    try {
        load_config_file(path, c);
        FAIL() << "no error";
    } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()), path + ":2: unknown key 'nope'");
    }
}

}  // namespace
}  // namespace warren::config
