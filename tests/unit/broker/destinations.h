#pragma once

#include "warren/broker/exchange.h"

#include <algorithm>
#include <set>
#include <string_view>
#include <vector>

namespace warren::test {

/// Matchers only store and compare destinations, never follow them, so tests name them
/// by small numbers backed by distinct addresses.
inline broker::Destination dest(int n) {
    static char slots[64];
    return broker::Destination{reinterpret_cast<broker::Queue*>(&slots[n]), nullptr};
}

inline int number_of(const broker::Destination& d) {
    for (int n = 0; n < 64; ++n)
        if (dest(n) == d) return n;
    return -1;
}

inline broker::Binding binding(int n, std::string_view key, amqp::FieldTable args = {}) {
    return broker::Binding{dest(n), std::string(key), std::move(args)};
}

/// The distinct destinations `m` routes `key` (and encoded `headers`) to, by number.
inline std::set<int> routed(const broker::Matcher& m, std::string_view key,
                            std::string_view headers = {}) {
    std::vector<broker::Destination> out;
    m.match(broker::RoutingInput{key, amqp::RawTable{headers}}, out);
    std::set<int> numbers;
    for (const auto& d : out) numbers.insert(number_of(d));
    return numbers;
}

}  // namespace warren::test
