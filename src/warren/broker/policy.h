#pragma once

#include "warren/broker/queue_settings.h"

#include <cstdint>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace warren::broker {

/// A policy's apply-to: what kind of object its pattern is matched against.
enum class PolicyTarget : uint8_t { Queues, Exchanges, All };

std::string_view apply_to_name(PolicyTarget target);
/// "queues", "exchanges" or "all" (RabbitMQ 3.10 knows no others).
std::optional<PolicyTarget> parse_apply_to(std::string_view text);

/// One policy or operator policy of a vhost, validated (see policy_validation.h).
struct Policy {
    std::string name;
    std::string pattern;
    PolicyTarget apply_to = PolicyTarget::All;
    int64_t priority = 0;
    /// The definition as list_policies prints it: compact JSON, keys sorted.
    std::string definition_json;
    /// The same definition as a field table, for `effective` and the exchange's keys.
    PolicyDefinition definition;
    std::regex regex;

    bool applies_to_queues() const { return apply_to != PolicyTarget::Exchanges; }
    bool applies_to_exchanges() const { return apply_to != PolicyTarget::Queues; }
    /// Unanchored search, as RabbitMQ's re:run.
    bool matches(std::string_view object_name) const;
};

/// Warren's extension "max-priority": the priority a queue declared under `policy` gets
/// when its arguments set none (0: none).
uint8_t policy_max_priority(const PolicyDefinition& policy);

/// The policies (or the operator policies) of one vhost, in list_policies order: by
/// priority, then by name.
class PolicySet {
public:
    /// Adds a policy or replaces the one of the same name.
    void put(Policy policy);
    /// False if there was no policy of that name.
    bool erase(std::string_view name);
    const std::vector<Policy>& all() const { return policies_; }
    bool empty() const { return policies_.empty(); }

    /// The policy in force for a queue (or exchange) called `name`, or null: the matching
    /// one of highest priority. Among equals RabbitMQ takes one in storage order (the one
    /// its list_policies shows last); Warren takes the one listed last too, by name.
    const Policy* match_queue(std::string_view name) const;
    const Policy* match_exchange(std::string_view name) const;

private:
    std::vector<Policy> policies_;
};

}  // namespace warren::broker
