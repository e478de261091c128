// Queue-level behaviour of the queue arguments: length limits, dead-letter hand-off,
// priorities, single active consumer, x-expires.
#include "warren/amqp/methods.h"
#include "warren/broker/dead_letter.h"
#include "warren/broker/queue.h"

#include "broker/loop_turns.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace warren::broker {
namespace {

using test::run_turns;
using Bodies = std::vector<std::string>;

class RecordingHost : public QueueHost {
public:
    void dead_letter(Queue& q, QueuedMessage&& m, DeathReason reason, bool held) override {
        dead.emplace_back(m.message->body());
        reasons.push_back(reason);
        if (held) q.finish_dead_letter(m);
    }
    void queue_expired(Queue&) override { ++expired; }

    Bodies dead;
    std::vector<DeathReason> reasons;
    int expired = 0;
};

class SimpleConsumer : public Consumer {
public:
    explicit SimpleConsumer(std::string tag) : Consumer(std::move(tag), true, false) {}
    ~SimpleConsumer() override = default;
    bool can_accept() const override { return true; }
    void deliver(Queue&, QueuedMessage&& m) override { got.emplace_back(m.message->body()); }
    void on_queue_deleted(Queue&) override {}
    Bodies got;
};

MessageRef message(const std::string& body, int priority = -1) {
    util::ByteBuffer encoded;
    amqp::Writer w(encoded);
    amqp::BasicProperties props;
    if (priority >= 0) {
        props.flags = amqp::BasicProperties::kPriority;
        props.priority = static_cast<uint8_t>(priority);
    }
    props.encode(w);
    std::string data(reinterpret_cast<const char*>(encoded.data()), encoded.size());
    data += body;
    return MessageRef::make("ex", "rk", util::SharedBytes::copy_of(data),
                            static_cast<uint32_t>(encoded.size()), false);
}

QueueSpec spec(amqp::FieldTable args) { return QueueSpec{"q", false, false, false, std::move(args)}; }

Bodies get_all(Queue& q) {
    Bodies out;
    while (auto m = q.get(true)) out.emplace_back(m->message->body());
    return out;
}

TEST(QueueFeaturesTest, DropHeadKeepsTheNewest) {
    net::EventLoop loop;
    Queue q(loop, "/", spec({{"x-max-length", int32_t{2}}}), OwnerId::None, nullptr);
    for (const char* b : {"1", "2", "3"}) q.enqueue(message(b));
    EXPECT_EQ(get_all(q), (Bodies{"2", "3"}));
}

TEST(QueueFeaturesTest, DropHeadDeadLettersWithReasonMaxlen) {
    net::EventLoop loop;
    RecordingHost host;
    Queue q(loop, "/", spec({{"x-max-length-bytes", int32_t{4}}, {"x-dead-letter-exchange", "d"}}),
            OwnerId::None, nullptr, nullptr, &host);
    for (const char* b : {"aa", "bb", "c"}) q.enqueue(message(b));
    EXPECT_EQ(host.dead, (Bodies{"aa"}));
    EXPECT_EQ(host.reasons, (std::vector<DeathReason>{DeathReason::MaxLen}));
    EXPECT_EQ(get_all(q), (Bodies{"bb", "c"}));
}

TEST(QueueFeaturesTest, RejectPublishRefusesAtTheLimitOnly) {
    net::EventLoop loop;
    Queue q(loop, "/", spec({{"x-max-length", int32_t{1}}, {"x-overflow", "reject-publish"}}),
            OwnerId::None, nullptr);
    auto m = message("x");
    EXPECT_FALSE(q.refuses(*m));
    q.enqueue(m);
    EXPECT_TRUE(q.refuses(*message("y")));
    q.get(true);
    EXPECT_FALSE(q.refuses(*message("y")));
}

TEST(QueueFeaturesTest, QueuesWithoutLimitsNeverRefuse) {
    net::EventLoop loop;
    Queue q(loop, "/", spec({}), OwnerId::None, nullptr);
    for (int i = 0; i < 100; ++i) q.enqueue(message("m"));
    EXPECT_FALSE(q.refuses(*message("m")));
}

TEST(QueueFeaturesTest, RejectWithoutRequeueDeadLetters) {
    net::EventLoop loop;
    RecordingHost host;
    Queue q(loop, "/", spec({{"x-dead-letter-exchange", "d"}}), OwnerId::None, nullptr, nullptr,
            &host);
    q.enqueue(message("r"));
    auto m = q.get(false);
    ASSERT_TRUE(m);
    q.reject(std::move(*m));
    EXPECT_EQ(q.unacked_count(), 0u);
    EXPECT_EQ(host.dead, (Bodies{"r"}));
    EXPECT_EQ(host.reasons, (std::vector<DeathReason>{DeathReason::Rejected}));
}

TEST(QueueFeaturesTest, ExpiredMessagesDeadLetter) {
    net::EventLoop loop;
    RecordingHost host;
    Queue q(loop, "/", spec({{"x-message-ttl", int32_t{0}}, {"x-dead-letter-exchange", "d"}}),
            OwnerId::None, nullptr, nullptr, &host);
    run_turns(loop, {[&] { q.enqueue(message("e")); }, [] {}, [] {}});
    EXPECT_EQ(host.dead, (Bodies{"e"}));
    EXPECT_EQ(host.reasons, (std::vector<DeathReason>{DeathReason::Expired}));
}

TEST(QueueFeaturesTest, PriorityOrderAndFifoWithinPriority) {
    net::EventLoop loop;
    Queue q(loop, "/", spec({{"x-max-priority", int32_t{5}}}), OwnerId::None, nullptr);
    q.enqueue(message("a0"));
    q.enqueue(message("b3", 3));
    q.enqueue(message("c9", 9));  // above the maximum: counts as 5
    q.enqueue(message("d3", 3));
    q.enqueue(message("e5", 5));
    EXPECT_EQ(get_all(q), (Bodies{"c9", "e5", "b3", "d3", "a0"}));
}

TEST(QueueFeaturesTest, SingleActiveConsumerGetsEverythingUntilItLeaves) {
    net::EventLoop loop;
    Queue q(loop, "/", spec({{"x-single-active-consumer", true}}), OwnerId::None, nullptr);
    SimpleConsumer first("a"), second("b");
    run_turns(loop, {[&] {
                         q.add_consumer(&first);
                         q.add_consumer(&second);
                         for (const char* b : {"1", "2", "3"}) q.enqueue(message(b));
                     },
                     [&] {
                         q.remove_consumer(&first);
                         q.enqueue(message("4"));
                     },
                     [] {}});
    EXPECT_EQ(first.got, (Bodies{"1", "2", "3"}));
    EXPECT_EQ(second.got, (Bodies{"4"}));
}

TEST(QueueFeaturesTest, ExpiresAsksTheHostOnceUnused) {
    net::EventLoop loop;
    RecordingHost host;
    Queue q(loop, "/", spec({{"x-expires", int32_t{30}}}), OwnerId::None, nullptr, nullptr, &host);
    auto start = std::chrono::steady_clock::now();
    loop.every(std::chrono::milliseconds(5), [&] {
        if (host.expired > 0 || std::chrono::steady_clock::now() - start > std::chrono::seconds(5))
            loop.stop();
    });
    loop.run();
    EXPECT_EQ(host.expired, 1);
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(25));
}

