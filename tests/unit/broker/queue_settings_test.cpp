#include "warren/broker/queue_settings.h"

#include "warren/broker/queue_spec.h"

#include <gtest/gtest.h>

#include <string>

namespace warren::broker {
namespace {

amqp::Result<QueueSettings> validate(amqp::FieldTable args) {
    return validate_queue_arguments(QueueSpec{"q", false, false, false, std::move(args)}, "/",
                                    "warren@test");
}

std::string error_text(amqp::FieldTable args) {
    auto r = validate(std::move(args));
    EXPECT_FALSE(r.has_value());
    return r ? std::string() : r.error().text;
}

std::string invalid(const char* arg, const char* detail) {
    return std::string("PRECONDITION_FAILED - invalid arg '") + arg +
           "' for queue 'q' in vhost '/': " + detail;
}

TEST(QueueSettingsTest, DefaultsWithoutArguments) {
    auto s = validate({});
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->message_ttl_ms, -1);
    EXPECT_EQ(s->expires_ms, -1);
    EXPECT_FALSE(s->has_length_limit());
    EXPECT_FALSE(s->has_dead_letter_exchange());
    EXPECT_EQ(s->overflow, Overflow::DropHead);
    EXPECT_EQ(s->max_priority, 0);
    EXPECT_FALSE(s->single_active_consumer);
    EXPECT_EQ(s->type, QueueType::Classic);
}

TEST(QueueSettingsTest, ParsesEveryArgument) {
    auto s = validate({{"x-message-ttl", int32_t{500}},
                       {"x-expires", int64_t{1000}},
                       {"x-max-length", int16_t{7}},
                       {"x-max-length-bytes", int32_t{4096}},
                       {"x-overflow", "reject-publish-dlx"},
                       {"x-dead-letter-exchange", "dlx"},
                       {"x-dead-letter-routing-key", "rk"},
                       {"x-max-priority", uint8_t{10}},
                       {"x-single-active-consumer", true}});
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->message_ttl_ms, 500);
    EXPECT_EQ(s->expires_ms, 1000);
    EXPECT_EQ(s->max_length, 7);
    EXPECT_EQ(s->max_length_bytes, 4096);
    EXPECT_EQ(s->overflow, Overflow::RejectPublishDlx);
    EXPECT_EQ(s->dead_letter_exchange, "dlx");
    EXPECT_EQ(s->dead_letter_routing_key, "rk");
    EXPECT_EQ(s->max_priority, 10);
    EXPECT_TRUE(s->single_active_consumer);
}

TEST(QueueSettingsTest, RabbitMqTexts) {
    EXPECT_EQ(error_text({{"x-message-ttl", int32_t{-1}}}),
              invalid("x-message-ttl", "{value_negative,-1}"));
    EXPECT_EQ(error_text({{"x-message-ttl", "abc"}}),
              invalid("x-message-ttl", "\"expected integer, got longstr\""));
    EXPECT_EQ(error_text({{"x-message-ttl", int64_t{315360000001}}}),
              invalid("x-message-ttl", "{value_too_large,315360000001}"));
    EXPECT_EQ(error_text({{"x-expires", int32_t{0}}}), invalid("x-expires", "{value_zero,0}"));
    EXPECT_EQ(error_text({{"x-overflow", "nope"}}), invalid("x-overflow", "invalid_overflow"));
    EXPECT_EQ(error_text({{"x-overflow", int32_t{1}}}),
              invalid("x-overflow", "{unacceptable_type,signedint}"));
    EXPECT_EQ(error_text({{"x-max-priority", int32_t{256}}}),
              invalid("x-max-priority", "{max_value_exceeded,256}"));
    EXPECT_EQ(error_text({{"x-queue-type", "foo"}}),
              invalid("x-queue-type", "\"unsupported queue type 'foo'\""));
    EXPECT_EQ(error_text({{"x-dead-letter-routing-key", "rk"}}),
              invalid("x-dead-letter-routing-key", "routing_key_but_no_dlx_defined"));
    EXPECT_EQ(error_text({{"x-single-active-consumer", "true"}}),
              invalid("x-single-active-consumer", "{unacceptable_type,longstr}"));
    EXPECT_EQ(error_text({{"x-dead-letter-exchange", int32_t{1}}}),
              "PRECONDITION_FAILED - invalid type 'signedint' for arg 'x-dead-letter-exchange' "
              "in queue 'q' in vhost '/'");
    EXPECT_EQ(error_text({{"x-delivery-limit", int32_t{3}}}),
              "PRECONDITION_FAILED - invalid arg 'x-delivery-limit' for queue 'q' in vhost '/' "
              "of queue type rabbit_classic_queue");
}

