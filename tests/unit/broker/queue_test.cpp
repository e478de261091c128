#include "warren/broker/queue.h"

#include "broker/loop_turns.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace warren::broker {
namespace {

using test::run_turns;

class FakeConsumer : public Consumer {
public:
    explicit FakeConsumer(std::string tag, bool no_ack = false, int32_t priority = 0)
        : Consumer(std::move(tag), no_ack, false, priority) {}
    ~FakeConsumer() override = default;

    bool can_accept() const override { return accepting; }
    void deliver(Queue&, QueuedMessage&& m) override { delivered.push_back(std::move(m)); }
    void on_queue_deleted(Queue&) override { ++deleted_calls; }

    std::vector<std::string> bodies() const {
        std::vector<std::string> out;
        for (const auto& m : delivered) out.emplace_back(m.message->body());
        return out;
    }

    bool accepting = true;
    std::vector<QueuedMessage> delivered;
    int deleted_calls = 0;
};

MessageRef message(const std::string& body) {
    return MessageRef::make("ex", "rk", util::SharedBytes::copy_of(body), 0, false);
}

class QueueTest : public ::testing::Test {
protected:
    net::EventLoop loop_;
    Queue queue_{loop_, "/", QueueSpec{"q", false, false, false, {}}, OwnerId::None, nullptr};

    void publish(std::initializer_list<const char*> bodies) {
        for (const char* b : bodies) queue_.enqueue(message(b));
    }
    std::vector<std::string> get_all(bool no_ack) {
        std::vector<std::string> out;
        while (auto m = queue_.get(no_ack)) out.emplace_back(m->message->body());
        return out;
    }
};

using Bodies = std::vector<std::string>;

TEST_F(QueueTest, GetTakesMessagesInPublishOrder) {
    publish({"1", "2", "3"});
    EXPECT_EQ(queue_.ready_count(), 3u);
    auto m = queue_.get(true);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->message->body(), "1");
    EXPECT_FALSE(m->redelivered);
    EXPECT_EQ(get_all(true), (Bodies{"2", "3"}));
    EXPECT_FALSE(queue_.get(true));
}

TEST_F(QueueTest, GetCountsUnackedUnlessNoAck) {
    publish({"1", "2"});
    auto unacked = queue_.get(false);
    queue_.get(true);
    EXPECT_EQ(queue_.unacked_count(), 1u);
    queue_.remove_delivered(std::move(*unacked));
    EXPECT_EQ(queue_.unacked_count(), 0u);
    EXPECT_EQ(queue_.ready_count(), 0u);
}

TEST_F(QueueTest, RequeuePutsMessagesBackInOriginalOrderFlaggedRedelivered) {
    publish({"1", "2", "3", "4"});
    auto m1 = *queue_.get(false);
    auto m2 = *queue_.get(false);
    auto m3 = *queue_.get(false);
    std::vector<QueuedMessage> back;
    back.push_back(std::move(m3));
    back.push_back(std::move(m1));
    queue_.requeue(std::move(back));
    EXPECT_EQ(queue_.unacked_count(), 1u);
    queue_.requeue(std::move(m2));
    EXPECT_EQ(queue_.unacked_count(), 0u);

    std::vector<std::string> bodies;
    std::vector<bool> redelivered;
    while (auto m = queue_.get(true)) {
        bodies.emplace_back(m->message->body());
        redelivered.push_back(m->redelivered);
    }
    EXPECT_EQ(bodies, (Bodies{"1", "2", "3", "4"}));
    EXPECT_EQ(redelivered, (std::vector<bool>{true, true, true, false}));
}

TEST_F(QueueTest, RequeueInterleavesWithMessagesStillReady) {
    publish({"1", "2", "3", "4", "5"});
    auto m1 = *queue_.get(false);
    auto m2 = *queue_.get(false);
    auto m3 = *queue_.get(false);
    queue_.requeue(std::move(m2));  // "1" and "3" still out, "4" "5" ready
    EXPECT_EQ(queue_.ready_count(), 3u);
    std::vector<QueuedMessage> back;
    back.push_back(std::move(m3));
    back.push_back(std::move(m1));
    queue_.requeue(std::move(back));
    EXPECT_EQ(get_all(true), (Bodies{"1", "2", "3", "4", "5"}));
}

