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

Check check_dead_letter_strategy(const amqp::FieldValue& v) {
    const std::string* s = v.string();
    if (!s) return unacceptable(v);
    if (*s == "at-most-once" || *s == "at-least-once") return std::nullopt;
    return std::string("invalid_dlx_strategy");
}

// check_initial_cluster_size_arg/2: a positive integer.
Check check_group_size(const amqp::FieldValue& v) {
    if (auto bad = non_negative(v)) return bad;
    int64_t n = 0;
    v.as_int(n);
    if (n == 0) return std::string("{value_zero,0}");
    return std::nullopt;
}

Check check_leader_locator(const amqp::FieldValue& v) {
    const std::string* s = v.string();
    if (!s) return unacceptable(v);
    if (*s == "client-local" || *s == "balanced" || *s == "random" || *s == "least-leaders")
        return std::nullopt;
    return std::string("invalid_queue_locator_arg");
}

Check check_queue_version(const amqp::FieldValue& v) {
    if (auto bad = non_negative(v)) return bad;
    int64_t n = 0;
    v.as_int(n);
    if (n == 1 || n == 2) return std::nullopt;
    return fmt::format("\"unsupported queue version '{}'\"", n);
}

struct Validator {
    std::string_view key;
    Check (*check)(const amqp::FieldValue&);
};

// rabbit_amqqueue:declare_args/0 in 3.10.8, in its order. A queue type validates only the
// arguments it supports, so the stream-only ones (x-max-age, ...) never get here.
constexpr Validator kValidators[] = {
    {"x-expires", check_expires},
    {"x-message-ttl", check_message_ttl},
    {"x-dead-letter-exchange", check_longstr},
    {"x-dead-letter-routing-key", check_longstr},
    {"x-dead-letter-strategy", check_dead_letter_strategy},
    {"x-max-length", non_negative},
    {"x-max-length-bytes", non_negative},
    {"x-max-in-memory-length", non_negative},
    {"x-max-in-memory-bytes", non_negative},
    {"x-max-priority", check_max_priority},
    {"x-overflow", check_overflow},
    {"x-queue-mode", check_queue_mode},
    {"x-queue-version", check_queue_version},
    {"x-single-active-consumer", check_bool},
    {"x-queue-type", check_queue_type},
    {"x-quorum-initial-group-size", check_group_size},
    {"x-queue-leader-locator", check_leader_locator},
};

// Each queue type's capabilities(): the arguments it takes (rabbit_classic_queue,
// rabbit_quorum_queue, rabbit_stream_queue in 3.10.8). An argument another type takes is
// refused ("... of queue type ..."); one no type knows is ignored.
constexpr std::string_view kClassicArguments[] = {
    "x-expires", "x-message-ttl", "x-dead-letter-exchange", "x-dead-letter-routing-key",
    "x-max-length", "x-max-length-bytes", "x-max-priority", "x-overflow", "x-queue-mode",
    "x-queue-version", "x-single-active-consumer", "x-queue-type", "x-queue-master-locator"};
constexpr std::string_view kQuorumArguments[] = {
    "x-dead-letter-exchange", "x-dead-letter-routing-key", "x-dead-letter-strategy",
    "x-expires", "x-max-length", "x-max-length-bytes", "x-max-in-memory-length",
    "x-max-in-memory-bytes", "x-overflow", "x-single-active-consumer", "x-queue-type",
    "x-quorum-initial-group-size", "x-delivery-limit", "x-message-ttl",
    "x-queue-leader-locator"};
constexpr std::string_view kStreamArguments[] = {
    "x-max-length-bytes", "x-queue-type", "x-max-age", "x-stream-max-segment-size-bytes",
    "x-initial-cluster-size", "x-queue-leader-locator"};

template <size_t N>
bool contains(const std::string_view (&list)[N], std::string_view key) {
    return std::find(std::begin(list), std::end(list), key) != std::end(list);
}

bool takes_argument(QueueType type, std::string_view key) {
    switch (type) {
    case QueueType::Classic: return contains(kClassicArguments, key);
    case QueueType::Quorum: return contains(kQuorumArguments, key);
    case QueueType::Stream: return contains(kStreamArguments, key);
    }
    return false;
}

