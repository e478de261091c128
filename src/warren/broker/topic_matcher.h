#pragma once

#include "warren/broker/exchange.h"

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace warren::broker {

/// Routes by dotted patterns ('*' one word, '#' zero or more) with a trie over pattern
/// words, so routing cost follows the key's length, not the number of bindings.
class TopicMatcher : public Matcher {
public:
    void add(const Binding& binding) override;
    void remove(const Binding& binding) override;
    void match(const RoutingInput& input, std::vector<Destination>& out) const override;

    /// Splits on '.', keeping empty words ("a..b" has three; "" has none), as RabbitMQ does.
    static std::vector<std::string_view> split(std::string_view key);
    /// A binding pattern's words, with runs of '#' collapsed into one.
    static std::vector<std::string_view> split_pattern(std::string_view pattern);

private:
    struct Node {
        std::unordered_map<std::string, std::unique_ptr<Node>> children;
        std::unique_ptr<Node> star;
        std::unique_ptr<Node> hash;
        std::vector<Destination> destinations;
        bool empty() const {
            return children.empty() && !star && !hash && destinations.empty();
        }
    };
    using Visited = std::unordered_set<uint64_t>;
    void walk(const Node& node, const std::vector<std::string_view>& words, size_t i,
              std::vector<Destination>& out, Visited& visited) const;
    static bool remove_at(Node& node, const std::vector<std::string_view>& words, size_t i,
                          const Destination& d);

    Node root_;
};

}  // namespace warren::broker