TEST_F(QueueTest, PurgeDropsReadyMessagesOnly) {
    publish({"1", "2", "3"});
    auto out = queue_.get(false);
    EXPECT_EQ(queue_.purge(), 2u);
    EXPECT_EQ(queue_.ready_count(), 0u);
    EXPECT_EQ(queue_.unacked_count(), 1u);
}

TEST_F(QueueTest, DispatchRoundRobinsAcrossConsumers) {
    FakeConsumer a("a"), b("b"), c("c");
    queue_.add_consumer(&a);
    queue_.add_consumer(&b);
    queue_.add_consumer(&c);
    publish({"1", "2", "3", "4", "5", "6", "7"});
    run_turns(loop_, {[] {}});
    EXPECT_EQ(a.bodies(), (Bodies{"1", "4", "7"}));
    EXPECT_EQ(b.bodies(), (Bodies{"2", "5"}));
    EXPECT_EQ(c.bodies(), (Bodies{"3", "6"}));
    EXPECT_EQ(queue_.ready_count(), 0u);
    EXPECT_EQ(queue_.unacked_count(), 7u);
}

TEST_F(QueueTest, DispatchWaitsForTheEndOfTheTurn) {
    FakeConsumer a("a");
    queue_.add_consumer(&a);
    publish({"1"});
    EXPECT_TRUE(a.delivered.empty());
    run_turns(loop_, {[&] {
                          EXPECT_EQ(a.bodies(), (Bodies{"1"}));
                          publish({"2", "3"});
                          EXPECT_EQ(a.delivered.size(), 1u);
                      },
                      [&] { EXPECT_EQ(a.bodies(), (Bodies{"1", "2", "3"})); }});
}

TEST_F(QueueTest, NoAckConsumersLeaveNothingUnacked) {
    FakeConsumer a("a", /*no_ack=*/true);
    queue_.add_consumer(&a);
    publish({"1", "2"});
    run_turns(loop_, {[] {}});
    EXPECT_EQ(a.delivered.size(), 2u);
    EXPECT_EQ(queue_.unacked_count(), 0u);
}

TEST_F(QueueTest, ConsumerThatCannotAcceptIsSkipped) {
    FakeConsumer a("a"), b("b");
    b.accepting = false;
    queue_.add_consumer(&a);
    queue_.add_consumer(&b);
    publish({"1", "2", "3"});
    run_turns(loop_, {[] {}});
    EXPECT_EQ(a.bodies(), (Bodies{"1", "2", "3"}));
    EXPECT_TRUE(b.delivered.empty());
}

TEST_F(QueueTest, MessagesWaitWhileEveryConsumerIsFullAndFlowOnWake) {
    FakeConsumer a("a");
    a.accepting = false;
    queue_.add_consumer(&a);
    publish({"1", "2"});
    run_turns(loop_, {[&] {
                          EXPECT_TRUE(a.delivered.empty());
                          EXPECT_EQ(queue_.ready_count(), 2u);
                          a.accepting = true;
                          queue_.wake();
                      },
                      [&] { EXPECT_EQ(a.bodies(), (Bodies{"1", "2"})); }});
}

TEST_F(QueueTest, RequeuedMessagesAreRedeliveredFirst) {
    FakeConsumer a("a");
    queue_.add_consumer(&a);
    publish({"1", "2"});
    run_turns(loop_, {[&] {
                          ASSERT_EQ(a.delivered.size(), 2u);
                          std::vector<QueuedMessage> back = std::move(a.delivered);
                          a.delivered.clear();
                          publish({"3"});
                          queue_.requeue(std::move(back));
                      },
                      [&] {
                          ASSERT_EQ(a.bodies(), (Bodies{"1", "2", "3"}));
                          EXPECT_TRUE(a.delivered[0].redelivered);
                          EXPECT_TRUE(a.delivered[1].redelivered);
                          EXPECT_FALSE(a.delivered[2].redelivered);
                      }});
}

