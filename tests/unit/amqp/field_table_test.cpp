#include "warren/amqp/field_table.h"

#include "amqp/bytes.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace warren::amqp {
namespace {

using test::bytes;
using test::hex;
using test::view;

std::string encode(const FieldTable& t) {
    util::ByteBuffer buf;
    encode_table_body(t, buf);
    return std::string(view(buf));
}

std::string be32(size_t n) {
    return bytes({static_cast<int>((n >> 24) & 0xff), static_cast<int>((n >> 16) & 0xff),
                  static_cast<int>((n >> 8) & 0xff), static_cast<int>(n & 0xff)});
}

struct ValueCase {
    const char* what;
    FieldValue value;
    char tag;
    std::string wire;  // tag and value, as rabbit_binary_generator writes them
};

std::vector<ValueCase> every_type() {
    return {
        {"bool", FieldValue(true), 't', bytes({'t', 1})},
        {"signed byte", FieldValue(int8_t{-1}), 'b', bytes({'b', 0xff})},
        {"unsigned byte", FieldValue(uint8_t{0xfe}), 'B', bytes({'B', 0xfe})},
        {"signed short", FieldValue(int16_t{-2}), 's', bytes({'s', 0xff, 0xfe})},
        {"unsigned short", FieldValue(uint16_t{0xfffd}), 'u', bytes({'u', 0xff, 0xfd})},
        {"signed int", FieldValue(int32_t{-4}), 'I', bytes({'I', 0xff, 0xff, 0xff, 0xfc})},
        {"unsigned int", FieldValue(uint32_t{0xfffffffb}), 'i',
         bytes({'i', 0xff, 0xff, 0xff, 0xfb})},
        {"signed long", FieldValue(int64_t{-6}), 'l',
         bytes({'l', 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfa})},
        {"float", FieldValue(1.5f), 'f', bytes({'f', 0x3f, 0xc0, 0, 0})},
        {"double", FieldValue(2.5), 'd', bytes({'d', 0x40, 0x04, 0, 0, 0, 0, 0, 0})},
        {"decimal", FieldValue(Decimal{2, 1234}), 'D', bytes({'D', 2, 0, 0, 0x04, 0xd2})},
        {"long string", FieldValue("abc"), 'S', bytes({'S', 0, 0, 0, 3, 'a', 'b', 'c'})},
        {"byte array", FieldValue(ByteArray{std::string("\0\xff", 2)}), 'x',
         bytes({'x', 0, 0, 0, 2, 0, 0xff})},
        {"timestamp", FieldValue(Timestamp{0x65000000}), 'T',
         bytes({'T', 0, 0, 0, 0, 0x65, 0, 0, 0})},
        {"table", FieldValue(FieldTable{{"k", FieldValue()}}), 'F',
         bytes({'F', 0, 0, 0, 3, 1, 'k', 'V'})},
        {"array", FieldValue(FieldArray{FieldValue(int32_t{1}), FieldValue("x")}), 'A',
         bytes({'A', 0, 0, 0, 11, 'I', 0, 0, 0, 1, 'S', 0, 0, 0, 1, 'x'})},
        {"void", FieldValue(), 'V', bytes({'V'})},
    };
}

TEST(FieldTable, EveryTypeEncodesAsRabbitMqDoes) {
    for (const ValueCase& c : every_type()) {
        FieldTable t{{"k", c.value}};
        EXPECT_EQ(hex(encode(t)), hex(bytes({1, 'k'}) + c.wire)) << c.what;
        EXPECT_EQ(c.value.tag(), c.tag) << c.what;
    }
}

TEST(FieldTable, EveryTypeRoundTrips) {
    for (const ValueCase& c : every_type()) {
        FieldTable t{{"k", c.value}};
        FieldTable back;
        ASSERT_TRUE(decode_table(encode(t), back)) << c.what;
        EXPECT_TRUE(back == t) << c.what;
        ASSERT_EQ(back.size(), 1u);
        EXPECT_EQ(back.entries()[0].second.tag(), c.tag) << c.what;
    }
}

TEST(FieldTable, TableWithEveryTypeRoundTripsInOrder) {
    FieldTable t;
    std::string expected;
    int i = 0;
    for (const ValueCase& c : every_type()) {
        std::string key = "key" + std::to_string(i++);
        t.append(key, c.value);
        expected += static_cast<char>(key.size()) + key + c.wire;
    }
    std::string wire = encode(t);
    EXPECT_EQ(hex(wire), hex(expected));
    FieldTable back;
    ASSERT_TRUE(decode_table(wire, back));
    EXPECT_TRUE(back == t);
    ASSERT_EQ(back.size(), t.size());
    for (size_t k = 0; k < t.size(); ++k)
        EXPECT_EQ(back.entries()[k].first, t.entries()[k].first);
}

TEST(FieldTable, ExtremeIntegersKeepTheirSign) {
    FieldTable t{{"min8", FieldValue(std::numeric_limits<int8_t>::min())},
                 {"min16", FieldValue(std::numeric_limits<int16_t>::min())},
                 {"min32", FieldValue(std::numeric_limits<int32_t>::min())},
                 {"min64", FieldValue(std::numeric_limits<int64_t>::min())},
                 {"max32u", FieldValue(std::numeric_limits<uint32_t>::max())}};
    FieldTable back;
    ASSERT_TRUE(decode_table(encode(t), back));
    EXPECT_TRUE(back == t);
    int64_t v = 0;
    ASSERT_TRUE(back.find("min64")->as_int(v));
    EXPECT_EQ(v, std::numeric_limits<int64_t>::min());
    ASSERT_TRUE(back.find("max32u")->as_int(v));
    EXPECT_EQ(v, 4294967295);
}

TEST(FieldTable, FloatsKeepTheirBitPatterns) {
    FieldTable t{{"nan", FieldValue(std::numeric_limits<double>::quiet_NaN())},
                 {"neg0", FieldValue(-0.0f)},
                 {"inf", FieldValue(std::numeric_limits<double>::infinity())}};
    std::string wire = encode(t);
    FieldTable back;
    ASSERT_TRUE(decode_table(wire, back));
    EXPECT_TRUE(std::isnan(*back.find("nan")->get_if<double>()));
    EXPECT_TRUE(std::signbit(*back.find("neg0")->get_if<float>()));
    EXPECT_EQ(encode(back), wire);
}

TEST(FieldTable, NestedTablesAndArraysRoundTripWithPatchedLengths) {
    FieldTable inner{{"a", FieldValue(FieldArray{FieldValue(FieldTable{{"b", FieldValue(true)}}),
                                                 FieldValue(FieldArray{})})}};
    FieldTable t{{"outer", FieldValue(inner)}, {"after", FieldValue(uint8_t{7})}};
    std::string wire = encode(t);
    // outer: F, len 21 = [1 'a' 'A' len 14 = ['F' len 4 = [1 'b' 't' 1] 'A' len 0]]
    std::string expected =
        bytes({5, 'o', 'u', 't', 'e', 'r', 'F', 0, 0, 0, 21, 1, 'a', 'A', 0, 0, 0, 14, 'F', 0, 0,
               0, 4, 1, 'b', 't', 1, 'A', 0, 0, 0, 0, 5, 'a', 'f', 't', 'e', 'r', 'B', 7});
    EXPECT_EQ(hex(wire), hex(expected));
    FieldTable back;
    ASSERT_TRUE(decode_table(wire, back));
    EXPECT_TRUE(back == t);
    ASSERT_NE(back.find("outer")->table(), nullptr);
    EXPECT_EQ(back.find("outer")->table()->find("a")->array()->size(), 2u);
}

TEST(FieldTable, EmptyBodyDecodesToEmptyTable) {
    FieldTable t;
    EXPECT_TRUE(decode_table("", t));
    EXPECT_TRUE(t.empty());
}

TEST(FieldTable, DuplicateKeysAreKeptAsReceived) {
    std::string wire = bytes({1, 'k', 'B', 1, 1, 'k', 'B', 2});
    FieldTable t;
    ASSERT_TRUE(decode_table(wire, t));
    ASSERT_EQ(t.size(), 2u);
    EXPECT_EQ(*t.find("k")->get_if<uint8_t>(), 1);
    EXPECT_EQ(encode(t), wire);
}

TEST(FieldTable, SetReplacesFirstEntryAndEraseRemovesIt) {
    FieldTable t{{"a", FieldValue(int32_t{1})}, {"b", FieldValue(int32_t{2})}};
    t.set("a", FieldValue("x"));
    t.set("c", FieldValue(int32_t{3}));
    ASSERT_EQ(t.size(), 3u);
    EXPECT_EQ(*t.find("a")->string(), "x");
    EXPECT_EQ(t.entries()[0].first, "a");
    EXPECT_TRUE(t.erase("a"));
    EXPECT_FALSE(t.erase("a"));
    EXPECT_EQ(t.find("a"), nullptr);
    EXPECT_EQ(t.size(), 2u);
}

TEST(FieldValue, AsIntWidensEveryIntegerKindOnly) {
    int64_t v = 0;
    EXPECT_TRUE(FieldValue(int8_t{-3}).as_int(v));
    EXPECT_EQ(v, -3);
    EXPECT_TRUE(FieldValue(uint16_t{65535}).as_int(v));
    EXPECT_EQ(v, 65535);
    EXPECT_TRUE(FieldValue(uint32_t{4000000000u}).as_int(v));
    EXPECT_EQ(v, 4000000000);
    EXPECT_FALSE(FieldValue(true).as_int(v));
    EXPECT_FALSE(FieldValue(1.0).as_int(v));
    EXPECT_FALSE(FieldValue("1").as_int(v));
    EXPECT_FALSE(FieldValue().as_int(v));
}

TEST(FieldTable, BoolDecodesAnyNonZeroOctetAsTrue) {
    FieldTable t;
    ASSERT_TRUE(decode_table(bytes({1, 'k', 't', 2}), t));
    EXPECT_EQ(*t.find("k")->get_if<bool>(), true);
}

struct Malformed {
    const char* what;
    std::string wire;
};

TEST(FieldTable, MalformedTablesAreRejected) {
    const Malformed cases[] = {
        {"unknown tag", bytes({1, 'k', 'Z'})},
        {"'U', which RabbitMQ does not accept", bytes({1, 'k', 'U', 0, 0})},
        {"key longer than the table", bytes({5, 'k'})},
        {"key without a value", bytes({1, 'k'})},
        {"truncated int", bytes({1, 'k', 'I', 0, 0})},
        {"truncated long", bytes({1, 'k', 'l', 0, 0, 0, 0, 0, 0, 0})},
        {"truncated decimal", bytes({1, 'k', 'D', 2, 0, 0})},
        {"string length past end", bytes({1, 'k', 'S', 0, 0, 0, 9, 'a'})},
        {"byte array length past end", bytes({1, 'k', 'x', 0xff, 0xff, 0xff, 0xff})},
        {"nested table length past end", bytes({1, 'k', 'F', 0, 0, 0, 10, 1, 'a', 'V'})},
        {"nested table with a bad tag", bytes({1, 'k', 'F', 0, 0, 0, 3, 1, 'a', 'Z'})},
        {"nested table with a truncated value", bytes({1, 'k', 'F', 0, 0, 0, 3, 1, 'a', 'I'})},
        {"array length past end", bytes({1, 'k', 'A', 0, 0, 0, 5, 'V'})},
        {"array with a bad element", bytes({1, 'k', 'A', 0, 0, 0, 2, 'V', '?'})},
        {"array with a truncated element", bytes({1, 'k', 'A', 0, 0, 0, 2, 'V', 's'})},
        {"second entry truncated", bytes({1, 'a', 'V', 1, 'b', 'u', 0})},
    };
    for (const Malformed& c : cases) {
        FieldTable t;
        EXPECT_FALSE(decode_table(c.wire, t)) << c.what;
    }
}

TEST(FieldTable, ReaderTableFailsOnLengthPastEnd) {
    std::string wire = bytes({0, 0, 0, 9, 1, 'k', 'V'});
    Reader r(wire);
    FieldTable t;
    r.table(t);
    EXPECT_FALSE(r.ok());
}

TEST(FieldTable, ReaderTableFailsOnMalformedBodyAndStopsReading) {
    std::string wire = bytes({0, 0, 0, 3, 1, 'k', 'Z', 42});
    Reader r(wire);
    FieldTable t;
    r.table(t);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.u8(), 0);
}

