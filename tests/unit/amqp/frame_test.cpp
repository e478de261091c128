#include "warren/amqp/frame.h"

#include "amqp/bytes.h"

#include <gtest/gtest.h>

#include <string>

namespace warren::amqp {
namespace {

using test::bytes;
using test::hex;
using test::view;

FrameStatus parse(std::string_view data, uint32_t frame_max, Frame& frame, size_t& consumed) {
    return parse_frame(reinterpret_cast<const uint8_t*>(data.data()), data.size(), frame_max,
                       frame, consumed);
}

// A heartbeat-sized method frame on channel 0x0102 carrying "abc".
const std::string kFrame = bytes({1, 0x01, 0x02, 0, 0, 0, 3, 'a', 'b', 'c', 0xce});

TEST(ParseFrame, CompleteFrameIsOkAndViewsThePayload) {
    Frame f;
    size_t consumed = 0;
    ASSERT_EQ(parse(kFrame, 4096, f, consumed), FrameStatus::Ok);
    EXPECT_EQ(f.type, 1);
    EXPECT_EQ(f.channel, 0x0102);
    EXPECT_EQ(f.payload, "abc");
    EXPECT_EQ(f.payload.data(), kFrame.data() + 7);
    EXPECT_EQ(consumed, kFrame.size());
}

TEST(ParseFrame, StopsAtTheFirstFrameOfSeveral) {
    std::string two = kFrame + bytes({8, 0, 0, 0, 0, 0, 0, 0xce});
    Frame f;
    size_t consumed = 0;
    ASSERT_EQ(parse(two, 4096, f, consumed), FrameStatus::Ok);
    EXPECT_EQ(consumed, kFrame.size());
    ASSERT_EQ(parse(std::string_view(two).substr(consumed), 4096, f, consumed), FrameStatus::Ok);
    EXPECT_EQ(f.type, 8);
    EXPECT_EQ(f.payload, "");
    EXPECT_EQ(consumed, 8u);
}

TEST(ParseFrame, EveryPrefixNeedsMore) {
    for (size_t len = 0; len < kFrame.size(); ++len) {
        Frame f;
        size_t consumed = 0;
        EXPECT_EQ(parse(std::string_view(kFrame).substr(0, len), 4096, f, consumed),
                  FrameStatus::NeedMore)
            << len << " bytes";
    }
}

TEST(ParseFrame, WrongFrameEndIsBadFrameEnd) {
    std::string bad = kFrame;
    bad.back() = '\0';
    Frame f;
    size_t consumed = 0;
    EXPECT_EQ(parse(bad, 4096, f, consumed), FrameStatus::BadFrameEnd);
}

TEST(ParseFrame, FrameLargerThanFrameMaxIsTooLargeBeforeItArrives) {
    // Size 4089 + 8 = 4097 > 4096; only the header has arrived.
    std::string header = bytes({3, 0, 1, 0, 0, 0x0f, 0xf9});
    Frame f;
    size_t consumed = 0;
    EXPECT_EQ(parse(header, 4096, f, consumed), FrameStatus::TooLarge);
}

TEST(ParseFrame, FrameMaxBoundsTheWholeFrameInclusive) {
    std::string payload(4088, 'x');
    std::string frame = bytes({3, 0, 1, 0, 0, 0x0f, 0xf8}) + payload + bytes({0xce});
    ASSERT_EQ(frame.size(), 4096u);
    Frame f;
    size_t consumed = 0;
    EXPECT_EQ(parse(frame, 4096, f, consumed), FrameStatus::Ok);
    EXPECT_EQ(parse(frame, 4095, f, consumed), FrameStatus::TooLarge);
}

TEST(ParseFrame, MaximalPayloadSizeDoesNotOverflow) {
    std::string header = bytes({3, 0, 1, 0xff, 0xff, 0xff, 0xff});
    Frame f;
    size_t consumed = 0;
    EXPECT_EQ(parse(header, 131072, f, consumed), FrameStatus::TooLarge);
    EXPECT_EQ(parse(header, 0, f, consumed), FrameStatus::NeedMore);
}

TEST(ParseFrame, ZeroFrameMaxMeansNoLimit) {
    std::string payload(200000, 'x');
    std::string frame = bytes({3, 0, 1, 0, 0x03, 0x0d, 0x40}) + payload + bytes({0xce});
    Frame f;
    size_t consumed = 0;
    ASSERT_EQ(parse(frame, 0, f, consumed), FrameStatus::Ok);
    EXPECT_EQ(f.payload.size(), 200000u);
}

TEST(WriteFrame, MethodFrameIsHeaderMethodAndFrameEnd) {
    util::ByteBuffer buf;
    ChannelOpenOk m;
    write_method_frame(buf, 0x0203, m);
    // type 1, channel 0x0203, size 8: class 20, method 11, longstr reserved-1 ""
    EXPECT_EQ(hex(view(buf)),
              hex(bytes({1, 0x02, 0x03, 0, 0, 0, 8, 0, 20, 0, 11, 0, 0, 0, 0, 0xce})));
}

TEST(WriteFrame, MethodFrameParsesBackAndDecodes) {
    util::ByteBuffer buf;
    BasicAck ack;
    ack.delivery_tag = 42;
    ack.multiple = true;
    write_method_frame(buf, 7, ack);
    Frame f;
    size_t consumed = 0;
    ASSERT_EQ(parse(view(buf), 4096, f, consumed), FrameStatus::Ok);
    EXPECT_EQ(consumed, buf.size());
    EXPECT_EQ(f.type, static_cast<uint8_t>(FrameType::Method));
    EXPECT_EQ(f.channel, 7);
    Reader r(f.payload);
    MethodId id{r.u16(), r.u16()};
    ASSERT_EQ(id, BasicAck::kId);
    BasicAck back;
    ASSERT_TRUE(back.decode(r));
    EXPECT_EQ(back.delivery_tag, 42u);
    EXPECT_TRUE(back.multiple);
}

TEST(WriteFrame, HeaderFrameCarriesClassWeightBodySizeAndProperties) {
    util::ByteBuffer buf;
    std::string props = bytes({0x10, 0x00, 2});  // delivery-mode 2
    write_header_frame(buf, 1, 0x0102030405, props);
    EXPECT_EQ(hex(view(buf)), hex(bytes({2, 0, 1, 0, 0, 0, 15,       // type, channel, size
                                         0, 60, 0, 0,               // class basic, weight 0
                                         0, 0, 0, 1, 2, 3, 4, 5,    // body size
                                         0x10, 0x00, 2,             // properties
                                         0xce})));
}

TEST(WriteFrame, HeartbeatIsEightOctetsOnChannelZero) {
    util::ByteBuffer buf;
    write_heartbeat_frame(buf);
    EXPECT_EQ(hex(view(buf)), hex(bytes({8, 0, 0, 0, 0, 0, 0, 0xce})));
}

TEST(WriteFrame, FramesAppendAfterExistingBytes) {
    util::ByteBuffer buf;
    buf.append("xy");
    write_heartbeat_frame(buf);
    write_method_frame(buf, 0, ConnectionCloseOk{});
    EXPECT_EQ(hex(view(buf)), hex(bytes({'x', 'y', 8, 0, 0, 0, 0, 0, 0, 0xce, 1, 0, 0, 0, 0, 0,
                                         4, 0, 10, 0, 51, 0xce})));
}

TEST(ProtocolHeader, IsAmqp0091) {
    EXPECT_EQ(hex(kProtocolHeader), hex(bytes({'A', 'M', 'Q', 'P', 0, 0, 9, 1})));
}

}  // namespace
}  // namespace warren::amqp
