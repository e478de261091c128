#pragma once

#include "warren/broker/exchange.h"

#include <algorithm>
#include <vector>

namespace warren::broker {

/// Routes to every binding, whatever the key.
class FanoutMatcher : public Matcher {
public:
    void add(const Binding& binding) override { dests_.push_back(binding.destination); }
    void remove(const Binding& binding) override {
        auto it = std::find(dests_.begin(), dests_.end(), binding.destination);
        if (it != dests_.end()) dests_.erase(it);
    }
    void match(const RoutingInput&, std::vector<Destination>& out) const override {
        out.insert(out.end(), dests_.begin(), dests_.end());
    }

private:
    std::vector<Destination> dests_;
};

}  // namespace warren::broker
