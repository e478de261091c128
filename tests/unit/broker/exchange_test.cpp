#include "warren/broker/exchange.h"

#include "broker/destinations.h"

#include <gtest/gtest.h>

#include <set>

namespace warren::broker {
namespace {

using test::binding;
using test::dest;
using Set = std::set<int>;

ExchangeRef make(const std::string& type) {
    return ExchangeRef::make("/", ExchangeSpec{"x", type, false, false, false, {}},
                             make_matcher(type));
}

Set routed(const Exchange& ex, std::string_view key) {
    std::vector<Destination> out;
    ex.route(RoutingInput{key, {}}, out);
    Set numbers;
    for (const auto& d : out) numbers.insert(test::number_of(d));
    return numbers;
}

TEST(MakeMatcher, KnowsTheFourTypesOnly) {
    for (const char* type : {"direct", "fanout", "topic", "headers"})
        EXPECT_NE(make_matcher(type), nullptr) << type;
    EXPECT_EQ(make_matcher("x-consistent-hash"), nullptr);
    EXPECT_EQ(make_matcher(""), nullptr);
    EXPECT_EQ(make_matcher("Direct"), nullptr);
}

TEST(DirectExchange, RoutesOnExactKey) {
    ExchangeRef ex = make("direct");
    ex->bind(binding(1, "info"));
    ex->bind(binding(2, "info"));
    ex->bind(binding(3, "error"));
    EXPECT_EQ(routed(*ex, "info"), (Set{1, 2}));
    EXPECT_EQ(routed(*ex, "error"), (Set{3}));
    EXPECT_EQ(routed(*ex, "warn"), Set{});
    EXPECT_EQ(routed(*ex, "info.x"), Set{});
}

TEST(DirectExchange, EmptyKeyIsAnOrdinaryKey) {
    ExchangeRef ex = make("direct");
    ex->bind(binding(1, ""));
    EXPECT_EQ(routed(*ex, ""), (Set{1}));
    EXPECT_EQ(routed(*ex, "a"), Set{});
}

TEST(DirectExchange, UnbindStopsRoutingThatBindingOnly) {
    ExchangeRef ex = make("direct");
    ex->bind(binding(1, "k"));
    ex->bind(binding(2, "k"));
    EXPECT_TRUE(ex->unbind(binding(1, "k")));
    EXPECT_EQ(routed(*ex, "k"), (Set{2}));
    EXPECT_TRUE(ex->unbind(binding(2, "k")));
    EXPECT_EQ(routed(*ex, "k"), Set{});
    EXPECT_FALSE(ex->unbind(binding(2, "k")));
}

TEST(FanoutExchange, RoutesEveryKeyToEveryBinding) {
    ExchangeRef ex = make("fanout");
    ex->bind(binding(1, ""));
    ex->bind(binding(2, "ignored"));
    EXPECT_EQ(routed(*ex, "anything"), (Set{1, 2}));
    EXPECT_EQ(routed(*ex, ""), (Set{1, 2}));
    ex->unbind(binding(2, "ignored"));
    EXPECT_EQ(routed(*ex, "x"), (Set{1}));
}

TEST(Exchange, BindingTheSameTwiceIsIdempotent) {
    ExchangeRef ex = make("direct");
    EXPECT_TRUE(ex->bind(binding(1, "k")));
    EXPECT_FALSE(ex->bind(binding(1, "k")));
    EXPECT_EQ(ex->bindings().size(), 1u);
    ex->unbind(binding(1, "k"));
    EXPECT_EQ(routed(*ex, "k"), Set{});
}

TEST(Exchange, BindingsDifferingInArgumentsAreDistinct) {
    ExchangeRef ex = make("direct");
    EXPECT_TRUE(ex->bind(binding(1, "k", {{"a", "1"}})));
    EXPECT_TRUE(ex->bind(binding(1, "k", {{"a", "2"}})));
    EXPECT_EQ(ex->bindings().size(), 2u);
    EXPECT_FALSE(ex->unbind(binding(1, "k")));
    EXPECT_TRUE(ex->unbind(binding(1, "k", {{"a", "1"}})));
    EXPECT_EQ(routed(*ex, "k"), (Set{1}));
}

TEST(Exchange, UnbindAllRemovesEveryBindingToADestination) {
    for (const char* type : {"direct", "fanout", "topic", "headers"}) {
        ExchangeRef ex = make(type);
        ex->bind(binding(1, "a"));
        ex->bind(binding(1, "b"));
        ex->bind(binding(2, "a"));
        EXPECT_EQ(ex->unbind_all(dest(1)), 2u) << type;
        ASSERT_EQ(ex->bindings().size(), 1u) << type;
        EXPECT_EQ(ex->bindings()[0].destination, dest(2)) << type;
        EXPECT_EQ(routed(*ex, "b").count(1), 0u) << type;
    }
}

TEST(Exchange, KeepsItsSpec) {
    ExchangeRef ex = ExchangeRef::make("vh", ExchangeSpec{"logs", "topic", true, true, true, {}},
                                       make_matcher("topic"));
    EXPECT_EQ(ex->name(), "logs");
    EXPECT_EQ(ex->type(), "topic");
    EXPECT_EQ(ex->vhost(), "vh");
    EXPECT_TRUE(ex->is_durable());
    EXPECT_TRUE(ex->is_auto_delete());
    EXPECT_TRUE(ex->is_internal());
}

}  // namespace
}  // namespace warren::broker