TEST(QueueSettingsTest, FirstInvalidArgumentInRabbitMqOrder) {
    EXPECT_EQ(error_text({{"x-message-ttl", int32_t{-1}}, {"x-expires", int32_t{0}}}),
              invalid("x-expires", "{value_zero,0}"));
    EXPECT_EQ(error_text({{"x-expires", int32_t{0}}, {"x-queue-type", "foo"}}),
              invalid("x-queue-type", "\"unsupported queue type 'foo'\""));
}

TEST(QueueSettingsTest, StreamRefusedAsConnectionError) {
    auto r = validate({{"x-queue-type", "stream"}});
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, amqp::ReplyCode::InternalError);
    EXPECT_EQ(r.error().scope, amqp::Scope::Connection);
    EXPECT_EQ(r.error().text,
              "INTERNAL_ERROR - Cannot declare a queue 'queue 'q' in vhost '/'' of type "
              "'rabbit_stream_queue' on node 'warren@test': the corresponding feature flag is "
              "disabled");
}

amqp::Result<QueueSettings> validate_quorum(amqp::FieldTable args, bool durable = true,
                                            bool exclusive = false, bool auto_delete = false) {
    args.append("x-queue-type", std::string("quorum"));
    return validate_queue_arguments(QueueSpec{"q", durable, exclusive, auto_delete,
                                              std::move(args)},
                                    "/", "warren@test");
}

std::string not_for_type(const char* arg, const char* type) {
    return std::string("PRECONDITION_FAILED - invalid arg '") + arg +
           "' for queue 'q' in vhost '/' of queue type " + type;
}

TEST(QueueSettingsTest, QuorumTakesItsArguments) {
    auto s = validate_quorum({{"x-delivery-limit", int32_t{3}},
                              {"x-dead-letter-strategy", "at-least-once"},
                              {"x-max-in-memory-length", int32_t{5}},
                              {"x-quorum-initial-group-size", int32_t{3}},
                              {"x-queue-leader-locator", "balanced"}});
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->type, QueueType::Quorum);
    EXPECT_EQ(s->delivery_limit, 3);
}

TEST(QueueSettingsTest, NegativeDeliveryLimitActsAsZero) {
    auto s = validate_quorum({{"x-delivery-limit", int32_t{-1}}});
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->delivery_limit, 0);
    auto none = validate_quorum({{"x-delivery-limit", "x"}});
    ASSERT_TRUE(none.has_value());
    EXPECT_EQ(none->delivery_limit, -1);
}

TEST(QueueSettingsTest, QuorumPropertiesInRabbitOrder) {
    auto text = [](bool durable, bool exclusive, bool auto_delete) {
        auto r = validate_quorum({}, durable, exclusive, auto_delete);
        return r ? std::string() : r.error().text;
    };
    auto prop = [](const char* p) {
        return std::string("PRECONDITION_FAILED - invalid property '") + p +
               "' for queue 'q' in vhost '/'";
    };
    EXPECT_EQ(text(false, false, false), prop("non-durable"));
    EXPECT_EQ(text(false, true, false), prop("exclusive-owner"));
    EXPECT_EQ(text(true, true, true), prop("auto-delete"));
}

