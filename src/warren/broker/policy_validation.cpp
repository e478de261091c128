#include "warren/broker/policy_validation.h"

#include "warren/broker/json_fields.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <optional>
#include <regex>

namespace warren::broker {
namespace {

using nlohmann::json;
using Problem = std::optional<std::string>;

// io_lib's line width: ~p breaks a term that would run past it.
constexpr size_t kLineWidth = 80;

std::string erlang_chars(std::string_view bytes) {
    std::string out;
    for (unsigned char c : bytes) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            // RabbitMQ prints each byte of a UTF-8 text as a latin-1 character.
            if (c >= 0x80) {
                out.push_back(static_cast<char>(0xC0 | (c >> 6)));
                out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
            } else {
                out.push_back(static_cast<char>(c));
            }
        }
    }
    return out;
}

// Erlang prints the shorter of the fixed and the scientific form of the shortest digits.
std::string erlang_float(double d) {
    char buf[64];
    std::string s(buf, std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific).ptr);
    bool negative = !s.empty() && s[0] == '-';
    if (negative) s.erase(0, 1);
    size_t e = s.find('e');
    std::string digits;
    for (char c : s.substr(0, e))
        if (c != '.') digits.push_back(c);
    int exp = std::stoi(s.substr(e + 1));
    std::string sci = digits.substr(0, 1) + "." + (digits.size() > 1 ? digits.substr(1) : "0") +
                      "e" + std::to_string(exp);
    int n = static_cast<int>(digits.size());
    std::string fixed;
    if (exp >= 0) {
        fixed = exp + 1 >= n ? digits + std::string(static_cast<size_t>(exp + 1 - n), '0') + ".0"
                             : digits.substr(0, static_cast<size_t>(exp + 1)) + "." +
                                   digits.substr(static_cast<size_t>(exp + 1));
    } else {
        fixed = "0." + std::string(static_cast<size_t>(-exp - 1), '0') + digits;
    }
    std::string out = fixed.size() <= sci.size() ? fixed : sci;
    return negative ? "-" + out : out;
}

// io_lib:printable_list/1 for latin-1: such a list prints as a string.
bool printable_list(const json& a) {
    if (a.empty()) return false;
    return std::all_of(a.begin(), a.end(), [](const json& v) {
        if (!v.is_number_integer()) return false;
        int64_t c = v.get<int64_t>();
        return (c >= 32 && c <= 126) || (c >= 160 && c <= 255) || (c >= 8 && c <= 13) ||
               c == 27;
    });
}

std::string key_value_pair(const std::string& key, const json& value) {
    return "{<<\"" + erlang_chars(key) + "\">>," + erlang_term(value) + "}";
}

// RabbitMQ's texts, "<value> is not a valid <what>".
Problem not_valid(const json& v, std::string_view what) {
    return erlang_term(v) + " is not a valid " + std::string(what);
}

bool is_integer(const json& v) { return v.is_number_integer(); }
bool at_least(const json& v, int64_t min) {
    if (!is_integer(v)) return false;
    // nlohmann keeps non-negative numbers unsigned.
    if (v.is_number_unsigned()) return min <= 0 || v.get<uint64_t>() >= static_cast<uint64_t>(min);
    return v.get<int64_t>() >= min;
}
bool one_of(const json& v, std::initializer_list<std::string_view> allowed) {
    if (!v.is_string()) return false;
    const std::string& s = v.get_ref<const std::string&>();
    return std::find(allowed.begin(), allowed.end(), s) != allowed.end();
}

// rabbit_amqqueue:check_max_age/1 accepts digits and one unit.
bool max_age(const json& v) {
    static const std::regex kMaxAge("^[0-9]+(Y|M|D|h|m|s)$");
    return v.is_string() && std::regex_match(v.get_ref<const std::string&>(), kMaxAge);
}