TEST(DeadLetterTest, CycleDetectionFollowsRabbitMq) {
    auto m = message("m");
    DeadLetter first = make_dead_letter(*m, "q1", DeathReason::Expired, "dlx", std::nullopt, 1);
    EXPECT_TRUE(first.cycles_into("q1"));
    EXPECT_FALSE(first.cycles_into("q2"));
    DeadLetter rejected = make_dead_letter(*m, "q1", DeathReason::Rejected, "dlx", std::nullopt, 1);
    EXPECT_FALSE(rejected.cycles_into("q1"));
    // Expired in q2 after a rejection in q1: back to q1 passes the rejection, no cycle.
    DeadLetter second = make_dead_letter(*rejected.message, "q2", DeathReason::Expired, "dlx",
                                         std::nullopt, 2);
    EXPECT_FALSE(second.cycles_into("q1"));
    EXPECT_TRUE(second.cycles_into("q2"));
}

TEST(DeadLetterTest, RoutingKeyAndExchangeOfTheCopy) {
    auto m = message("body");
    m->set_extra_routing_keys({"cc"});
    DeadLetter keep = make_dead_letter(*m, "q", DeathReason::Rejected, "dlx", std::nullopt, 1);
    EXPECT_EQ(keep.message->exchange(), "dlx");
    EXPECT_EQ(keep.message->routing_key(), "rk");
    EXPECT_EQ(keep.message->extra_routing_keys(), (std::vector<std::string>{"cc"}));
    EXPECT_EQ(keep.message->body(), "body");
    DeadLetter rk = make_dead_letter(*m, "q", DeathReason::Rejected, "dlx", "new", 1);
    EXPECT_EQ(rk.message->routing_key(), "new");
    EXPECT_TRUE(rk.message->extra_routing_keys().empty());
}

}  // namespace
}  // namespace warren::broker
