#include "warren/auth/password.h"

#include <gtest/gtest.h>

#include <string>

namespace warren::auth {
namespace {

TEST(Password, HashIsBase64OfFourByteSaltAndSha256) {
    std::string stored = hash_password("guest");
    std::string raw = base64_decode(stored);
    EXPECT_EQ(raw.size(), 4u + 32u);
    EXPECT_EQ(stored.size(), 48u);
}

TEST(Password, HashChecksAgainstTheSamePasswordOnly) {
    std::string stored = hash_password("s3cret");
    EXPECT_TRUE(check_password("s3cret", stored));
    EXPECT_FALSE(check_password("s3cret ", stored));
    EXPECT_FALSE(check_password("S3cret", stored));
    EXPECT_FALSE(check_password("", stored));
}

TEST(Password, HashingTwiceUsesDifferentSalts) {
    EXPECT_NE(hash_password("guest"), hash_password("guest"));
}

TEST(Password, EmptyPasswordHashesAndChecks) {
    std::string stored = hash_password("");
    EXPECT_TRUE(check_password("", stored));
    EXPECT_FALSE(check_password("x", stored));
}

TEST(Password, ChecksRabbitMqsDocumentedExample) {
    // rabbitmq.com/docs/passwords, "Computing a password hash": salt 908D C60A, "test12".
    EXPECT_TRUE(check_password("test12", "kI3GCqW5JLMJa4iX1lo7X4D6XbYqlLgxIs30+P6tENUV2POR"));
    EXPECT_FALSE(check_password("test13", "kI3GCqW5JLMJa4iX1lo7X4D6XbYqlLgxIs30+P6tENUV2POR"));
}

TEST(Password, ChecksGuestHashedWithAKnownSalt) {
    // base64(908DC60A ++ sha256(908DC60A ++ "guest")), computed with Python's hashlib.
    EXPECT_TRUE(check_password("guest", "kI3GCrswBLNZQzHJJ95QLoyfAVooYhnvf7jbqiW9BjOYUloe"));
    EXPECT_FALSE(check_password("guest2", "kI3GCrswBLNZQzHJJ95QLoyfAVooYhnvf7jbqiW9BjOYUloe"));
}

TEST(Password, MalformedStoredHashNeverChecks) {
    EXPECT_FALSE(check_password("guest", ""));
    EXPECT_FALSE(check_password("guest", "not base64!"));
    EXPECT_FALSE(check_password("guest", "kI3GCrsw"));  // valid base64, too short
    EXPECT_FALSE(check_password("", ""));
}

TEST(Base64, EncodesWithPadding) {
    EXPECT_EQ(base64_encode(""), "");
    EXPECT_EQ(base64_encode("f"), "Zg==");
    EXPECT_EQ(base64_encode("fo"), "Zm8=");
    EXPECT_EQ(base64_encode("foo"), "Zm9v");
    EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
}

TEST(Base64, RoundTripsEveryByteAndLength) {
    std::string all;
    for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
    for (size_t len = 0; len <= all.size(); len += 1) {
        std::string in = all.substr(256 - len);
        EXPECT_EQ(base64_decode(base64_encode(in)), in) << len << " bytes";
    }
}

TEST(Base64, DecodesPaddedInput) {
    EXPECT_EQ(base64_decode("Zg=="), "f");
    EXPECT_EQ(base64_decode("Zm8="), "fo");
    EXPECT_EQ(base64_decode("Zm9v"), "foo");
}

TEST(Base64, MalformedInputDecodesToEmpty) {
    EXPECT_EQ(base64_decode("Zm9"), "");
    EXPECT_EQ(base64_decode("Zm9v!"), "");
    EXPECT_EQ(base64_decode("Zm$v"), "");
}

}  // namespace
}  // namespace warren::auth