// rabbit_policies:validate_policy0/2 (and Warren's max-priority).
Problem check_policies_key(const std::string& key, const json& v) {
    if (key == "alternate-exchange")
        return v.is_string() ? Problem() : not_valid(v, "alternate exchange name");
    if (key == "dead-letter-exchange")
        return v.is_string() ? Problem() : not_valid(v, "dead letter exchange name");
    if (key == "dead-letter-routing-key")
        return v.is_string() ? Problem() : not_valid(v, "dead letter routing key");
    if (key == "dead-letter-strategy")
        return one_of(v, {"at-least-once", "at-most-once"}) ? Problem()
                                                             : not_valid(v, "dead letter strategy");
    if (key == "message-ttl") return at_least(v, 0) ? Problem() : not_valid(v, "message TTL");
    if (key == "expires") return at_least(v, 1) ? Problem() : not_valid(v, "queue expiry");
    if (key == "max-length") return at_least(v, 0) ? Problem() : not_valid(v, "maximum length");
    if (key == "max-length-bytes")
        return at_least(v, 0) ? Problem() : not_valid(v, "maximum length in bytes");
    if (key == "max-in-memory-length" || key == "max-in-memory-bytes")
        return at_least(v, 0) ? Problem() : not_valid(v, "maximum memory in bytes");
    if (key == "delivery-limit")
        return at_least(v, 0) ? Problem() : not_valid(v, "delivery limit");
    if (key == "queue-mode")
        return one_of(v, {"default", "lazy"}) ? Problem() : not_valid(v, "queue-mode value");
    if (key == "overflow")
        return one_of(v, {"drop-head", "reject-publish", "reject-publish-dlx"})
                   ? Problem()
                   : not_valid(v, "overflow value");
    if (key == "max-age") return max_age(v) ? Problem() : not_valid(v, "max age");
    if (key == "stream-max-segment-size-bytes")
        return at_least(v, 0) ? Problem() : not_valid(v, "segment size");
    if (key == "queue-leader-locator")
        return one_of(v, {"client-local", "balanced", "random", "least-leaders"})
                   ? Problem()
                   : not_valid(v, "queue leader locator value");
    if (key == "initial-cluster-size")
        return at_least(v, 0) ? Problem() : not_valid(v, "cluster size");
    if (key == "max-priority")
        return at_least(v, 0) && v.get<uint64_t>() <= 255 ? Problem()
                                                          : not_valid(v, "maximum priority");
    return std::nullopt;
}

constexpr std::string_view kPolicyKeys[] = {
    "alternate-exchange", "dead-letter-exchange", "dead-letter-routing-key",
    "dead-letter-strategy", "message-ttl", "expires", "max-length", "max-length-bytes",
    "max-in-memory-length", "max-in-memory-bytes", "delivery-limit", "queue-mode", "overflow",
    "max-age", "stream-max-segment-size-bytes", "queue-leader-locator", "initial-cluster-size",
    "max-priority"};
constexpr std::string_view kOperatorPolicyKeys[] = {
    "expires", "message-ttl", "max-length", "max-length-bytes", "max-in-memory-length",
    "max-in-memory-bytes", "delivery-limit"};
constexpr std::string_view kHaKeys[] = {"ha-mode", "ha-params", "ha-sync-mode",
                                        "ha-sync-batch-size", "ha-promote-on-shutdown",
                                        "ha-promote-on-failure"};

template <size_t N>
bool listed(const std::string_view (&keys)[N], std::string_view key) {
    return std::find(std::begin(keys), std::end(keys), key) != std::end(keys);
}

