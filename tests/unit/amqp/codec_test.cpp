#include "warren/amqp/codec.h"

#include "amqp/bytes.h"

#include <gtest/gtest.h>

#include <string>

namespace warren::amqp {
namespace {

using test::bytes;
using test::view;

TEST(Writer, WritesIntegersBigEndian) {
    util::ByteBuffer buf;
    Writer w(buf);
    w.u8(0x01);
    w.u16(0x0203);
    w.u32(0x04050607);
    w.u64(0x08090a0b0c0d0e0f);
    EXPECT_EQ(view(buf), bytes({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}));
}

TEST(Writer, PrefixesShortStringsWithOneOctetAndLongStringsWithFour) {
    util::ByteBuffer buf;
    Writer w(buf);
    w.shortstr("ab");
    w.longstr("cd");
    EXPECT_EQ(view(buf), bytes({2, 'a', 'b', 0, 0, 0, 2, 'c', 'd'}));
}

TEST(Writer, CutsShortStringsAt255Bytes) {
    util::ByteBuffer buf;
    Writer w(buf);
    w.shortstr(std::string(300, 'x'));
    ASSERT_EQ(buf.size(), 256u);
    EXPECT_EQ(buf.data()[0], 255);
}

TEST(Writer, EmptyDefaultStringsAreWrittenWithoutUndefinedBehaviour) {
    // A default std::string_view has a null data(): appending it must not reach memcpy
    // (UBSan, "null pointer passed as argument 2", under -DWARREN_SANITIZE=ON).
    util::ByteBuffer buf;
    Writer w(buf);
    w.shortstr(std::string_view());
    w.longstr(std::string_view());
    w.bytes(std::string_view());
    EXPECT_EQ(view(buf), bytes({0, 0, 0, 0, 0}));
}

TEST(Reader, ReadsIntegersBigEndian) {
    std::string in = bytes({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15});
    Reader r(in);
    EXPECT_EQ(r.u8(), 0x01);
    EXPECT_EQ(r.u16(), 0x0203);
    EXPECT_EQ(r.u32(), 0x04050607u);
    EXPECT_EQ(r.u64(), 0x08090a0b0c0d0e0fu);
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.remaining(), 0u);
}

TEST(Reader, ReadsTopBitSetValuesWithoutSignExtension) {
    std::string in = bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                            0xff, 0xff, 0xff, 0xff});
    Reader r(in);
    EXPECT_EQ(r.u8(), 0xffu);
    EXPECT_EQ(r.u16(), 0xffffu);
    EXPECT_EQ(r.u32(), 0xffffffffu);
    EXPECT_EQ(r.u64(), 0xffffffffffffffffu);
    EXPECT_TRUE(r.ok());
}

TEST(Reader, ReadsStringsAsViewsOfTheInput) {
    std::string in = bytes({2, 'a', 'b', 0, 0, 0, 3, 'c', 'd', 'e'});
    Reader r(in);
    std::string_view s = r.shortstr();
    std::string_view l = r.longstr();
    EXPECT_EQ(s, "ab");
    EXPECT_EQ(l, "cde");
    EXPECT_EQ(s.data(), in.data() + 1);
    EXPECT_TRUE(r.ok());
}

TEST(Reader, RoundTripsEveryPrimitiveWritten) {
    util::ByteBuffer buf;
    Writer w(buf);
    w.u8(200);
    w.u16(60000);
    w.u32(4000000000u);
    w.u64(18000000000000000000u);
    w.shortstr("short");
    w.longstr(std::string("long\0bytes", 10));
    Reader r(view(buf));
    EXPECT_EQ(r.u8(), 200);
    EXPECT_EQ(r.u16(), 60000);
    EXPECT_EQ(r.u32(), 4000000000u);
    EXPECT_EQ(r.u64(), 18000000000000000000u);
    EXPECT_EQ(r.shortstr(), "short");
    EXPECT_EQ(r.longstr(), std::string_view("long\0bytes", 10));
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.remaining(), 0u);
}

TEST(Reader, OverrunClearsOkAndYieldsZeroFromThenOn) {
    std::string in = bytes({1, 2, 3});
    Reader r(in);
    EXPECT_EQ(r.u32(), 0u);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.remaining(), 0u);
    EXPECT_EQ(r.u8(), 0);
    EXPECT_EQ(r.u16(), 0);
    EXPECT_EQ(r.u64(), 0u);
    EXPECT_EQ(r.shortstr(), "");
    EXPECT_FALSE(r.ok());
}

TEST(Reader, EveryPrimitiveOnEmptyInputFailsWithoutCrashing) {
    for (int kind = 0; kind < 7; ++kind) {
        Reader r(nullptr, 0);
        switch (kind) {
        case 0: r.u8(); break;
        case 1: r.u16(); break;
        case 2: r.u32(); break;
        case 3: r.u64(); break;
        case 4: r.shortstr(); break;
        case 5: r.longstr(); break;
        default: r.bytes(1); break;
        }
        EXPECT_FALSE(r.ok()) << "kind " << kind;
    }
}

TEST(Reader, ZeroLengthReadsSucceedOnEmptyInput) {
    Reader r(nullptr, 0);
    EXPECT_EQ(r.bytes(0), "");
    EXPECT_TRUE(r.ok());
}

TEST(Reader, ShortStringLongerThanInputFails) {
    std::string in = bytes({5, 'a', 'b'});
    Reader r(in);
    EXPECT_EQ(r.shortstr(), "");
    EXPECT_FALSE(r.ok());
}

TEST(Reader, LongStringLengthPastEndFailsEvenWhenHuge) {
    std::string in = bytes({0xff, 0xff, 0xff, 0xff, 'a'});
    Reader r(in);
    EXPECT_EQ(r.longstr(), "");
    EXPECT_FALSE(r.ok());
}

TEST(Reader, PartialU64Fails) {
    std::string in = bytes({1, 2, 3, 4, 5, 6});
    Reader r(in);
    r.u64();
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.remaining(), 0u);
}

TEST(Reader, FailedU64YieldsZeroLikeTheOtherReads) {
    // codec.h: "reading past the end ... clears ok() and yields zero values". u64() reads
    // two u32s and returns (hi << 32) | 0 when only the high half was there.
    std::string in = bytes({1, 2, 3, 4, 5, 6});
    Reader r(in);
    EXPECT_EQ(r.u64(), 0u);
}

TEST(Reader, FailStopsFurtherReads) {
    std::string in = bytes({1, 2, 3, 4});
    Reader r(in);
    r.fail();
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.remaining(), 0u);
    EXPECT_EQ(r.u8(), 0);
}

TEST(Reader, RawTableViewsTheTableBodyWithoutItsLength) {
    std::string in = bytes({0, 0, 0, 2, 'x', 'y', 9});
    Reader r(in);
    RawTable t = r.raw_table();
    EXPECT_EQ(t.bytes, "xy");
    EXPECT_EQ(r.u8(), 9);
    EXPECT_TRUE(r.ok());
}

TEST(MethodId, PacksClassIntoTheHighHalf) {
    constexpr MethodId id{60, 40};
    static_assert(id.packed() == ((60u << 16) | 40u));
    EXPECT_EQ(id, (MethodId{60, 40}));
    EXPECT_FALSE(id == (MethodId{40, 60}));
}

}  // namespace
}  // namespace warren::amqp