TEST(QueueSettingsTest, ArgumentsOfOtherTypesAfterValues) {
    auto text = [](amqp::FieldTable args) {
        auto r = validate_quorum(std::move(args));
        return r ? std::string() : r.error().text;
    };
    EXPECT_EQ(text({{"x-max-priority", int32_t{300}}}),
              not_for_type("x-max-priority", "rabbit_quorum_queue"));
    EXPECT_EQ(text({{"x-max-priority", int32_t{1}}, {"x-max-length", int32_t{-1}}}),
              invalid("x-max-length", "{value_negative,-1}"));
    EXPECT_EQ(text({{"x-max-age", "1D"}, {"x-queue-mode", "lazy"}}),
              not_for_type("x-max-age", "rabbit_quorum_queue"));
    EXPECT_EQ(text({{"x-quorum-initial-group-size", int32_t{0}}}),
              invalid("x-quorum-initial-group-size", "{value_zero,0}"));
    EXPECT_EQ(text({{"x-dead-letter-strategy", "foo"}, {"x-max-length", int32_t{-1}}}),
              invalid("x-dead-letter-strategy", "invalid_dlx_strategy"));
    EXPECT_EQ(error_text({{"x-quorum-initial-group-size", int32_t{0}}}),
              not_for_type("x-quorum-initial-group-size", "rabbit_classic_queue"));
    EXPECT_EQ(error_text({{"x-queue-version", int32_t{3}}}),
              invalid("x-queue-version", "\"unsupported queue version '3'\""));
}

TEST(QueueSettingsTest, ConsumerArgumentsByQueueType) {
    auto text = [](QueueType type, amqp::FieldTable args) {
        auto r = validate_consumer_arguments(type, args, "q", "/");
        return r ? std::string() : r.error().text;
    };
    EXPECT_EQ(text(QueueType::Classic, {{"x-cancel-on-ha-failover", true}}), "");
    EXPECT_EQ(text(QueueType::Quorum, {{"x-cancel-on-ha-failover", true}}),
              not_for_type("x-cancel-on-ha-failover", "rabbit_quorum_queue"));
    EXPECT_EQ(text(QueueType::Classic, {{"x-stream-offset", int32_t{1}}}),
              not_for_type("x-stream-offset", "rabbit_classic_queue"));
    EXPECT_EQ(text(QueueType::Quorum, {{"x-priority", "a"}}),
              invalid("x-priority", "\"expected integer, got longstr\""));
    EXPECT_EQ(text(QueueType::Quorum, {{"x-priority", int32_t{5}}, {"x-foo", int32_t{1}}}), "");
}

TEST(QueueSettingsTest, ConsumerTimeoutArgument) {
    EXPECT_EQ(effective({{"x-consumer-timeout", int32_t{500}}}, nullptr, nullptr)
                  .consumer_timeout_ms,
              500);
    EXPECT_EQ(effective({{"x-consumer-timeout", "500"}}, nullptr, nullptr).consumer_timeout_ms,
              -1);
    PolicyDefinition policy{{{"consumer-timeout", int32_t{300}}}};
    EXPECT_EQ(effective({{"x-consumer-timeout", int32_t{500}}}, &policy, nullptr)
                  .consumer_timeout_ms,
              300);
}

TEST(QueueSettingsTest, PolicyOverlay) {
    amqp::FieldTable args{{"x-max-length", int32_t{100}},
                          {"x-dead-letter-exchange", "from-arg"},
                          {"x-message-ttl", int32_t{5000}}};
    PolicyDefinition policy{{{"max-length", int32_t{50}},
                             {"dead-letter-exchange", "from-policy"},
                             {"expires", int32_t{9000}},
                             {"overflow", "reject-publish"},
                             {"message-ttl", int32_t{8000}}}};
    PolicyDefinition op{{{"expires", int32_t{7000}}, {"message-ttl", int32_t{1000}}}};
    QueueSettings s = effective(args, &policy, &op);
    EXPECT_EQ(s.max_length, 50);                       // lower of policy and argument
    EXPECT_EQ(s.dead_letter_exchange, "from-arg");     // the argument wins
    EXPECT_EQ(s.expires_ms, 7000);                     // lower of policy and operator policy
    EXPECT_EQ(s.message_ttl_ms, 1000);                 // lowest of the three
    EXPECT_EQ(s.overflow, Overflow::RejectPublish);    // policy where no argument
    QueueSettings only_args = effective(args, nullptr, nullptr);
    EXPECT_EQ(only_args.max_length, 100);
    EXPECT_EQ(only_args.expires_ms, -1);
}

}  // namespace
}  // namespace warren::broker
