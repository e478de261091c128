#include "warren/broker/direct_matcher.h"

#include <algorithm>

namespace warren::broker {

void DirectMatcher::remove(const Binding& binding) {
    auto it = by_key_.find(binding.routing_key);
    if (it == by_key_.end()) return;
    auto& dests = it->second;
    auto d = std::find(dests.begin(), dests.end(), binding.destination);
    if (d != dests.end()) dests.erase(d);
    if (dests.empty()) by_key_.erase(it);
}

void DirectMatcher::match(const RoutingInput& input, std::vector<Destination>& out) const {
    auto it = by_key_.find(input.routing_key);
    if (it != by_key_.end()) out.insert(out.end(), it->second.begin(), it->second.end());
}

}  // namespace warren::broker
