// Parses the input as a rabbitmq.conf-style file. Any input may be refused, but only with
// std::runtime_error whose every line is "fuzz.conf:LINE: problem" for a line that exists;
// an accepted file must give the same Config when parsed again, and pass or fail
// validate() with std::runtime_error only.
#include "warren/config/config_file.h"
#include "warren/config/options.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail) {
    std::fprintf(stderr, "config_file_fuzz: %s: %s\n", what, detail.c_str());
    std::abort();
}

size_t count_lines(std::string_view text) {
    size_t n = 0;
    for (char c : text) n += (c == '\n');
    return n + (!text.empty() && text.back() != '\n');
}

void check_errors(const std::string& errors, size_t lines) {
    std::string_view rest = errors;
    while (!rest.empty()) {
        size_t nl = rest.find('\n');
        std::string_view line = rest.substr(0, nl);
        constexpr std::string_view kPrefix = "fuzz.conf:";
        if (line.substr(0, kPrefix.size()) != kPrefix) fail("error without file", errors);
        size_t number = std::strtoul(std::string(line.substr(kPrefix.size())).c_str(), nullptr, 10);
        if (number == 0 || number > lines) fail("error names no input line", errors);
        rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    }
}

bool same(const warren::config::Config& a, const warren::config::Config& b) {
    return a.port == b.port && a.bind == b.bind && a.data_dir == b.data_dir &&
           a.log_level == b.log_level && a.log_file_level == b.log_file_level &&
           a.max_message_size == b.max_message_size && a.heartbeat_s == b.heartbeat_s &&
           a.frame_max == b.frame_max && a.channel_max == b.channel_max &&
           a.default_user == b.default_user && a.default_pass == b.default_pass &&
           a.loopback_users == b.loopback_users &&
           a.memory_high_watermark == b.memory_high_watermark &&
           a.disk_free_limit == b.disk_free_limit && a.tls_port == b.tls_port &&
           a.tls_cert_file == b.tls_cert_file && a.tls_verify_peer == b.tls_verify_peer;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    warren::config::Config first;
    try {
        warren::config::parse_config_text(text, "fuzz.conf", first);
    } catch (const std::runtime_error& e) {
        check_errors(e.what(), count_lines(text));
        return 0;
    }
    warren::config::Config second;
    warren::config::parse_config_text(text, "fuzz.conf", second);
    if (!same(first, second)) fail("parsing twice differs", std::string(text));
    try {
        warren::config::validate(first);
    } catch (const std::runtime_error&) {
    }
    return 0;
}
