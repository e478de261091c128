// Builds a TopicMatcher from bindings in the input and routes keys through it, comparing
// every answer with a plain reference implementation of RabbitMQ's topic semantics.
//
// Input: lines separated by '\n'. Up to the first empty line, line i binds a pattern to
// destination (i / 2) % 8: "+pattern" or "pattern" adds a binding ("+" alone binds the
// empty pattern), "!pattern" removes one. A line and the next share a destination, so
// "p" then "!p" undoes a binding.
// Every line after the empty line is a routing key.
#include "warren/broker/topic_matcher.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using namespace warren::broker;

// rabbit_db_topic_exchange:split_topic_key/1: "" is no words at all, otherwise split on
// every '.', keeping empty words.
std::vector<std::string_view> rabbit_words(std::string_view key) {
    std::vector<std::string_view> words;
    if (key.empty()) return words;
    size_t start = 0;
    for (;;) {
        size_t dot = key.find('.', start);
        words.push_back(key.substr(start, dot == std::string_view::npos ? dot : dot - start));
        if (dot == std::string_view::npos) return words;
        start = dot + 1;
    }
}

// '*' is exactly one word, '#' zero or more; by dynamic programming over (pattern word,
// key word) so the reference stays polynomial whatever the input.
bool reference_match(std::string_view pattern, std::string_view key) {
    auto p = rabbit_words(pattern);
    auto k = rabbit_words(key);
    // ok[i][j]: p[i..] matches k[j..]
    std::vector<std::vector<char>> ok(p.size() + 1, std::vector<char>(k.size() + 1, 0));
    ok[p.size()][k.size()] = 1;
    for (size_t i = p.size(); i-- > 0;) {
        for (size_t j = k.size() + 1; j-- > 0;) {
            if (p[i] == "#") {
                ok[i][j] = ok[i + 1][j] || (j < k.size() && ok[i][j + 1]);
            } else if (j < k.size() && (p[i] == "*" || p[i] == k[j])) {
                ok[i][j] = ok[i + 1][j + 1];
            }
        }
    }
    return ok[0][0];
}

Destination dest(size_t n) {
    static char slots[8];
    return Destination{reinterpret_cast<Queue*>(&slots[n % 8]), nullptr};
}

// Bounds that keep each input fast; routing itself is polynomial (runs of '#' collapse and
// each ('#' node, word) pair is walked once), covered by a unit test with many '#'s.
constexpr size_t kMaxWords = 24;
constexpr size_t kMaxHashes = 4;

size_t count_words(std::string_view s, std::string_view word) {
    size_t n = 0;
    for (auto w : TopicMatcher::split(s)) n += (w == word);
    return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    std::vector<std::string_view> lines;
    for (size_t start = 0; start <= input.size();) {
        size_t nl = input.find('\n', start);
        if (nl == std::string_view::npos) nl = input.size();
        lines.push_back(input.substr(start, nl - start));
        start = nl + 1;
    }

    TopicMatcher matcher;
    std::vector<std::pair<std::string, size_t>> bindings;  // the reference's state
    size_t i = 0;
    for (; i < lines.size() && !lines[i].empty(); ++i) {
        bool remove = lines[i].front() == '!';
        bool prefixed = remove || lines[i].front() == '+';
        std::string pattern(prefixed ? lines[i].substr(1) : lines[i]);
        if (TopicMatcher::split(pattern).size() > kMaxWords) continue;
        if (count_words(pattern, "#") > kMaxHashes) continue;
        size_t n = (i / 2) % 8;
        Binding b{dest(n), pattern, {}};
        if (remove) {
            // As Exchange::unbind does: only bindings that exist are removed from a matcher
            // ('#' and '#.#' share a trie node, so removing a missing one would take the other).
            auto it = std::find(bindings.begin(), bindings.end(), std::make_pair(pattern, n));
            if (it != bindings.end()) {
                matcher.remove(b);
                bindings.erase(it);
            }
        } else {
            matcher.add(b);
            bindings.emplace_back(pattern, n);
        }
    }
    for (++i; i < lines.size(); ++i) {
        std::string_view key = lines[i];
        if (TopicMatcher::split(key).size() > kMaxWords) continue;
        std::vector<Destination> out;
        matcher.match(RoutingInput{key, {}}, out);
        std::set<Queue*> got;
        for (const auto& d : out) got.insert(d.queue);
        std::set<Queue*> want;
        for (const auto& [pattern, n] : bindings)
            if (reference_match(pattern, key)) want.insert(dest(n).queue);
        if (got != want) {
            std::fprintf(stderr, "topic_fuzz: key '%.*s' routed to %zu destinations, "
                                 "reference says %zu\n",
                         static_cast<int>(key.size()), key.data(), got.size(), want.size());
            for (const auto& [pattern, n] : bindings)
                std::fprintf(stderr, "  binding '%s' -> %zu: reference %s\n", pattern.c_str(),
                             n, reference_match(pattern, key) ? "matches" : "does not match");
            std::abort();
        }
    }
    return 0;
}
