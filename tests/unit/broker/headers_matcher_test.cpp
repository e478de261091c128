#include "warren/broker/headers_matcher.h"

#include "broker/destinations.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace warren::broker {
namespace {

using amqp::FieldTable;
using amqp::FieldValue;
using test::binding;
using test::routed;
using Set = std::set<int>;

bool matches(const FieldTable& args, const FieldTable& headers) {
    return HeadersMatcher::matches(args, headers);
}

TEST(HeadersMatcher, AllIsTheDefaultAndNeedsEveryKey) {
    FieldTable args{{"format", "pdf"}, {"type", "report"}};
    EXPECT_TRUE(matches(args, {{"format", "pdf"}, {"type", "report"}}));
    EXPECT_TRUE(matches(args, {{"type", "report"}, {"format", "pdf"}, {"extra", int32_t{1}}}));
    EXPECT_FALSE(matches(args, {{"format", "pdf"}}));
    EXPECT_FALSE(matches(args, {{"format", "pdf"}, {"type", "log"}}));
    EXPECT_FALSE(matches(args, {}));
}

TEST(HeadersMatcher, ExplicitAllNeedsEveryKey) {
    FieldTable args{{"x-match", "all"}, {"a", "1"}, {"b", "2"}};
    EXPECT_TRUE(matches(args, {{"a", "1"}, {"b", "2"}}));
    EXPECT_FALSE(matches(args, {{"a", "1"}}));
}

TEST(HeadersMatcher, AnyNeedsOneKey) {
    FieldTable args{{"x-match", "any"}, {"a", "1"}, {"b", "2"}};
    EXPECT_TRUE(matches(args, {{"b", "2"}}));
    EXPECT_TRUE(matches(args, {{"a", "1"}, {"b", "wrong"}}));
    EXPECT_FALSE(matches(args, {{"a", "2"}, {"b", "1"}}));
    EXPECT_FALSE(matches(args, {}));
}

TEST(HeadersMatcher, AllWithoutKeysMatchesEverythingAndAnyWithoutKeysNothing) {
    EXPECT_TRUE(matches({}, {}));
    EXPECT_TRUE(matches({{"x-match", "all"}}, {{"a", "1"}}));
    EXPECT_FALSE(matches({{"x-match", "any"}}, {{"a", "1"}}));
}

TEST(HeadersMatcher, XKeysAreIgnoredInAllAndAny) {
    EXPECT_TRUE(matches({{"x-match", "all"}, {"x-trace", "1"}, {"a", "1"}}, {{"a", "1"}}));
    EXPECT_FALSE(matches({{"x-match", "any"}, {"x-trace", "1"}}, {{"x-trace", "1"}}));
    EXPECT_TRUE(matches({{"x-trace", "1"}}, {}));
}

TEST(HeadersMatcher, AllWithXComparesXKeysToo) {
    FieldTable args{{"x-match", "all-with-x"}, {"x-tenant", "t1"}, {"a", "1"}};
    EXPECT_TRUE(matches(args, {{"x-tenant", "t1"}, {"a", "1"}}));
    EXPECT_FALSE(matches(args, {{"a", "1"}}));
    EXPECT_FALSE(matches(args, {{"x-tenant", "t2"}, {"a", "1"}}));
}

TEST(HeadersMatcher, AnyWithXMatchesOnAnXKeyAlone) {
    FieldTable args{{"x-match", "any-with-x"}, {"x-tenant", "t1"}, {"a", "1"}};
    EXPECT_TRUE(matches(args, {{"x-tenant", "t1"}}));
    EXPECT_TRUE(matches(args, {{"a", "1"}}));
    EXPECT_FALSE(matches(args, {{"x-tenant", "t2"}}));
}

TEST(HeadersMatcher, XMatchItselfIsNeverComparedWithHeaders) {
    EXPECT_TRUE(matches({{"x-match", "all-with-x"}, {"a", "1"}}, {{"a", "1"}}));
    EXPECT_FALSE(matches({{"x-match", "any-with-x"}}, {{"x-match", "any-with-x"}}));
}

TEST(HeadersMatcher, VoidValueAsksOnlyForPresence) {
    FieldTable args{{"a", FieldValue()}};
    EXPECT_TRUE(matches(args, {{"a", "anything"}}));
    EXPECT_TRUE(matches(args, {{"a", int64_t{5}}}));
    EXPECT_TRUE(matches(args, {{"a", FieldValue()}}));
    EXPECT_FALSE(matches(args, {{"b", "x"}}));
}

TEST(HeadersMatcher, IntegersMatchAcrossWidthsAndSignedness) {
    EXPECT_TRUE(matches({{"n", int8_t{1}}}, {{"n", int64_t{1}}}));
    EXPECT_TRUE(matches({{"n", uint16_t{300}}}, {{"n", int32_t{300}}}));
    EXPECT_TRUE(matches({{"n", int16_t{-2}}}, {{"n", int64_t{-2}}}));
    EXPECT_TRUE(matches({{"n", uint32_t{7}}}, {{"n", uint8_t{7}}}));
    EXPECT_FALSE(matches({{"n", int8_t{1}}}, {{"n", int64_t{2}}}));
    EXPECT_FALSE(matches({{"n", int8_t{-1}}}, {{"n", uint8_t{255}}}));
}

TEST(HeadersMatcher, FloatsMatchAcrossWidths) {
    EXPECT_TRUE(matches({{"f", 1.5f}}, {{"f", 1.5}}));
    EXPECT_FALSE(matches({{"f", 1.5f}}, {{"f", 2.5}}));
}

TEST(HeadersMatcher, DifferentTypeClassesNeverMatch) {
    EXPECT_FALSE(matches({{"n", "1"}}, {{"n", int32_t{1}}}));
    EXPECT_FALSE(matches({{"n", int32_t{1}}}, {{"n", "1"}}));
    EXPECT_FALSE(matches({{"n", int32_t{1}}}, {{"n", 1.0}}));
    EXPECT_FALSE(matches({{"n", true}}, {{"n", int32_t{1}}}));
    EXPECT_FALSE(matches({{"n", "x"}}, {{"n", amqp::ByteArray{"x"}}}));
}

TEST(HeadersMatcher, OtherTypesCompareByValue) {
    EXPECT_TRUE(matches({{"b", true}}, {{"b", true}}));
    EXPECT_FALSE(matches({{"b", true}}, {{"b", false}}));
    FieldTable nested{{"k", "v"}};
    EXPECT_TRUE(matches({{"t", nested}}, {{"t", nested}}));
}

std::string encode(const FieldTable& t) {
    util::ByteBuffer buf;
    amqp::encode_table_body(t, buf);
    return std::string(reinterpret_cast<const char*>(buf.data()), buf.size());
}

TEST(HeadersMatcher, RoutesOnTheEncodedMessageHeaders) {
    HeadersMatcher m;
    m.add(binding(1, "", {{"x-match", "any"}, {"a", "1"}, {"b", "2"}}));
    m.add(binding(2, "", {{"a", "1"}, {"b", "2"}}));
    EXPECT_EQ(routed(m, "ignored", encode({{"a", "1"}})), (Set{1}));
    EXPECT_EQ(routed(m, "ignored", encode({{"a", "1"}, {"b", "2"}})), (Set{1, 2}));
    EXPECT_EQ(routed(m, "ignored", ""), Set{});
}

TEST(HeadersMatcher, RemoveNeedsTheSameArguments) {
    HeadersMatcher m;
    m.add(binding(1, "", {{"a", "1"}}));
    m.remove(binding(1, "", {{"a", "2"}}));
    EXPECT_EQ(routed(m, "", encode({{"a", "1"}})), (Set{1}));
    m.remove(binding(1, "", {{"a", "1"}}));
    EXPECT_EQ(routed(m, "", encode({{"a", "1"}})), Set{});
}

}  // namespace
}  // namespace warren::broker
