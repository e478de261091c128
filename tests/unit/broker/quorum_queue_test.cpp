// Quorum queues: delivery counts, the delivery limit and where returns go (rabbit_fifo 3.10).
#include "warren/amqp/methods.h"
#include "warren/broker/delivery_count.h"
#include "warren/broker/queue.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace warren::broker {
namespace {

using Bodies = std::vector<std::string>;

class RecordingHost : public QueueHost {
public:
    void dead_letter(Queue& q, QueuedMessage&& m, DeathReason reason, bool held) override {
        dead.emplace_back(m.message->body());
        reasons.push_back(reason);
        if (held) q.finish_dead_letter(m);
    }
    void queue_expired(Queue&) override {}

    Bodies dead;
    std::vector<DeathReason> reasons;
};

MessageRef message(const std::string& body, amqp::FieldTable headers = {}) {
    util::ByteBuffer table;
    amqp::encode_table_body(headers, table);
    util::ByteBuffer encoded;
    amqp::Writer w(encoded);
    amqp::BasicProperties props;
    if (!headers.entries().empty()) {
        props.flags = amqp::BasicProperties::kHeaders;
        props.headers = amqp::RawTable{
            std::string_view(reinterpret_cast<const char*>(table.data()), table.size())};
    }
    props.encode(w);
    std::string data(reinterpret_cast<const char*>(encoded.data()), encoded.size());
    data += body;
    return MessageRef::make("ex", "rk", util::SharedBytes::copy_of(data),
                            static_cast<uint32_t>(encoded.size()), false);
}

QueueSpec quorum(amqp::FieldTable args = {}) {
    args.append("x-queue-type", std::string("quorum"));
    return QueueSpec{"q", true, false, false, std::move(args)};
}

struct Taken {
    std::string body;
    uint32_t count;
    bool redelivered;
};

Taken take(Queue& q, std::vector<QueuedMessage>& held) {
    auto m = q.get(false);
    EXPECT_TRUE(m.has_value());
    Taken t{std::string(m->message->body()), m->delivery_count, m->redelivered};
    held.push_back(std::move(*m));
    return t;
}

Bodies drain(Queue& q) {
    Bodies out;
    while (auto m = q.get(true)) out.emplace_back(m->message->body());
    return out;
}

TEST(QuorumQueueTest, RequeueWithoutLimitGoesToTheTailCounted) {
    net::EventLoop loop;
    Queue q(loop, "/", quorum(), OwnerId::None, nullptr);
    for (const char* b : {"1", "2", "3"}) q.enqueue(message(b));
    std::vector<QueuedMessage> held;
    take(q, held);
    q.requeue(std::move(held), Queue::Return::Requeued);
    held.clear();
    EXPECT_EQ(take(q, held).body, "2");
    EXPECT_EQ(take(q, held).body, "3");
    Taken again = take(q, held);
    EXPECT_EQ(again.body, "1");
    EXPECT_EQ(again.count, 1u);
    EXPECT_TRUE(again.redelivered);
}

TEST(QuorumQueueTest, ReturnsGoToTheHeadInReturnOrder) {
    net::EventLoop loop;
    Queue q(loop, "/", quorum({{"x-delivery-limit", int32_t{5}}}), OwnerId::None, nullptr);
    for (const char* b : {"1", "2", "3", "4"}) q.enqueue(message(b));
    std::vector<QueuedMessage> held;
    take(q, held);
    take(q, held);
    q.requeue(std::move(held[1]), Queue::Return::Requeued);  // "2" first, then "1"
    q.requeue(std::move(held[0]), Queue::Return::Requeued);
    EXPECT_EQ(drain(q), (Bodies{"2", "1", "3", "4"}));
}

TEST(QuorumQueueTest, ConsumerGoneReturnsToTheHeadEvenWithoutLimit) {
    net::EventLoop loop;
    Queue q(loop, "/", quorum(), OwnerId::None, nullptr);
    for (const char* b : {"1", "2"}) q.enqueue(message(b));
    std::vector<QueuedMessage> held;
    take(q, held);
    q.requeue(std::move(held), Queue::Return::ConsumerGone);
    EXPECT_EQ(drain(q), (Bodies{"1", "2"}));
}

TEST(QuorumQueueTest, OverTheLimitIsDeadLettered) {
    net::EventLoop loop;
    RecordingHost host;
    Queue q(loop, "/", quorum({{"x-delivery-limit", int32_t{1}}, {"x-dead-letter-exchange", "d"}}),
            OwnerId::None, nullptr, nullptr, &host);
    q.enqueue(message("poison"));
    for (int i = 0; i < 2; ++i) {
        std::vector<QueuedMessage> held;
        take(q, held);
        q.requeue(std::move(held));
    }
    EXPECT_EQ(host.dead, (Bodies{"poison"}));
    EXPECT_EQ(host.reasons, (std::vector<DeathReason>{DeathReason::DeliveryLimit}));
    EXPECT_EQ(q.ready_count(), 0u);
}

TEST(QuorumQueueTest, RejectPublishDlxActsAsDropHead) {
    net::EventLoop loop;
    Queue q(loop, "/", quorum({{"x-max-length", int32_t{1}}, {"x-overflow", "reject-publish-dlx"}}),
            OwnerId::None, nullptr);
    EXPECT_EQ(q.settings().overflow, Overflow::DropHead);
}

TEST(DeliveryCountTest, SetsTheHeaderAndSortsTheTable) {
    amqp::FieldTable headers{{"z", int32_t{1}}, {"a", int32_t{2}}, {"x-delivery-count", int32_t{7}}};
    MessageRef shown = with_delivery_count(*message("body", headers), 3);
    EXPECT_EQ(shown->body(), "body");
    amqp::BasicProperties props;
    amqp::Reader r(shown->properties());
    ASSERT_TRUE(props.decode(r));
    amqp::FieldTable out;
    ASSERT_TRUE(amqp::decode_table(props.headers.bytes, out));
    ASSERT_EQ(out.entries().size(), 3u);
    EXPECT_EQ(out.entries()[0].first, "a");
    EXPECT_EQ(out.entries()[1].first, "x-delivery-count");
    EXPECT_EQ(out.entries()[1].second.tag(), 'l');
    int64_t n = 0;
    EXPECT_TRUE(out.entries()[1].second.as_int(n));
    EXPECT_EQ(n, 3);
    EXPECT_EQ(out.entries()[2].first, "z");
}

}  // namespace
}  // namespace warren::broker
