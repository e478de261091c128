#include "warren-perf/amqp_uri.h"

#include <charconv>

namespace warren::perf {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool percent_decode(std::string_view in, std::string& out) {
    out.clear();
    for (size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '%') {
            out.push_back(in[i]);
            continue;
        }
        if (i + 2 >= in.size()) return false;
        int hi = hex_value(in[i + 1]);
        int lo = hex_value(in[i + 2]);
        if (hi < 0 || lo < 0) return false;
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
    }
    return true;
}

}  // namespace

std::optional<AmqpUri> AmqpUri::parse(std::string_view text, std::string& why) {
    constexpr std::string_view kScheme = "amqp://";
    if (text.starts_with("amqps://")) {
        why = "amqps:// (TLS) is not supported";
        return std::nullopt;
    }
    if (!text.starts_with(kScheme)) {
        why = "expected amqp://user:pass@host:port/vhost";
        return std::nullopt;
    }
    std::string_view rest = text.substr(kScheme.size());
    if (auto q = rest.find('?'); q != std::string_view::npos) rest = rest.substr(0, q);

    AmqpUri uri;
    std::string_view authority = rest;
    bool has_path = false;
    std::string_view path;
    if (auto slash = rest.find('/'); slash != std::string_view::npos) {
        authority = rest.substr(0, slash);
        path = rest.substr(slash + 1);
        has_path = true;
    }

    if (auto at = authority.rfind('@'); at != std::string_view::npos) {
        std::string_view userinfo = authority.substr(0, at);
        authority = authority.substr(at + 1);
        std::string_view user = userinfo;
        std::string_view pass;
        bool has_pass = false;
        if (auto colon = userinfo.find(':'); colon != std::string_view::npos) {
            user = userinfo.substr(0, colon);
            pass = userinfo.substr(colon + 1);
            has_pass = true;
        }
        if (!percent_decode(user, uri.user)) {
            why = "bad percent-encoding in the user name";
            return std::nullopt;
        }
        if (has_pass && !percent_decode(pass, uri.password)) {
            why = "bad percent-encoding in the password";
            return std::nullopt;
        }
        if (!has_pass) uri.password.clear();
    }

    std::string_view host = authority;
    std::string_view port;
    if (authority.starts_with('[')) {
        auto close = authority.find(']');
        if (close == std::string_view::npos) {
            why = "unterminated IPv6 address";
            return std::nullopt;
        }
        host = authority.substr(1, close - 1);
        std::string_view after = authority.substr(close + 1);
        if (after.starts_with(':')) port = after.substr(1);
    } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
    }
    if (!host.empty() && !percent_decode(host, uri.host)) {
        why = "bad percent-encoding in the host";
        return std::nullopt;
    }
    if (!port.empty()) {
        unsigned value = 0;
        auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
            why = "bad port '" + std::string(port) + "'";
            return std::nullopt;
        }
        uri.port = static_cast<uint16_t>(value);
    }
    if (has_path) {
        if (path.find('/') != std::string_view::npos) {
            why = "a '/' in the vhost must be written %2F";
            return std::nullopt;
        }
        if (!percent_decode(path, uri.vhost)) {
            why = "bad percent-encoding in the vhost";
            return std::nullopt;
        }
    }
    return uri;
}

std::string AmqpUri::display() const {
    std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return h + ":" + std::to_string(port) + " vhost '" + vhost + "'";
}

}  // namespace warren::perf
