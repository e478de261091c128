#include "warren/amqp/field_table.h"
#include "warren/amqp/methods.h"

#include "amqp/bytes.h"

#include <gtest/gtest.h>

#include <string>

namespace warren::amqp {
namespace {

using P = BasicProperties;
using test::bytes;
using test::hex;
using test::view;

std::string encoded(const BasicProperties& p) {
    util::ByteBuffer buf;
    Writer w(buf);
    p.encode(w);
    return std::string(view(buf));
}

const std::string kHeadersBody = bytes({1, 'h', 'S', 0, 0, 0, 1, 'v'});

BasicProperties all_thirteen() {
    BasicProperties p;
    p.flags = P::kContentType | P::kContentEncoding | P::kHeaders | P::kDeliveryMode |
              P::kPriority | P::kCorrelationId | P::kReplyTo | P::kExpiration | P::kMessageId |
              P::kTimestamp | P::kType | P::kUserId | P::kAppId;
    p.content_type = "text/plain";
    p.content_encoding = "gzip";
    p.headers = RawTable{kHeadersBody};
    p.delivery_mode = 2;
    p.priority = 9;
    p.correlation_id = "corr";
    p.reply_to = "rq";
    p.expiration = "60000";
    p.message_id = "m1";
    p.timestamp = 0x65000000;
    p.type = "t";
    p.user_id = "guest";
    p.app_id = "app";
    return p;
}

// AMQP 0-9-1 §4.2.6.1: the flags, then each present property in declaration order.
const std::string kAllThirteenWire =
    bytes({0xff, 0xf8}) + bytes({10}) + "text/plain" + bytes({4}) + "gzip" +
    bytes({0, 0, 0, 8}) + kHeadersBody + bytes({2, 9}) + bytes({4}) + "corr" + bytes({2}) + "rq" +
    bytes({5}) + "60000" + bytes({2}) + "m1" + bytes({0, 0, 0, 0, 0x65, 0, 0, 0}) + bytes({1}) +
    "t" + bytes({5}) + "guest" + bytes({3}) + "app";

TEST(BasicProperties, FlagBitsFollowTheSpecOrderFromBit15Down) {
    EXPECT_EQ(P::kContentType, 0x8000);
    EXPECT_EQ(P::kContentEncoding, 0x4000);
    EXPECT_EQ(P::kHeaders, 0x2000);
    EXPECT_EQ(P::kDeliveryMode, 0x1000);
    EXPECT_EQ(P::kPriority, 0x0800);
    EXPECT_EQ(P::kCorrelationId, 0x0400);
    EXPECT_EQ(P::kReplyTo, 0x0200);
    EXPECT_EQ(P::kExpiration, 0x0100);
    EXPECT_EQ(P::kMessageId, 0x0080);
    EXPECT_EQ(P::kTimestamp, 0x0040);
    EXPECT_EQ(P::kType, 0x0020);
    EXPECT_EQ(P::kUserId, 0x0010);
    EXPECT_EQ(P::kAppId, 0x0008);
}

TEST(BasicProperties, AllThirteenEncodeInSpecOrder) {
    EXPECT_EQ(hex(encoded(all_thirteen())), hex(kAllThirteenWire));
}

TEST(BasicProperties, AllThirteenRoundTrip) {
    Reader r(kAllThirteenWire);
    BasicProperties p;
    ASSERT_TRUE(p.decode(r));
    EXPECT_EQ(r.remaining(), 0u);
    EXPECT_EQ(p.flags, 0xfff8);
    EXPECT_EQ(p.content_type, "text/plain");
    EXPECT_EQ(p.content_encoding, "gzip");
    EXPECT_EQ(p.headers.bytes, kHeadersBody);
    EXPECT_EQ(p.delivery_mode, 2);
    EXPECT_EQ(p.priority, 9);
    EXPECT_EQ(p.correlation_id, "corr");
    EXPECT_EQ(p.reply_to, "rq");
    EXPECT_EQ(p.expiration, "60000");
    EXPECT_EQ(p.message_id, "m1");
    EXPECT_EQ(p.timestamp, 0x65000000u);
    EXPECT_EQ(p.type, "t");
    EXPECT_EQ(p.user_id, "guest");
    EXPECT_EQ(p.app_id, "app");
    EXPECT_EQ(hex(encoded(p)), hex(kAllThirteenWire));

    FieldTable headers;
    ASSERT_TRUE(decode_table(p.headers.bytes, headers));
    EXPECT_EQ(*headers.find("h")->string(), "v");
}

TEST(BasicProperties, EachPropertyAloneRoundTrips) {
    BasicProperties all = all_thirteen();
    for (int bit = 15; bit >= 3; --bit) {
        auto flag = static_cast<P::Flag>(1u << bit);
        BasicProperties one = all;
        one.flags = flag;
        std::string wire = encoded(one);
        Reader r(wire);
        BasicProperties back;
        ASSERT_TRUE(back.decode(r)) << "bit " << bit;
        EXPECT_EQ(r.remaining(), 0u) << "bit " << bit;
        EXPECT_EQ(back.flags, flag);
        EXPECT_TRUE(back.has(flag));
        EXPECT_EQ(hex(encoded(back)), hex(wire)) << "bit " << bit;
    }
}

TEST(BasicProperties, OnlyFlaggedPropertiesAreEncoded) {
    BasicProperties p = all_thirteen();
    p.flags = P::kDeliveryMode | P::kAppId;
    EXPECT_EQ(hex(encoded(p)), hex(bytes({0x10, 0x08, 2, 3, 'a', 'p', 'p'})));
}

TEST(BasicProperties, NoFlagsIsTwoZeroOctets) {
    BasicProperties p;
    EXPECT_EQ(hex(encoded(p)), hex(bytes({0, 0})));
    std::string wire = bytes({0, 0});
    Reader r(wire);
    ASSERT_TRUE(p.decode(r));
    EXPECT_FALSE(p.has(P::kContentType));
    EXPECT_TRUE(p.headers.empty());
}

TEST(BasicProperties, PersistentDeliveryModeAsPikaSendsIt) {
    // pika.BasicProperties(delivery_mode=2, content_type='application/json')
    std::string wire = bytes({0x90, 0x00, 16}) + "application/json" + bytes({2});
    Reader r(wire);
    BasicProperties p;
    ASSERT_TRUE(p.decode(r));
    EXPECT_EQ(p.content_type, "application/json");
    EXPECT_TRUE(p.has(P::kDeliveryMode));
    EXPECT_EQ(p.delivery_mode, 2);
}

TEST(BasicProperties, ContinuationFlagIsRejected) {
    std::string wire = bytes({0x00, 0x01, 0x00, 0x00});
    Reader r(wire);
    BasicProperties p;
    EXPECT_FALSE(p.decode(r));
}

TEST(BasicProperties, EveryTruncationIsRejected) {
    for (size_t len = 0; len < kAllThirteenWire.size(); ++len) {
        Reader r(std::string_view(kAllThirteenWire).substr(0, len));
        BasicProperties p;
        EXPECT_FALSE(p.decode(r)) << len << " bytes";
    }
}

TEST(BasicProperties, ReservedClusterIdSurvivesReencoding) {
    // Bit 2 is the spec's 14th property (cluster-id, "reserved" in the XML); pika still
    // sends it when set. Publishing with reply_to=amq.rabbitmq.reply-to or a BCC header
    // re-encodes the properties (conn/handlers/publish.cpp), so a dropped value yields a
    // header whose flags promise a cluster-id that is not there.
    std::string wire = bytes({0x00, 0x0c, 3, 'a', 'p', 'p', 3, 'c', 'i', 'd'});
    Reader r(wire);
    BasicProperties p;
    ASSERT_TRUE(p.decode(r));
    EXPECT_EQ(r.remaining(), 0u) << "cluster-id left unread";
    EXPECT_EQ(hex(encoded(p)), hex(wire));
}

}  // namespace
}  // namespace warren::amqp
