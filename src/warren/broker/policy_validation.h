#pragma once

#include "warren/broker/policy.h"
#include "warren/util/result.h"

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <string_view>

namespace warren::broker {

enum class PolicyKind : uint8_t { Policy, OperatorPolicy };

/// What set_policy (or set_operator_policy, or a definitions import) asks for.
struct PolicyRequest {
    std::string name;
    std::string pattern;
    std::string apply_to = "all";
    int64_t priority = 0;
    const nlohmann::json* definition = nullptr;  // the decoded definition JSON
};

/// Validates a policy as RabbitMQ 3.10 does (rabbit_policy:validate/5): pattern, apply-to
/// and definition are each checked and every problem is reported, definition first, as
/// rabbitmqctl prints them after "Error:\n" ("Validation failed\n\n<problems>\n").
/// Definition keys are checked a validator module at a time (queue-master-locator, then
/// rabbit_policies' keys, then the ha-* keys), each module's keys in sorted order, and
/// unknown keys are reported only when the known ones are valid. Operator policies take
/// only expires, message-ttl, max-length, max-length-bytes, max-in-memory-length,
/// max-in-memory-bytes and delivery-limit.
///
/// Warren's extension: "max-priority" (0-255) in policies, applied to queues declared
/// while the policy is in force.
util::Result<Policy, std::string> make_policy(const PolicyRequest& request, PolicyKind kind);

/// How Erlang's ~p prints a value decoded from JSON by RabbitMQ: <<"text">>, 42, 1.5e10,
/// true, null, [1,2], "AB" (a list of printable codes), #{<<"k">> => 1}.
std::string erlang_term(const nlohmann::json& value);

}  // namespace warren::broker
