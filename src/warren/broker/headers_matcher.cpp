#include "warren/broker/headers_matcher.h"

#include <algorithm>
#include <variant>

namespace warren::broker {
namespace {

enum class Kind { Int, Float, String, Other };

Kind kind_of(const amqp::FieldValue& v) {
    int64_t i;
    if (v.as_int(i)) return Kind::Int;
    if (v.get_if<float>() || v.get_if<double>()) return Kind::Float;
    if (v.get_if<std::string>()) return Kind::String;
    return Kind::Other;
}

double as_double(const amqp::FieldValue& v) {
    if (auto* f = v.get_if<float>()) return *f;
    return *v.get_if<double>();
}

// RabbitMQ compares values of the same type class (integers with integers, floats with
// floats), so a short 1 in a binding matches a long 1 in a message.
bool values_match(const amqp::FieldValue& pattern, const amqp::FieldValue& value) {
    Kind kp = kind_of(pattern), kv = kind_of(value);
    if (kp != kv) return false;
    switch (kp) {
    case Kind::Int: {
        int64_t a = 0, b = 0;
        pattern.as_int(a);
        value.as_int(b);
        return a == b;
    }
    case Kind::Float: return as_double(pattern) == as_double(value);
    default: return pattern == value;
    }
}

}  // namespace

bool HeadersMatcher::matches(const amqp::FieldTable& arguments, const amqp::FieldTable& headers) {
    std::string mode = "all";
    if (const auto* m = arguments.find("x-match"); m && m->string()) mode = *m->string();
    bool any = mode == "any" || mode == "any-with-x";
    bool with_x = mode == "all-with-x" || mode == "any-with-x";
    for (const auto& [key, pattern] : arguments.entries()) {
        if (key.starts_with("x-") && (!with_x || key == "x-match")) continue;
        const amqp::FieldValue* value = headers.find(key);
        bool ok = value && (std::holds_alternative<std::monostate>(pattern.storage()) ||
                            values_match(pattern, *value));
        if (any && ok) return true;
        if (!any && !ok) return false;
    }
    return !any;  // all: nothing failed; any: nothing matched
}

void HeadersMatcher::add(const Binding& binding) {
    entries_.push_back(Entry{binding.destination, binding.arguments});
}

void HeadersMatcher::remove(const Binding& binding) {
    auto it = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) {
        return e.destination == binding.destination && e.arguments == binding.arguments;
    });
    if (it != entries_.end()) entries_.erase(it);
}

void HeadersMatcher::match(const RoutingInput& input, std::vector<Destination>& out) const {
    if (entries_.empty()) return;
    amqp::FieldTable headers;
    if (!input.headers.empty() && !amqp::decode_table(input.headers.bytes, headers)) return;
    for (const auto& e : entries_)
        if (matches(e.arguments, headers)) out.push_back(e.destination);
}

}  // namespace warren::broker
