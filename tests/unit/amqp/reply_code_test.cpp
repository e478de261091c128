#include "warren/amqp/error.h"
#include "warren/amqp/methods.h"

#include <gtest/gtest.h>

namespace warren::amqp {
namespace {

TEST(ReplyCode, ValuesFollowTheSpec) {
    EXPECT_EQ(static_cast<int>(ReplyCode::ReplySuccess), 200);
    EXPECT_EQ(static_cast<int>(ReplyCode::NotFound), 404);
    EXPECT_EQ(static_cast<int>(ReplyCode::ResourceLocked), 405);
    EXPECT_EQ(static_cast<int>(ReplyCode::PreconditionFailed), 406);
    EXPECT_EQ(static_cast<int>(ReplyCode::FrameError), 501);
    EXPECT_EQ(static_cast<int>(ReplyCode::InternalError), 541);
}

TEST(ReplyCode, NameIsTheSpecNameInUpperSnakeCase) {
    EXPECT_EQ(reply_code_name(ReplyCode::ReplySuccess), "REPLY_SUCCESS");
    EXPECT_EQ(reply_code_name(ReplyCode::ContentTooLarge), "CONTENT_TOO_LARGE");
    EXPECT_EQ(reply_code_name(ReplyCode::NoConsumers), "NO_CONSUMERS");
    EXPECT_EQ(reply_code_name(ReplyCode::ConnectionForced), "CONNECTION_FORCED");
    EXPECT_EQ(reply_code_name(ReplyCode::InvalidPath), "INVALID_PATH");
    EXPECT_EQ(reply_code_name(ReplyCode::AccessRefused), "ACCESS_REFUSED");
    EXPECT_EQ(reply_code_name(ReplyCode::NotFound), "NOT_FOUND");
    EXPECT_EQ(reply_code_name(ReplyCode::ResourceLocked), "RESOURCE_LOCKED");
    EXPECT_EQ(reply_code_name(ReplyCode::PreconditionFailed), "PRECONDITION_FAILED");
    EXPECT_EQ(reply_code_name(ReplyCode::FrameError), "FRAME_ERROR");
    EXPECT_EQ(reply_code_name(ReplyCode::SyntaxError), "SYNTAX_ERROR");
    EXPECT_EQ(reply_code_name(ReplyCode::CommandInvalid), "COMMAND_INVALID");
    EXPECT_EQ(reply_code_name(ReplyCode::ChannelError), "CHANNEL_ERROR");
    EXPECT_EQ(reply_code_name(ReplyCode::UnexpectedFrame), "UNEXPECTED_FRAME");
    EXPECT_EQ(reply_code_name(ReplyCode::ResourceError), "RESOURCE_ERROR");
    EXPECT_EQ(reply_code_name(ReplyCode::NotAllowed), "NOT_ALLOWED");
    EXPECT_EQ(reply_code_name(ReplyCode::NotImplemented), "NOT_IMPLEMENTED");
    EXPECT_EQ(reply_code_name(ReplyCode::InternalError), "INTERNAL_ERROR");
}

TEST(ReplyCode, UnknownCodeHasNoName) {
    EXPECT_EQ(reply_code_name(static_cast<ReplyCode>(312)), "");
    EXPECT_EQ(reply_code_name(static_cast<ReplyCode>(0)), "");
}

TEST(ReplyCode, HardErrorsAreTheSpecsHardErrorClass) {
    for (ReplyCode hard : {ReplyCode::ConnectionForced, ReplyCode::InvalidPath,
                           ReplyCode::FrameError, ReplyCode::SyntaxError,
                           ReplyCode::CommandInvalid, ReplyCode::ChannelError,
                           ReplyCode::UnexpectedFrame, ReplyCode::ResourceError,
                           ReplyCode::NotAllowed, ReplyCode::NotImplemented,
                           ReplyCode::InternalError})
        EXPECT_TRUE(is_hard_error(hard)) << reply_code_name(hard);
    for (ReplyCode soft : {ReplyCode::ReplySuccess, ReplyCode::ContentTooLarge,
                           ReplyCode::NoConsumers, ReplyCode::AccessRefused, ReplyCode::NotFound,
                           ReplyCode::ResourceLocked, ReplyCode::PreconditionFailed})
        EXPECT_FALSE(is_hard_error(soft)) << reply_code_name(soft);
}

TEST(Error, ChannelAndConnectionErrorsCarryTheirScope) {
    Error ch = channel_error(ReplyCode::NotFound, "NOT_FOUND - x");
    EXPECT_EQ(ch.scope, Scope::Channel);
    EXPECT_EQ(ch.code, ReplyCode::NotFound);
    EXPECT_EQ(ch.text, "NOT_FOUND - x");
    Error conn = connection_error(ReplyCode::FrameError, "FRAME_ERROR - y");
    EXPECT_EQ(conn.scope, Scope::Connection);
    EXPECT_EQ(conn.code, ReplyCode::FrameError);
}

}  // namespace
}  // namespace warren::amqp
