#include "warren/config/byte_size.h"

#include <gtest/gtest.h>

namespace warren::config {
namespace {

TEST(ParseByteSize, PlainBytes) {
    EXPECT_EQ(parse_byte_size("0"), 0u);
    EXPECT_EQ(parse_byte_size("134217728"), 134217728u);
    EXPECT_EQ(parse_byte_size("10B"), 10u);
}

TEST(ParseByteSize, DecimalAndBinaryUnitsAsRabbitMq) {
    EXPECT_EQ(parse_byte_size("50MB"), 50000000u);
    EXPECT_EQ(parse_byte_size("2GB"), 2000000000u);
    EXPECT_EQ(parse_byte_size("1kB"), 1000u);
    EXPECT_EQ(parse_byte_size("1k"), 1024u);
    EXPECT_EQ(parse_byte_size("512MiB"), 512u * 1024 * 1024);
    EXPECT_EQ(parse_byte_size("1M"), 1024u * 1024);
    EXPECT_EQ(parse_byte_size("2GiB"), 2ull * 1024 * 1024 * 1024);
    EXPECT_EQ(parse_byte_size("1000TB"), 1000ull * 1000 * 1000 * 1000 * 1000);
    EXPECT_EQ(parse_byte_size("1.5GiB"), 1536ull * 1024 * 1024);
    EXPECT_EQ(parse_byte_size("2gb"), 2000000000u) << "units are case-insensitive";
}

TEST(ParseByteSize, RejectsWhatIsNotASize) {
    for (const char* bad : {"", "MB", "-1", "1 MB", "1XB", "0x10", "1e9", "1.2.3", "99999999999TB"})
        EXPECT_FALSE(parse_byte_size(bad).has_value()) << bad;
}

TEST(ParseRatio, DecimalsOnly) {
    EXPECT_EQ(parse_ratio("0.4"), 0.4);
    EXPECT_EQ(parse_ratio("2"), 2.0);
    EXPECT_EQ(parse_ratio(".5"), 0.5);
    for (const char* bad : {"", ".", "0.4MB", "-0.4", "1e3", "abc"})
        EXPECT_FALSE(parse_ratio(bad).has_value()) << bad;
}

}  // namespace
}  // namespace warren::config