TEST(FieldTable, WriterTablePrefixesTheBodyLength) {
    util::ByteBuffer buf;
    Writer w(buf);
    w.table(FieldTable{{"k", FieldValue(true)}});
    w.table(FieldTable{});
    EXPECT_EQ(hex(view(buf)), hex(bytes({0, 0, 0, 4, 1, 'k', 't', 1, 0, 0, 0, 0})));
}

// n tables, each holding the next under key "k". Written outside in: the table at depth
// i has n - i levels of 7 bytes (key, tag, length) inside it.
std::string nested_tables(int n) {
    std::string out;
    for (int i = 1; i <= n; ++i)
        out += bytes({1, 'k', 'F'}) + be32(7 * static_cast<size_t>(n - i));
    return out;
}

// n arrays, each holding the next as its only element; the outermost under key "k".
std::string nested_arrays(int n) {
    std::string out = bytes({1, 'k'});
    for (int i = 1; i <= n; ++i) out += "A" + be32(5 * static_cast<size_t>(n - i));
    return out;
}

TEST(FieldTable, ModerateNestingIsAccepted) {
    FieldTable t;
    ASSERT_TRUE(decode_table(nested_tables(20), t));
    const FieldTable* level = &t;
    int depth = 0;
    while (const FieldValue* v = level->find("k")) {
        level = v->table();
        ASSERT_NE(level, nullptr);
        ++depth;
    }
    EXPECT_EQ(depth, 20);
    FieldTable a;
    EXPECT_TRUE(decode_table(nested_arrays(20), a));
}

TEST(FieldTable, DeepNestingIsRejectedNotRecursedWithoutBound) {
    FieldTable t;
    EXPECT_FALSE(decode_table(nested_tables(1000), t));
    FieldTable a;
    EXPECT_FALSE(decode_table(nested_arrays(1000), a));
    // Far deeper than any stack would survive if the depth were unbounded.
    FieldTable huge;
    EXPECT_FALSE(decode_table(nested_arrays(200000), huge));
}

}  // namespace
}  // namespace warren::amqp
