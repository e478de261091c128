#include "warren/config/options.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <stdexcept>
#include <string>
#include <vector>

namespace warren::config {
namespace {

// Owns argv strings for parse_command_line, with "warren-server" as argv[0].
class Args {
public:
    Args(std::initializer_list<const char*> args) {
        strings_.emplace_back("warren-server");
        for (const char* a : args) strings_.emplace_back(a);
        for (auto& s : strings_) argv_.push_back(s.data());
    }
    int argc() const { return static_cast<int>(argv_.size()); }
    char** argv() { return argv_.data(); }

private:
    std::vector<std::string> strings_;
    std::vector<char*> argv_;
};

ParseOutcome parse(std::initializer_list<const char*> args, Config& c) {
    Args a(args);
    return parse_command_line(a.argc(), a.argv(), c, "");
}

std::string error_of(std::initializer_list<const char*> args) {
    Config c;
    try {
        parse(args, c);
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "(no error)";
}

TEST(ParseCommandLine, NoArgumentsKeepsRabbitMqDefaults) {
    Config c;
    EXPECT_EQ(parse({}, c), ParseOutcome::Run);
    EXPECT_EQ(c.port, 5672);
    EXPECT_EQ(c.heartbeat_s, 60u);
    EXPECT_EQ(c.frame_max, 131072u);
    EXPECT_EQ(c.channel_max, 2047u);
    EXPECT_EQ(c.default_user, "guest");
    EXPECT_EQ(c.default_vhost, "/");
    EXPECT_FALSE(c.detached);
}

TEST(ParseCommandLine, ValueMayFollowAsTheNextArgument) {
    Config c;
    EXPECT_EQ(parse({"--port", "1234"}, c), ParseOutcome::Run);
    EXPECT_EQ(c.port, 1234);
}

TEST(ParseCommandLine, ValueMayFollowAnEqualsSign) {
    Config c;
    EXPECT_EQ(parse({"--port=1234"}, c), ParseOutcome::Run);
    EXPECT_EQ(c.port, 1234);
}

TEST(ParseCommandLine, SetsEveryKindOfField) {
    Config c;
    parse({"--bind", "127.0.0.1", "--data-dir=/tmp/w", "--max-message-size", "1048576",
           "--heartbeat=0", "--frame-max", "4096", "--default-vhost=/dev", "--detached"},
          c);
    EXPECT_EQ(c.bind, "127.0.0.1");
    EXPECT_EQ(c.data_dir, "/tmp/w");
    EXPECT_EQ(c.max_message_size, 1048576u);
    EXPECT_EQ(c.heartbeat_s, 0u);
    EXPECT_EQ(c.frame_max, 4096u);
    EXPECT_EQ(c.default_vhost, "/dev");
    EXPECT_TRUE(c.detached);
}

TEST(ParseCommandLine, AcceptsRabbitMqsSingleDashDetached) {
    Config c;
    parse({"-detached"}, c);
    EXPECT_TRUE(c.detached);
}

TEST(ParseCommandLine, StringValueMayContainEquals) {
    Config c;
    parse({"--default-pass=a=b"}, c);
    EXPECT_EQ(c.default_pass, "a=b");
}

TEST(ParseCommandLine, LaterFlagsWin) {
    Config c;
    parse({"--port", "1", "--port=2"}, c);
    EXPECT_EQ(c.port, 2);
}

TEST(ParseCommandLine, UnknownOptionThrowsNamingIt) {
    EXPECT_EQ(error_of({"--prot", "1234"}), "unknown option '--prot' (see --help)");
    EXPECT_EQ(error_of({"--prot=1234"}), "unknown option '--prot' (see --help)");
    EXPECT_EQ(error_of({"stray"}), "unknown option 'stray' (see --help)");
}

TEST(ParseCommandLine, BadNumberThrowsNamingValueAndFlag) {
    EXPECT_EQ(error_of({"--port", "abc"}), "invalid value 'abc' for --port");
    EXPECT_EQ(error_of({"--port=12x"}), "invalid value '12x' for --port");
    EXPECT_EQ(error_of({"--port", "-1"}), "invalid value '-1' for --port");
    EXPECT_EQ(error_of({"--port", ""}), "invalid value '' for --port");
}

TEST(ParseCommandLine, OutOfRangeNumberThrows) {
    EXPECT_EQ(error_of({"--port", "65536"}), "invalid value '65536' for --port");
    EXPECT_EQ(error_of({"--heartbeat", "4294967296"}),
              "invalid value '4294967296' for --heartbeat");
    Config c;
    parse({"--port", "65535"}, c);
    EXPECT_EQ(c.port, 65535);
}

TEST(ParseCommandLine, MissingValueThrows) {
    EXPECT_EQ(error_of({"--port"}), "--port needs a value");
}

TEST(ParseCommandLine, HelpReturnsExitOkAndPrintsEveryFlag) {
    Config c;
    ::testing::internal::CaptureStdout();
    ParseOutcome outcome = parse({"--port", "1", "--help", "--bogus"}, c);
    std::string out = ::testing::internal::GetCapturedStdout();
    EXPECT_EQ(outcome, ParseOutcome::ExitOk);
    EXPECT_EQ(out, help_text());
    Config h;
    ::testing::internal::CaptureStdout();
    EXPECT_EQ(parse({"-h"}, h), ParseOutcome::ExitOk);
    ::testing::internal::GetCapturedStdout();
}

TEST(HelpText, ListsEveryFlag) {
    std::string help = help_text();
    for (const char* flag : {"--port PORT", "--bind ADDRESS", "--data-dir DIR", "--log-level",
                             "--max-message-size", "--heartbeat", "--frame-max", "--channel-max",
                             "--handshake-timeout", "--default-user", "--default-pass",
                             "--default-vhost", "--load-definitions", "--detached", "--pid-file",
                             "--config FILE", "--loopback-users", "--tls-port PORT",
                             "--tls-cert FILE", "--tls-key FILE", "--tls-ca-cert FILE",
                             "--tls-verify MODE", "--tls-fail-if-no-peer-cert", "--help"})
        EXPECT_NE(help.find(flag), std::string::npos) << flag;
    // Switches take no value: their help text follows the flag directly.
    auto after = [&](const std::string& flag) {
        size_t at = help.find(flag) + flag.size();
        return help.substr(help.find_first_not_of(' ', at), 12);
    };
    EXPECT_EQ(after("--detached"), "Run in the b");
    EXPECT_EQ(after("--tls-fail-if-no-peer-cert"), "With verify_");
    EXPECT_EQ(after("--port"), "PORT        ");
}

TEST(HelpText, NamesTheConfigKeyOfEachFlagAndTheFileOnlyKeys) {
    std::string help = help_text();
    for (const char* key : {"[listeners.tcp.default]", "[heartbeat]", "[default_pass]",
                            "[listeners.ssl.default]", "[ssl_options.certfile]",
                            "[ssl_options.verify]", "[ssl_options.fail_if_no_peer_cert]",
                            "loopback_users.NAME = BOOL", "vm_memory_high_watermark.relative",
                            "vm_memory_high_watermark.absolute", "disk_free_limit.relative",
                            "disk_free_limit.absolute", "log.file.level"})
        EXPECT_NE(help.find(key), std::string::npos) << key;
}

TEST(ParseCommandLine, SwitchesTakeAnOptionalBooleanValue) {
    Config c;
    parse({"--tls-fail-if-no-peer-cert", "--tls-verify", "verify_peer", "--tls-ca-cert", "ca.pem"},
          c);
    EXPECT_TRUE(c.tls_fail_if_no_peer_cert);
    parse({"--tls-fail-if-no-peer-cert=false"}, c);
    EXPECT_FALSE(c.tls_fail_if_no_peer_cert);
    EXPECT_EQ(error_of({"--detached=maybe"}),
              "invalid value 'maybe' for --detached (expected true or false)");
}

TEST(ParseCommandLine, TlsFlagsSetTheTlsListener) {
    Config c;
    parse({"--tls-port", "5671", "--tls-cert", "s.pem", "--tls-key", "k.pem", "--tls-ca-cert",
           "ca.pem", "--tls-verify", "verify_peer"},
          c);
    EXPECT_EQ(c.tls_port, 5671);
    EXPECT_EQ(c.tls_cert_file, "s.pem");
    EXPECT_EQ(c.tls_key_file, "k.pem");
    EXPECT_EQ(c.tls_cacert_file, "ca.pem");
    EXPECT_TRUE(c.tls_verify_peer);
}

TEST(ParseCommandLine, TlsListenerWithoutCertificateIsRefused) {
    EXPECT_EQ(error_of({"--tls-port", "5671"}),
              "the TLS listener (listeners.ssl.default, --tls-port) needs ssl_options.certfile "
              "and ssl_options.keyfile (--tls-cert, --tls-key)");
    EXPECT_EQ(error_of({"--tls-verify", "verify_peer"}),
              "ssl_options.verify = verify_peer needs ssl_options.cacertfile (--tls-ca-cert)");
    EXPECT_EQ(error_of({"--tls-fail-if-no-peer-cert"}),
              "ssl_options.fail_if_no_peer_cert = true needs ssl_options.verify = verify_peer");
    EXPECT_EQ(error_of({"--tls-verify", "verify_some"}),
              "invalid value 'verify_some' for --tls-verify (expected verify_peer or verify_none)");
}

TEST(ParseCommandLine, LoopbackUsersTakesAListOrNone) {
    Config c;
    EXPECT_EQ(c.loopback_users, std::vector<std::string>{"guest"});
    parse({"--loopback-users", "none"}, c);
    EXPECT_TRUE(c.loopback_users.empty());
    parse({"--loopback-users", "guest,admin"}, c);
    EXPECT_EQ(c.loopback_users, (std::vector<std::string>{"guest", "admin"}));
    EXPECT_EQ(error_of({"--loopback-users", "a,,b"}),
              "invalid value 'a,,b' for --loopback-users (expected none or NAME[,NAME...])");
}

TEST(ParseCommandLine, ExplicitConfigFileThatIsMissingIsAnError) {
    EXPECT_EQ(error_of({"--config", "/nonexistent/warren.conf"}),
              "cannot read config file '/nonexistent/warren.conf'");
    EXPECT_EQ(error_of({"--config"}), "--config needs a value");
}

TEST(ParseCommandLine, MissingDefaultConfigFileIsFine) {
    Config c;
    Args a({});
    EXPECT_EQ(parse_command_line(a.argc(), a.argv(), c, "/nonexistent/warren.conf"),
              ParseOutcome::Run);
    EXPECT_EQ(c.config_file, "");
}

}  // namespace
}  // namespace warren::config
