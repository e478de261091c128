#include "warren/broker/policy.h"

#include <algorithm>

namespace warren::broker {

std::string_view apply_to_name(PolicyTarget target) {
    switch (target) {
    case PolicyTarget::Queues: return "queues";
    case PolicyTarget::Exchanges: return "exchanges";
    case PolicyTarget::All: return "all";
    }
    return "all";
}

std::optional<PolicyTarget> parse_apply_to(std::string_view text) {
    if (text == "queues") return PolicyTarget::Queues;
    if (text == "exchanges") return PolicyTarget::Exchanges;
    if (text == "all") return PolicyTarget::All;
    return std::nullopt;
}

uint8_t policy_max_priority(const PolicyDefinition& policy) {
    int64_t n = 0;
    if (const amqp::FieldValue* v = policy.definition.find("max-priority"); v && v->as_int(n))
        return static_cast<uint8_t>(std::clamp<int64_t>(n, 0, 255));
    return 0;
}

bool Policy::matches(std::string_view object_name) const {
    return std::regex_search(object_name.begin(), object_name.end(), regex);
}

void PolicySet::put(Policy policy) {
    erase(policy.name);
    auto at = std::upper_bound(policies_.begin(), policies_.end(), policy,
                               [](const Policy& a, const Policy& b) {
                                   if (a.priority != b.priority) return a.priority < b.priority;
                                   return a.name < b.name;
                               });
    policies_.insert(at, std::move(policy));
}

bool PolicySet::erase(std::string_view name) {
    auto it = std::find_if(policies_.begin(), policies_.end(),
                           [&](const Policy& p) { return p.name == name; });
    if (it == policies_.end()) return false;
    policies_.erase(it);
    return true;
}

const Policy* PolicySet::match_queue(std::string_view name) const {
    // Sorted ascending: the last match is the highest priority, last by name among equals.
    for (auto it = policies_.rbegin(); it != policies_.rend(); ++it)
        if (it->applies_to_queues() && it->matches(name)) return &*it;
    return nullptr;
}

const Policy* PolicySet::match_exchange(std::string_view name) const {
    for (auto it = policies_.rbegin(); it != policies_.rend(); ++it)
        if (it->applies_to_exchanges() && it->matches(name)) return &*it;
    return nullptr;
}

}  // namespace warren::broker