// rabbit_mirror_queue_misc:validate_policy/1: the ha-* keys as a group.
Problem check_ha_keys(const json& def) {
    auto get = [&](const char* key) -> const json* {
        auto it = def.find(key);
        return it == def.end() ? nullptr : &*it;
    };
    const json* mode = get("ha-mode");
    const json* params = get("ha-params");
    if (!mode)
        return std::string("ha-mode must be specified to specify ha-params, ha-sync-mode or "
                           "ha-promote-on-shutdown");
    auto shown = [](const json* v) { return v ? erlang_term(*v) : std::string("none"); };
    if (one_of(*mode, {"all"})) {
        if (params) return std::string("ha-mode=\"all\" does not take parameters");
    } else if (one_of(*mode, {"exactly"})) {
        if (!params || !at_least(*params, 1))
            return "ha-mode=\"exactly\" takes an integer, " + shown(params) + " given";
    } else if (one_of(*mode, {"nodes"})) {
        if (!params || !params->is_array())
            return "ha-mode=\"nodes\" takes a list, " + shown(params) + " given";
        json invalid = json::array();
        for (const json& n : *params)
            if (!n.is_string()) invalid.push_back(n);
        if (!invalid.empty())
            return "ha-mode=\"nodes\" takes a list of strings, " + erlang_term(invalid) +
                   " was not a string";
    } else {
        return erlang_term(*mode) + " is not a valid ha-mode value";
    }
    if (const json* v = get("ha-sync-mode"); v && !one_of(*v, {"manual", "automatic"}))
        return "ha-sync-mode must be \"manual\" or \"automatic\", got " + erlang_term(*v);
    if (const json* v = get("ha-sync-batch-size"); v && !at_least(*v, 1))
        return "ha-sync-batch-size takes an integer greater than 0, " + erlang_term(*v) +
               " given";
    for (const char* key : {"ha-promote-on-shutdown", "ha-promote-on-failure"})
        if (const json* v = get(key); v && !one_of(*v, {"always", "when-synced"}))
            return std::string(key) + " must be \"always\" or \"when-synced\", got " +
                   erlang_term(*v);
    return std::nullopt;
}

// rabbit_policy:validation0/2 over the definition's keys (a JSON object: sorted keys).
Problem check_definition(const json& def, PolicyKind kind) {
    if (!def.is_object()) return "{:badmap, " + def.dump() + "}";
    if (def.empty()) return std::string("no policy provided");
    bool op = kind == PolicyKind::OperatorPolicy;
    std::vector<std::string> unrecognised;
    // rabbit_queue_location_validator first.
    if (!op) {
        if (auto it = def.find("queue-master-locator"); it != def.end() &&
                                                        !one_of(*it, {"min-masters",
                                                                      "client-local", "random"}))
            return erlang_term(*it) + " invalid queue-master-locator value";
    }
    for (auto it = def.begin(); it != def.end(); ++it) {
        bool known = op ? listed(kOperatorPolicyKeys, it.key()) : listed(kPolicyKeys, it.key());
        if (known) {
            if (auto bad = check_policies_key(it.key(), it.value())) return bad;
        }
    }
    bool has_ha = false;
    for (auto it = def.begin(); it != def.end(); ++it) {
        bool known = op ? listed(kOperatorPolicyKeys, it.key())
                        : listed(kPolicyKeys, it.key()) || listed(kHaKeys, it.key()) ||
                              it.key() == "queue-master-locator";
        has_ha = has_ha || (!op && listed(kHaKeys, it.key()));
        if (!known) unrecognised.push_back(key_value_pair(it.key(), it.value()));
    }
    if (has_ha)
        if (auto bad = check_ha_keys(def)) return bad;
    if (unrecognised.empty()) return std::nullopt;
    std::string one_line = "[", broken = "[";
    for (size_t i = 0; i < unrecognised.size(); ++i) {
        one_line += (i ? "," : "") + unrecognised[i];
        broken += (i ? ",\n " : "") + unrecognised[i];
    }
    return (one_line.size() + 1 <= kLineWidth ? one_line : broken) +
           "] are not recognised policy settings";
}

// PCRE's compile error, {"text",offset}, for what std::regex refused.
// Where a quantifier has nothing before it (PCRE's "nothing to repeat"), if anywhere.
std::optional<size_t> dangling_quantifier(const std::string& pattern) {
    for (size_t i = 0; i < pattern.size(); ++i) {
        if (pattern[i] == '\\') {
            ++i;
            continue;
        }
        bool quantifier = pattern[i] == '*' || pattern[i] == '+' || pattern[i] == '?';
        bool group_syntax = pattern[i] == '?' && i > 0 && pattern[i - 1] == '(';  // (?:
        if (quantifier && !group_syntax &&
            (i == 0 || pattern[i - 1] == '(' || pattern[i - 1] == '|'))
            return i;
    }
    return std::nullopt;
}

