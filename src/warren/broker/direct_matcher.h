#pragma once

#include "warren/broker/exchange.h"

#include <string>
#include <unordered_map>
#include <vector>

namespace warren::broker {

/// Routes to bindings whose key equals the routing key: one hash lookup.
class DirectMatcher : public Matcher {
public:
    void add(const Binding& binding) override {
        by_key_[binding.routing_key].push_back(binding.destination);
    }
    void remove(const Binding& binding) override;
    void match(const RoutingInput& input, std::vector<Destination>& out) const override;

private:
    struct Hash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    std::unordered_map<std::string, std::vector<Destination>, Hash, std::equal_to<>> by_key_;
};

}  // namespace warren::broker
