#include "warren/broker/queue_settings.h"

#include "warren/broker/errors.h"
#include "warren/broker/queue_spec.h"

#include <fmt/format.h>

#include <algorithm>

namespace warren::broker {
namespace {

// rabbit_misc:check_expiry/1: ten years in milliseconds.
constexpr int64_t kMaxExpiryMs = 315360000000;
constexpr int64_t kMaxPriority = 255;

// Arguments RabbitMQ 3.10 knows for other queue types only, refused on classic queues
// ("... of queue type rabbit_classic_queue") once the common checks passed.
constexpr std::string_view kNotForClassic[] = {
    "x-max-in-memory-length", "x-max-in-memory-bytes", "x-quorum-initial-group-size",
    "x-max-age", "x-stream-max-segment-size-bytes", "x-initial-cluster-size",
    "x-queue-leader-locator", "x-delivery-limit", "x-dead-letter-strategy"};

using Check = std::optional<std::string>;  // the Erlang term RabbitMQ prints, if invalid

Check unacceptable(const amqp::FieldValue& v) {
    return fmt::format("{{unacceptable_type,{}}}", amqp_type_name(v));
}

// rabbit_amqqueue:check_int_arg/2 then a value check.
Check integer(const amqp::FieldValue& v, int64_t& out) {
    if (!v.as_int(out)) return fmt::format("\"expected integer, got {}\"", amqp_type_name(v));
    return std::nullopt;
}

Check non_negative(const amqp::FieldValue& v) {
    int64_t n = 0;
    if (auto bad = integer(v, n)) return bad;
    if (n < 0) return fmt::format("{{value_negative,{}}}", n);
    return std::nullopt;
}

Check expiry(int64_t n) {
    if (n < 0) return fmt::format("{{value_negative,{}}}", n);
    if (n > kMaxExpiryMs) return fmt::format("{{value_too_large,{}}}", n);
    return std::nullopt;
}

Check check_expires(const amqp::FieldValue& v) {
    int64_t n = 0;
    if (auto bad = integer(v, n)) return bad;
    if (n == 0) return std::string("{value_zero,0}");
    return expiry(n);
}

Check check_message_ttl(const amqp::FieldValue& v) {
    int64_t n = 0;
    if (auto bad = integer(v, n)) return bad;
    return expiry(n);
}

Check check_longstr(const amqp::FieldValue& v) {
    if (!v.string()) return unacceptable(v);
    return std::nullopt;
}

Check check_max_priority(const amqp::FieldValue& v) {
    if (auto bad = non_negative(v)) return bad;
    int64_t n = 0;
    v.as_int(n);
    if (n > kMaxPriority) return fmt::format("{{max_value_exceeded,{}}}", n);
    return std::nullopt;
}

Check check_overflow(const amqp::FieldValue& v) {
    const std::string* s = v.string();
    if (!s) return unacceptable(v);
    if (*s == "drop-head" || *s == "reject-publish" || *s == "reject-publish-dlx")
        return std::nullopt;
    return std::string("invalid_overflow");
}

Check check_queue_mode(const amqp::FieldValue& v) {
    const std::string* s = v.string();
    if (!s) return unacceptable(v);
    if (*s == "default" || *s == "lazy") return std::nullopt;
    return fmt::format("\"unsupported queue mode '{}'\"", *s);
}

Check check_bool(const amqp::FieldValue& v) {
    if (!v.get_if<bool>()) return unacceptable(v);
    return std::nullopt;
}

Check check_queue_type(const amqp::FieldValue& v) {
    const std::string* s = v.string();
    if (!s) return unacceptable(v);
    if (*s == "classic" || *s == "quorum" || *s == "stream") return std::nullopt;
    return fmt::format("\"unsupported queue type '{}'\"", *s);
}

std::optional<int64_t> int_of(const amqp::FieldTable& t, std::string_view key) {
    int64_t n = 0;
    if (const amqp::FieldValue* v = t.find(key); v && v->as_int(n)) return n;
    return std::nullopt;
}

std::optional<std::string> string_of(const amqp::FieldTable& t, std::string_view key) {
    if (const amqp::FieldValue* v = t.find(key))
        if (const std::string* s = v->string()) return *s;
    return std::nullopt;
}

std::optional<Overflow> overflow_of(const std::optional<std::string>& s) {
    if (!s) return std::nullopt;
    if (*s == "drop-head") return Overflow::DropHead;
    if (*s == "reject-publish") return Overflow::RejectPublish;
    if (*s == "reject-publish-dlx") return Overflow::RejectPublishDlx;
    return std::nullopt;
}

// One numeric key under policy, operator policy and argument (see `effective`).
int64_t lowest_wins(const amqp::FieldTable& args, std::string_view arg_key,
                    const PolicyDefinition* policy, const PolicyDefinition* op,
                    std::string_view policy_key, bool non_negative_only) {
    std::optional<int64_t> from_policy = policy ? int_of(policy->definition, policy_key)
                                                : std::nullopt;
    if (auto o = op ? int_of(op->definition, policy_key) : std::nullopt)
        from_policy = from_policy ? std::min(*from_policy, *o) : *o;
    std::optional<int64_t> from_arg = int_of(args, arg_key);
    if (from_arg && non_negative_only && *from_arg < 0) from_arg.reset();
    if (from_policy && from_arg) return std::min(*from_policy, *from_arg);
    if (from_arg) return *from_arg;
    if (from_policy) return *from_policy;
    return -1;
}

std::optional<std::string> argument_wins(const amqp::FieldTable& args, std::string_view arg_key,
                                         const PolicyDefinition* policy,
                                         std::string_view policy_key) {
    if (auto a = string_of(args, arg_key)) return a;
    if (policy) return string_of(policy->definition, policy_key);
    return std::nullopt;
}

}  // namespace

std::string_view amqp_type_name(const amqp::FieldValue& v) {
    switch (v.tag()) {
    case 't': return "bool";
    case 'b': return "byte";
    case 'B': return "unsignedbyte";
    case 's': return "short";
    case 'u': return "unsignedshort";
    case 'I': return "signedint";
    case 'i': return "unsignedint";
    case 'l': return "long";
    case 'f': return "float";
    case 'd': return "double";
    case 'D': return "decimal";
    case 'S': return "longstr";
    case 'x': return "binary";
    case 'F': return "table";
    case 'A': return "array";
    case 'T': return "timestamp";
    default: return "void";
    }
}

amqp::Result<QueueSettings> validate_queue_arguments(const QueueSpec& spec, std::string_view vhost,
                                                     std::string_view node) {
    const amqp::FieldTable& args = spec.arguments;
    // The channel checks the dead-letter exchange's type before rabbit_amqqueue sees it.
    if (const amqp::FieldValue* dlx = args.find("x-dead-letter-exchange"); dlx && !dlx->string())
        return errors::invalid_dlx_type(amqp_type_name(*dlx), spec.name, vhost);
    struct Validator {
        std::string_view key;
        Check (*check)(const amqp::FieldValue&);
    };
    static constexpr Validator kValidators[] = {
        {"x-queue-type", check_queue_type},
        {"x-expires", check_expires},
        {"x-message-ttl", check_message_ttl},
        {"x-dead-letter-exchange", check_longstr},
        {"x-dead-letter-routing-key", check_longstr},
        {"x-max-length", non_negative},
        {"x-max-length-bytes", non_negative},
        {"x-max-priority", check_max_priority},
        {"x-overflow", check_overflow},
        {"x-queue-mode", check_queue_mode},
        {"x-single-active-consumer", check_bool},
    };
    for (const Validator& v : kValidators) {
        const amqp::FieldValue* value = args.find(v.key);
        if (!value) continue;
        Check bad = v.check(*value);
        if (!bad && v.key == "x-dead-letter-routing-key" && !args.find("x-dead-letter-exchange"))
            bad = "routing_key_but_no_dlx_defined";
        if (bad) return errors::invalid_arg(v.key, spec.name, vhost, *bad);
    }
    QueueSettings s = effective(args, nullptr, nullptr);
    if (s.type == QueueType::Stream) return errors::queue_type_disabled(spec.name, vhost, node);
    if (s.type == QueueType::Classic) {
        for (std::string_view key : kNotForClassic)
            if (args.find(key)) return errors::invalid_arg_for_type(key, spec.name, vhost);
    }
    return s;
}

QueueSettings effective(const amqp::FieldTable& args, const PolicyDefinition* policy,
                        const PolicyDefinition* operator_policy) {
    QueueSettings s;
    s.message_ttl_ms = lowest_wins(args, "x-message-ttl", policy, operator_policy,
                                   "message-ttl", true);
    s.expires_ms = lowest_wins(args, "x-expires", policy, operator_policy, "expires", true);
    if (s.expires_ms == 0) s.expires_ms = -1;
    s.max_length = lowest_wins(args, "x-max-length", policy, operator_policy, "max-length", true);
    s.max_length_bytes = lowest_wins(args, "x-max-length-bytes", policy, operator_policy,
                                     "max-length-bytes", true);
    s.delivery_limit = lowest_wins(args, "x-delivery-limit", policy, operator_policy,
                                   "delivery-limit", true);
    if (auto o = overflow_of(argument_wins(args, "x-overflow", policy, "overflow")))
        s.overflow = *o;
    s.dead_letter_exchange =
        argument_wins(args, "x-dead-letter-exchange", policy, "dead-letter-exchange");
    if (s.dead_letter_exchange)
        s.dead_letter_routing_key =
            argument_wins(args, "x-dead-letter-routing-key", policy, "dead-letter-routing-key");
    if (auto p = int_of(args, "x-max-priority"); p && *p > 0)
        s.max_priority = static_cast<uint8_t>(std::min<int64_t>(*p, kMaxPriority));
    if (const amqp::FieldValue* v = args.find("x-single-active-consumer"))
        if (const bool* b = v->get_if<bool>()) s.single_active_consumer = *b;
    if (auto t = string_of(args, "x-queue-type")) {
        if (*t == "quorum") s.type = QueueType::Quorum;
        if (*t == "stream") s.type = QueueType::Stream;
    }
    return s;
}

}  // namespace warren::broker
