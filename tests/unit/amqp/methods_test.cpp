#include "warren/amqp/methods.h"

#include "amqp/bytes.h"
#include "method_cases.h"

#include <gtest/gtest.h>

#include <string>
#include <type_traits>

namespace warren::amqp {
namespace {

using test::bytes;
using test::hex;
using test::view;

template <class M>
std::string encoded(const M& m) {
    util::ByteBuffer buf;
    Writer w(buf);
    m.encode(w);
    return std::string(view(buf));
}

// Every method of the spec XML, each checked against bytes computed from the spec by
// gen_method_cases.py rather than by the generator under test.
template <class M>
class MethodCodec : public ::testing::Test {
protected:
    using Case = spec::MethodCase<M>;

    static M sample(int variant) {
        M m;
        Case::fill(m, variant);
        return m;
    }

    // Decodes class id, method id and arguments as a connection does.
    static bool decode(std::string_view wire, M& out, size_t* left = nullptr) {
        Reader r(wire);
        MethodId id{r.u16(), r.u16()};
        if (!r.ok() || !(id == M::kId)) return false;
        bool ok = out.decode(r);
        if (left) *left = r.remaining();
        return ok;
    }
};

struct MethodNames {
    template <class M>
    static std::string GetName(int) {
        return spec::MethodCase<M>::kTypeName;
    }
};

TYPED_TEST_SUITE(MethodCodec, spec::AllMethods, MethodNames);

TYPED_TEST(MethodCodec, IdsNameAndFlagsFollowTheSpec) {
    using M = TypeParam;
    using Spec = spec::MethodCase<M>;
    EXPECT_EQ(M::kId.class_id, Spec::kClassId);
    EXPECT_EQ(M::kId.method_id, Spec::kMethodId);
    EXPECT_EQ(M::kName, Spec::kSpecName);
    EXPECT_EQ(M::kSynchronous, Spec::kSynchronous);
    EXPECT_EQ(M::kHasContent, Spec::kHasContent);
    EXPECT_EQ(method_name(M::kId), Spec::kSpecName);
    EXPECT_TRUE(is_known_method(M::kId));
    EXPECT_EQ(is_synchronous(M::kId), Spec::kSynchronous);
    EXPECT_EQ(has_content(M::kId), Spec::kHasContent);
}

TYPED_TEST(MethodCodec, DefaultConstructedEncodesAsTheSpecSays) {
    using M = TypeParam;
    EXPECT_EQ(hex(encoded(M{})), hex(TestFixture::Case::expected(0)));
}

TYPED_TEST(MethodCodec, FilledFieldsEncodeAsTheSpecSays) {
    for (int variant : {1, 2}) {
        EXPECT_EQ(hex(encoded(TestFixture::sample(variant))),
                  hex(TestFixture::Case::expected(variant)))
            << "variant " << variant;
    }
}

TYPED_TEST(MethodCodec, RoundTripsEncodeThenDecode) {
    using M = TypeParam;
    for (int variant : {0, 1, 2}) {
        SCOPED_TRACE(::testing::Message() << "variant " << variant);
        M original = TestFixture::sample(variant);
        std::string wire = encoded(original);
        M back;
        size_t left = 1;
        ASSERT_TRUE(TestFixture::decode(wire, back, &left));
        EXPECT_EQ(left, 0u) << "decode left bytes unread";
        TestFixture::Case::expect_equal(original, back);
        EXPECT_EQ(hex(encoded(back)), hex(wire));
    }
}

TYPED_TEST(MethodCodec, DecodesTheSpecBytes) {
    using M = TypeParam;
    for (int variant : {0, 1, 2}) {
        SCOPED_TRACE(::testing::Message() << "variant " << variant);
        M back;
        ASSERT_TRUE(TestFixture::decode(TestFixture::Case::expected(variant), back));
        TestFixture::Case::expect_equal(TestFixture::sample(variant), back);
    }
}

TYPED_TEST(MethodCodec, EveryTruncationIsMalformed) {
    using M = TypeParam;
    for (int variant : {0, 1, 2}) {
        std::string_view wire = TestFixture::Case::expected(variant);
        for (size_t len = 4; len < wire.size(); ++len) {
            M back;
            EXPECT_FALSE(TestFixture::decode(wire.substr(0, len), back))
                << "variant " << variant << ", " << len << " of " << wire.size() << " bytes";
        }
    }
}

TYPED_TEST(MethodCodec, DispatchHandsTheDecodedStructToTheVisitor) {
    using M = TypeParam;
    std::string_view wire = TestFixture::Case::expected(1);
    Reader r(wire);
    MethodId id{r.u16(), r.u16()};
    int calls = 0;
    DecodeStatus status = dispatch_method(id, r, [&](const auto& got) {
        ++calls;
        if constexpr (std::is_same_v<std::decay_t<decltype(got)>, M>) {
            TestFixture::Case::expect_equal(TestFixture::sample(1), got);
        } else {
            ADD_FAILURE() << "dispatched to " << got.kName;
        }
    });
    EXPECT_EQ(status, DecodeStatus::Ok);
    EXPECT_EQ(calls, 1);
}

TYPED_TEST(MethodCodec, DispatchReportsTruncatedArgumentsAsMalformed) {
    std::string_view wire = TestFixture::Case::expected(1);
    // Without arguments there is nothing to cut: the ids alone are the whole method.
    bool has_arguments = wire.size() > 4;
    std::string_view cut = wire.substr(0, has_arguments ? wire.size() - 1 : 4);
    Reader r(cut);
    MethodId id{r.u16(), r.u16()};
    int calls = 0;
    EXPECT_EQ(dispatch_method(id, r, [&](const auto&) { ++calls; }),
              has_arguments ? DecodeStatus::Malformed : DecodeStatus::Ok);
    EXPECT_EQ(calls, has_arguments ? 0 : 1);
}

TEST(Methods, EveryMethodOfTheSpecIsCovered) {
    // The typed suite runs once per type in spec::AllMethods, generated from the XML.
    EXPECT_EQ(spec::kSpecMethodCount, 60);
}

TEST(Methods, UnknownIdsAreReportedNotDecoded) {
    for (MethodId id : {MethodId{0, 0}, MethodId{60, 99}, MethodId{99, 10}, MethodId{10, 12}}) {
        std::string empty;
        Reader r(empty);
        int calls = 0;
        EXPECT_EQ(dispatch_method(id, r, [&](const auto&) { ++calls; }),
                  DecodeStatus::UnknownMethod);
        EXPECT_EQ(calls, 0);
        EXPECT_EQ(method_name(id), "");
        EXPECT_FALSE(is_known_method(id));
        EXPECT_FALSE(has_content(id));
        EXPECT_FALSE(is_synchronous(id));
    }
}

// Golden bytes written out from AMQP 0-9-1 §4.2 and the class reference by hand, as a
// client library sends them.

TEST(Methods, BasicPublishMatchesHandWrittenBytes) {
    // pika: basic_publish(exchange='logs', routing_key='info', mandatory=True)
    std::string wire = bytes({0, 60, 0, 40,           // basic.publish
                              0, 0,                   // reserved-1 (ticket)
                              4, 'l', 'o', 'g', 's',  // exchange
                              4, 'i', 'n', 'f', 'o',  // routing-key
                              0x01});                 // mandatory=1, immediate=0
    BasicPublish m;
    m.exchange = "logs";
    m.routing_key = "info";
    m.mandatory = true;
    EXPECT_EQ(hex(encoded(m)), hex(wire));

    Reader r(wire);
    ASSERT_EQ(r.u16(), 60);
    ASSERT_EQ(r.u16(), 40);
    BasicPublish back;
    ASSERT_TRUE(back.decode(r));
    EXPECT_EQ(back.exchange, "logs");
    EXPECT_EQ(back.routing_key, "info");
    EXPECT_TRUE(back.mandatory);
    EXPECT_FALSE(back.immediate);
}

TEST(Methods, QueueDeclareMatchesHandWrittenBytes) {
    // queue_declare('tasks', durable=True, arguments={'x-max-length': 10})
    std::string wire = bytes({0, 50, 0, 10,                   // queue.declare
                              0, 0,                           // reserved-1
                              5, 't', 'a', 's', 'k', 's',     // queue
                              0x02,                           // passive=0 durable=1 others 0
                              0, 0, 0, 22,                    // arguments: 22 bytes
                              12, 'x', '-', 'm', 'a', 'x', '-', 'l', 'e', 'n', 'g', 't', 'h',
                              'l', 0, 0, 0, 0, 0, 0, 0, 10});  // long 10 (pika sends 'l')
    QueueDeclare m;
    m.queue = "tasks";
    m.durable = true;
    m.arguments = FieldTable{{"x-max-length", FieldValue(int64_t{10})}};
    EXPECT_EQ(hex(encoded(m)), hex(wire));

    Reader r(wire);
    r.u16();
    r.u16();
    QueueDeclare back;
    ASSERT_TRUE(back.decode(r));
    EXPECT_EQ(back.queue, "tasks");
    EXPECT_FALSE(back.passive);
    EXPECT_TRUE(back.durable);
    EXPECT_FALSE(back.exclusive);
    EXPECT_FALSE(back.auto_delete);
    EXPECT_FALSE(back.no_wait);
    EXPECT_TRUE(back.arguments == m.arguments);
}

TEST(Methods, QueueDeclareBitsPackIntoOneOctetLowBitFirst) {
    QueueDeclare m;
    m.passive = true;     // bit 0
    m.exclusive = true;   // bit 2
    m.no_wait = true;     // bit 4
    std::string wire = encoded(m);
    ASSERT_EQ(wire.size(), 4u + 2 + 1 + 1 + 4);
    EXPECT_EQ(static_cast<uint8_t>(wire[7]), 0x15);
}

TEST(Methods, BasicDeliverMatchesHandWrittenBytes) {
    std::string wire = bytes({0, 60, 0, 60,                            // basic.deliver
                              8, 'c', 't', 'a', 'g', '-', '1', '.', '1',  // consumer-tag
                              0, 0, 0, 0, 0, 0, 0x01, 0x02,            // delivery-tag 258
                              0x01,                                    // redelivered
                              0,                                       // exchange ""
                              5, 'h', 'e', 'l', 'l', 'o'});            // routing-key
    BasicDeliver m;
    m.consumer_tag = "ctag-1.1";
    m.delivery_tag = 258;
    m.redelivered = true;
    m.routing_key = "hello";
    EXPECT_EQ(hex(encoded(m)), hex(wire));

    Reader r(wire);
    r.u16();
    r.u16();
    BasicDeliver back;
    ASSERT_TRUE(back.decode(r));
    EXPECT_EQ(back.consumer_tag, "ctag-1.1");
    EXPECT_EQ(back.delivery_tag, 258u);
    EXPECT_TRUE(back.redelivered);
    EXPECT_EQ(back.exchange, "");
    EXPECT_EQ(back.routing_key, "hello");
}

TEST(Methods, ConnectionStartOkWithClientPropertiesDecodes) {
    std::string props = bytes({7, 'p', 'r', 'o', 'd', 'u', 'c', 't', 'S', 0, 0, 0, 4, 'p', 'i',
                               'k', 'a'});
    std::string wire = bytes({0, 10, 0, 11}) + bytes({0, 0, 0, static_cast<int>(props.size())}) +
                       props + bytes({5, 'P', 'L', 'A', 'I', 'N'}) +
                       bytes({0, 0, 0, 12}) + std::string("\0guest\0guest", 12) +
                       bytes({5, 'e', 'n', '_', 'U', 'S'});
    Reader r(wire);
    MethodId id{r.u16(), r.u16()};
    bool seen = false;
    auto status = dispatch_method(id, r, [&](const auto& m) {
        if constexpr (std::is_same_v<std::decay_t<decltype(m)>, ConnectionStartOk>) {
            seen = true;
            ASSERT_NE(m.client_properties.find("product"), nullptr);
            EXPECT_EQ(*m.client_properties.find("product")->string(), "pika");
            EXPECT_EQ(m.mechanism, "PLAIN");
            EXPECT_EQ(m.response, std::string_view("\0guest\0guest", 12));
            EXPECT_EQ(m.locale, "en_US");
        }
    });
    EXPECT_EQ(status, DecodeStatus::Ok);
    EXPECT_TRUE(seen);
}

TEST(Methods, MalformedArgumentTableMakesTheMethodMalformed) {
    std::string wire = bytes({0, 50, 0, 10, 0, 0, 1, 'q', 0, 0, 0, 0, 3, 1, 'k', 'Z'});
    Reader r(wire);
    MethodId id{r.u16(), r.u16()};
    EXPECT_EQ(dispatch_method(id, r, [](const auto&) {}), DecodeStatus::Malformed);
}

}  // namespace
}  // namespace warren::amqp
