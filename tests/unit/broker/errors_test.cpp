#include "warren/broker/errors.h"

#include <gtest/gtest.h>

namespace warren::broker {
namespace {

using amqp::ReplyCode;
using amqp::Scope;

void expect_error(const amqp::Error& e, ReplyCode code, Scope scope, const std::string& text) {
    EXPECT_EQ(e.code, code) << text;
    EXPECT_EQ(e.scope, scope) << text;
    EXPECT_EQ(e.text, text);
}

TEST(Errors, NotFoundTextsNameTheResourceAndVhost) {
    expect_error(errors::no_queue("q", "/"), ReplyCode::NotFound, Scope::Channel,
                 "NOT_FOUND - no queue 'q' in vhost '/'");
    expect_error(errors::no_exchange("x", "vh"), ReplyCode::NotFound, Scope::Channel,
                 "NOT_FOUND - no exchange 'x' in vhost 'vh'");
}

TEST(Errors, DelayedExchangeArgumentsAsThePluginWordsThem) {
    // rabbit_exchange_type_delayed_message:validate/1.
    expect_error(errors::delayed_type_required(), ReplyCode::PreconditionFailed, Scope::Channel,
                 "PRECONDITION_FAILED - Invalid argument, 'x-delayed-type' must be an existing "
                 "exchange type");
    expect_error(errors::delayed_type_recursive(), ReplyCode::PreconditionFailed,
                 Scope::Channel,
                 "PRECONDITION_FAILED - Invalid argument, 'x-delayed-message' can't be used for "
                 "'x-delayed-type'");
}

TEST(Errors, ReservedNamesAreAccessRefused) {
    expect_error(errors::reserved_name("queue", "amq.q"), ReplyCode::AccessRefused,
                 Scope::Channel,
                 "ACCESS_REFUSED - queue name 'amq.q' contains reserved prefix 'amq.*'");
    expect_error(errors::reserved_name("exchange", "amq.x"), ReplyCode::AccessRefused,
                 Scope::Channel,
                 "ACCESS_REFUSED - exchange name 'amq.x' contains reserved prefix 'amq.*'");
}

TEST(Errors, DeleteConditionsArePreconditionFailed) {
    expect_error(errors::queue_in_use("q", "/"), ReplyCode::PreconditionFailed, Scope::Channel,
                 "PRECONDITION_FAILED - queue 'q' in vhost '/' in use");
    expect_error(errors::queue_not_empty("q", "/"), ReplyCode::PreconditionFailed,
                 Scope::Channel, "PRECONDITION_FAILED - queue 'q' in vhost '/' not empty");
    expect_error(errors::exchange_in_use("x", "/"), ReplyCode::PreconditionFailed,
                 Scope::Channel, "PRECONDITION_FAILED - exchange 'x' in vhost '/' in use");
}

TEST(Errors, AccessRefusedNamesKindResourceVhostAndUser) {
    expect_error(errors::access_refused("queue", "q", "/", "bob"), ReplyCode::AccessRefused,
                 Scope::Channel,
                 "ACCESS_REFUSED - access to queue 'q' in vhost '/' refused for user 'bob'");
    expect_error(errors::queue_in_exclusive_use("q", "/"), ReplyCode::AccessRefused,
                 Scope::Channel, "ACCESS_REFUSED - queue 'q' in vhost '/' in exclusive use");
    expect_error(errors::internal_exchange_publish("x", "/"), ReplyCode::AccessRefused,
                 Scope::Channel,
                 "ACCESS_REFUSED - cannot publish to internal exchange 'x' in vhost '/'");
}

TEST(Errors, DeliveryAndConsumerTagErrors) {
    expect_error(errors::unknown_delivery_tag(42), ReplyCode::PreconditionFailed, Scope::Channel,
                 "PRECONDITION_FAILED - unknown delivery tag 42");
    expect_error(errors::reuse_consumer_tag("ctag"), ReplyCode::NotAllowed, Scope::Connection,
                 "NOT_ALLOWED - attempt to reuse consumer tag 'ctag'");
}

TEST(Errors, InequivalentArgQuotesAsGiven) {
    expect_error(errors::inequivalent_arg("type", "exchange", "x", "/", "'a'", "'b'"),
                 ReplyCode::PreconditionFailed, Scope::Channel,
                 "PRECONDITION_FAILED - inequivalent arg 'type' for exchange 'x' in vhost '/': "
                 "received 'a' but current is 'b'");
}

}  // namespace
}  // namespace warren::broker