TEST_F(QueueTest, RemovedConsumerGetsNothingMore) {
    FakeConsumer a("a"), b("b");
    queue_.add_consumer(&a);
    queue_.add_consumer(&b);
    EXPECT_TRUE(queue_.remove_consumer(&a));
    EXPECT_FALSE(queue_.remove_consumer(&a));
    publish({"1", "2"});
    run_turns(loop_, {[] {}});
    EXPECT_TRUE(a.delivered.empty());
    EXPECT_EQ(b.bodies(), (Bodies{"1", "2"}));
    EXPECT_EQ(queue_.consumer_count(), 1u);
    EXPECT_TRUE(queue_.had_consumers());
}

TEST_F(QueueTest, RoundRobinContinuesAfterAnEarlierConsumerLeaves) {
    FakeConsumer a("a"), b("b"), c("c");
    queue_.add_consumer(&a);
    queue_.add_consumer(&b);
    queue_.add_consumer(&c);
    publish({"1", "2"});
    run_turns(loop_, {[&] {
                          EXPECT_EQ(a.bodies(), (Bodies{"1"}));
                          EXPECT_EQ(b.bodies(), (Bodies{"2"}));
                          queue_.remove_consumer(&a);
                          publish({"3", "4"});
                      },
                      [&] {
                          EXPECT_EQ(c.bodies(), (Bodies{"3"}));
                          EXPECT_EQ(b.bodies(), (Bodies{"2", "4"}));
                      }});
}

TEST_F(QueueTest, HigherPriorityConsumersAreServedWhileTheyCanAccept) {
    FakeConsumer low("low", false, 0), high1("high1", false, 5), high2("high2", false, 5);
    queue_.add_consumer(&low);
    queue_.add_consumer(&high1);
    queue_.add_consumer(&high2);
    publish({"1", "2", "3"});
    run_turns(loop_, {[&] {
                          EXPECT_EQ(high1.bodies(), (Bodies{"1", "3"}));
                          EXPECT_EQ(high2.bodies(), (Bodies{"2"}));
                          EXPECT_TRUE(low.delivered.empty());
                          high1.accepting = high2.accepting = false;
                          publish({"4"});
                      },
                      [&] { EXPECT_EQ(low.bodies(), (Bodies{"4"})); }});
}

TEST_F(QueueTest, ExclusiveConsumerIsTracked) {
    FakeConsumer plain("p");
    queue_.add_consumer(&plain);
    EXPECT_FALSE(queue_.has_exclusive_consumer());
    struct ExclusiveConsumer : Consumer {
        ExclusiveConsumer() : Consumer("x", false, true) {}
        bool can_accept() const override { return false; }
        void deliver(Queue&, QueuedMessage&&) override {}
        void on_queue_deleted(Queue&) override {}
    } exclusive;
    queue_.add_consumer(&exclusive);
    EXPECT_TRUE(queue_.has_exclusive_consumer());
    queue_.remove_consumer(&exclusive);
    EXPECT_FALSE(queue_.has_exclusive_consumer());
}

TEST_F(QueueTest, MarkDeletedNotifiesConsumersAndDropsMessages) {
    FakeConsumer a("a"), b("b");
    a.accepting = b.accepting = false;
    queue_.add_consumer(&a);
    queue_.add_consumer(&b);
    publish({"1"});
    queue_.mark_deleted();
    EXPECT_TRUE(queue_.is_deleted());
    EXPECT_EQ(a.deleted_calls, 1);
    EXPECT_EQ(b.deleted_calls, 1);
    EXPECT_EQ(queue_.consumer_count(), 0u);
    EXPECT_EQ(queue_.ready_count(), 0u);
    queue_.enqueue(message("late"));
    EXPECT_EQ(queue_.ready_count(), 0u);
    queue_.mark_deleted();
    EXPECT_EQ(a.deleted_calls, 1);
    run_turns(loop_, {[] {}});
    EXPECT_TRUE(a.delivered.empty());
}

TEST_F(QueueTest, EnqueueSharesTheMessageInsteadOfCopying) {
    MessageRef m = message("body");
    Queue other(loop_, "/", QueueSpec{"q2", false, false, false, {}}, OwnerId::None, nullptr);
    queue_.enqueue(m);
    other.enqueue(m);
    EXPECT_EQ(m->ref_count(), 3u);
    EXPECT_EQ(queue_.get(true)->message.get(), other.get(true)->message.get());
}

}  // namespace
}  // namespace warren::broker
