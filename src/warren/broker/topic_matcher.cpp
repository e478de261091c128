#include "warren/broker/topic_matcher.h"

#include <algorithm>
#include <cstdint>

namespace warren::broker {

std::vector<std::string_view> TopicMatcher::split(std::string_view key) {
    std::vector<std::string_view> words;
    if (key.empty()) return words;  // RabbitMQ: "" has no words, so '*' does not match it
    size_t start = 0;
    for (;;) {
        size_t dot = key.find('.', start);
        if (dot == std::string_view::npos) {
            words.push_back(key.substr(start));
            return words;
        }
        words.push_back(key.substr(start, dot - start));
        start = dot + 1;
    }
}

std::vector<std::string_view> TopicMatcher::split_pattern(std::string_view pattern) {
    // "#.#" matches exactly what "#" does; collapsing runs keeps matching polynomial.
    std::vector<std::string_view> words = split(pattern);
    words.erase(std::unique(words.begin(), words.end(),
                            [](std::string_view a, std::string_view b) {
                                return a == "#" && b == "#";
                            }),
                words.end());
    return words;
}

void TopicMatcher::add(const Binding& binding) {
    Node* node = &root_;
    for (std::string_view w : split_pattern(binding.routing_key)) {
        std::unique_ptr<Node>* next;
        if (w == "*") {
            next = &node->star;
        } else if (w == "#") {
            next = &node->hash;
        } else {
            next = &node->children[std::string(w)];
        }
        if (!*next) *next = std::make_unique<Node>();
        node = next->get();
    }
    node->destinations.push_back(binding.destination);
}

bool TopicMatcher::remove_at(Node& node, const std::vector<std::string_view>& words, size_t i,
                             const Destination& d) {
    if (i == words.size()) {
        auto it = std::find(node.destinations.begin(), node.destinations.end(), d);
        if (it != node.destinations.end()) node.destinations.erase(it);
        return node.empty();
    }
    std::string_view w = words[i];
    if (w == "*" || w == "#") {
        std::unique_ptr<Node>& child = (w == "*") ? node.star : node.hash;
        if (child && remove_at(*child, words, i + 1, d)) child.reset();
    } else {
        auto it = node.children.find(std::string(w));
        if (it != node.children.end() && remove_at(*it->second, words, i + 1, d))
            node.children.erase(it);
    }
    return node.empty();
}

void TopicMatcher::remove(const Binding& binding) {
    remove_at(root_, split_pattern(binding.routing_key), 0, binding.destination);
}

void TopicMatcher::walk(const Node& node, const std::vector<std::string_view>& words, size_t i,
                        std::vector<Destination>& out, Visited& visited) const {
    if (node.hash) {
        // Each ('#' node, word position) is explored once: without this, k '#'s over n
        // words would try every way of spreading the words across them.
        for (size_t j = i; j <= words.size(); ++j) {
            uint64_t key = (reinterpret_cast<uintptr_t>(node.hash.get()) << 10) ^ j;
            if (visited.insert(key).second) walk(*node.hash, words, j, out, visited);
        }
    }
    if (i == words.size()) {
        out.insert(out.end(), node.destinations.begin(), node.destinations.end());
        return;
    }
    if (!node.children.empty()) {
        auto it = node.children.find(std::string(words[i]));
        if (it != node.children.end()) walk(*it->second, words, i + 1, out, visited);
    }
    if (node.star) walk(*node.star, words, i + 1, out, visited);
}

void TopicMatcher::match(const RoutingInput& input, std::vector<Destination>& out) const {
    Visited visited;
    walk(root_, split(input.routing_key), 0, out, visited);
}

}  // namespace warren::broker