bool any_type_takes(std::string_view key) {
    return contains(kClassicArguments, key) || contains(kQuorumArguments, key) ||
           contains(kStreamArguments, key);
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

std::string_view queue_type_name(QueueType type) {
    switch (type) {
    case QueueType::Classic: return "rabbit_classic_queue";
    case QueueType::Quorum: return "rabbit_quorum_queue";
    case QueueType::Stream: return "rabbit_stream_queue";
    }
    return "rabbit_classic_queue";
}

QueueType queue_type_of(const amqp::FieldTable& args) {
    const amqp::FieldValue* v = args.find("x-queue-type");
    const std::string* s = v ? v->string() : nullptr;
    if (s && *s == "quorum") return QueueType::Quorum;
    if (s && *s == "stream") return QueueType::Stream;
    return QueueType::Classic;
}

std::span<const std::string_view> queue_type_arguments(QueueType type) {
    switch (type) {
    case QueueType::Classic: return kClassicArguments;
    case QueueType::Quorum: return kQuorumArguments;
    case QueueType::Stream: return kStreamArguments;
    }
    return kClassicArguments;
}

amqp::Result<QueueSettings> validate_queue_arguments(const QueueSpec& spec, std::string_view vhost,
                                                     std::string_view node) {
    const amqp::FieldTable& args = spec.arguments;
    // The channel checks the dead-letter exchange's type before rabbit_amqqueue sees it.
    if (const amqp::FieldValue* dlx = args.find("x-dead-letter-exchange"); dlx && !dlx->string())
        return errors::invalid_dlx_type(amqp_type_name(*dlx), spec.name, vhost);
    // rabbit_amqqueue:check_declare_arguments/2: the type first, then the values of the
    // arguments that type takes, then (in table order) arguments only other types take.
    if (const amqp::FieldValue* t = args.find("x-queue-type"))
        if (Check bad = check_queue_type(*t))
            return errors::invalid_arg("x-queue-type", spec.name, vhost, *bad);
    QueueType type = queue_type_of(args);
    for (const Validator& v : kValidators) {
        const amqp::FieldValue* value = args.find(v.key);
        if (!value || !takes_argument(type, v.key)) continue;
        Check bad = v.check(*value);
        if (!bad && v.key == "x-dead-letter-routing-key" && !args.find("x-dead-letter-exchange"))
            bad = "routing_key_but_no_dlx_defined";
        if (bad) return errors::invalid_arg(v.key, spec.name, vhost, *bad);
    }
    for (const auto& [key, value] : args.entries())
        if (!takes_argument(type, key) && any_type_takes(key))
            return errors::invalid_arg_for_type(key, spec.name, vhost, queue_type_name(type));
    if (type == QueueType::Stream) return errors::queue_type_disabled(spec.name, vhost, node);
    if (type == QueueType::Quorum) {
        // rabbit_quorum_queue:declare/2's checks, in its order.
        if (spec.auto_delete) return errors::invalid_queue_property("auto-delete", spec.name, vhost);
        if (spec.exclusive)
            return errors::invalid_queue_property("exclusive-owner", spec.name, vhost);
        if (!spec.durable) return errors::invalid_queue_property("non-durable", spec.name, vhost);
    }
    return effective(args, nullptr, nullptr);
}

amqp::Result<> validate_consumer_arguments(QueueType type, const amqp::FieldTable& args,
                                           std::string_view queue, std::string_view vhost) {
    // consumer_arguments of each type's capabilities() in 3.10.8.
    static constexpr std::string_view kClassic[] = {"x-cancel-on-ha-failover", "x-priority",
                                                    "x-credit"};
    static constexpr std::string_view kQuorum[] = {"x-priority", "x-credit"};
    static constexpr std::string_view kStream[] = {"x-stream-offset", "x-credit"};
    auto takes = [&](std::string_view key) {
        switch (type) {
        case QueueType::Classic: return contains(kClassic, key);
        case QueueType::Quorum: return contains(kQuorum, key);
        case QueueType::Stream: return contains(kStream, key);
        }
        return false;
    };
    static constexpr Validator kConsumeValidators[] = {
        {"x-priority", [](const amqp::FieldValue& v) -> Check {
             int64_t n = 0;
             return integer(v, n);
         }},
        {"x-cancel-on-ha-failover", check_bool},
    };
    for (const Validator& v : kConsumeValidators) {
        const amqp::FieldValue* value = args.find(v.key);
        if (!value || !takes(v.key)) continue;
        if (Check bad = v.check(*value)) return errors::invalid_arg(v.key, queue, vhost, *bad);
    }
    for (const auto& [key, value] : args.entries()) {
        bool known = contains(kClassic, key) || contains(kQuorum, key) || contains(kStream, key);
        if (known && !takes(key))
            return errors::invalid_arg_for_type(key, queue, vhost, queue_type_name(type));
    }
    return {};
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
    // RabbitMQ takes any integer: a negative limit, like 0, dead-letters on the first return.
    if (auto d = int_of(args, "x-delivery-limit"); d && *d < 0) s.delivery_limit = 0;
    s.consumer_timeout_ms = lowest_wins(args, "x-consumer-timeout", policy, nullptr,
                                        "consumer-timeout", true);
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
    s.type = queue_type_of(args);
    return s;
}

}  // namespace warren::broker