std::string regex_problem(const std::string& pattern, const std::regex_error& e) {
    std::string text = e.what();
    size_t at = pattern.size();
    auto code = e.code();
    if (auto dangling = dangling_quantifier(pattern)) {
        code = std::regex_constants::error_badrepeat;
        at = *dangling;
    }
    switch (code) {
    case std::regex_constants::error_paren: {
        int depth = 0;
        text = "missing )";
        for (size_t i = 0; i < pattern.size(); ++i) {
            if (pattern[i] == '\\') {
                ++i;
            } else if (pattern[i] == '(') {
                ++depth;
            } else if (pattern[i] == ')' && --depth < 0) {
                text = "unmatched parentheses";
                at = i;
                break;
            }
        }
        break;
    }
    case std::regex_constants::error_brack:
        text = "missing terminating ] for character class";
        break;
    case std::regex_constants::error_badrepeat:
        text = "nothing to repeat";
        if (at == pattern.size()) at = 0;
        break;
    case std::regex_constants::error_badbrace:
    case std::regex_constants::error_brace:
        text = "numbers out of order in {} quantifier";
        at = pattern.find('}');
        if (at == std::string::npos) at = pattern.size();
        break;
    case std::regex_constants::error_escape:
        text = "\\ at end of pattern";
        break;
    default: break;
    }
    constexpr std::string_view kPrefix = "pattern should be regular expression but is invalid: ";
    std::string quoted = "\"" + erlang_chars(text) + "\"";
    std::string term = "{" + quoted + "," + std::to_string(at) + "}";
    if (kPrefix.size() + term.size() < kLineWidth) return std::string(kPrefix) + term;
    return std::string(kPrefix) + "{" + quoted + ",\n" + std::string(kPrefix.size() + 1, ' ') +
           std::to_string(at) + "}";
}

}  // namespace

std::string erlang_term(const json& v) {
    if (v.is_null()) return "null";
    if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
    if (v.is_number_unsigned()) return std::to_string(v.get<uint64_t>());
    if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
    if (v.is_number_float()) return erlang_float(v.get<double>());
    if (v.is_string()) return "<<\"" + erlang_chars(v.get_ref<const std::string&>()) + "\">>";
    if (v.is_array()) {
        if (printable_list(v)) {
            std::string s;
            for (const json& c : v) s.push_back(static_cast<char>(c.get<int64_t>()));
            return "\"" + erlang_chars(s) + "\"";
        }
        std::string out = "[";
        for (size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + erlang_term(v[i]);
        return out + "]";
    }
    std::string out = "#{";
    bool first = true;
    for (auto it = v.begin(); it != v.end(); ++it) {
        out += (first ? "" : ",") + std::string("<<\"") + erlang_chars(it.key()) + "\">> => " +
               erlang_term(it.value());
        first = false;
    }
    return out + "}";
}

util::Result<Policy, std::string> make_policy(const PolicyRequest& request, PolicyKind kind) {
    static const json kNull;
    const json& def = request.definition ? *request.definition : kNull;
    Policy p;
    p.name = request.name;
    p.pattern = request.pattern;
    p.priority = request.priority;
    // rabbit_policy:policy_validation/0 checks priority, pattern, apply-to, definition and
    // lists the problems last first.
    std::vector<std::string> problems;
    if (Problem bad = check_definition(def, kind)) problems.push_back(*bad);
    auto target = parse_apply_to(request.apply_to);
    if (!target)
        problems.push_back("apply-to '" + request.apply_to +
                           "' unrecognised; should be 'queues', 'exchanges' or 'all'");
    try {
        p.regex = std::regex(request.pattern, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
        problems.push_back(regex_problem(request.pattern, e));
    }
    if (!problems.empty()) {
        std::string text = "Validation failed\n\n";
        for (const std::string& line : problems) text += line + "\n";
        return text;
    }
    p.apply_to = *target;
    p.definition_json = def.dump();
    p.definition.definition = table_from_json(def);
    return p;
}

}  // namespace warren::broker
