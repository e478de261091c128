#include "warren/util/crc32c.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace {

using warren::util::crc32c;
using warren::util::crc32c_portable;

TEST(Crc32c, KnownVectors) {
    // RFC 3720 B.4 and the common "123456789" check value.
    EXPECT_EQ(crc32c("123456789", 9), 0xE3069283u);
    std::string zeros(32, '\0');
    EXPECT_EQ(crc32c(zeros.data(), zeros.size()), 0x8A9136AAu);
    std::string ones(32, '\xFF');
    EXPECT_EQ(crc32c(ones.data(), ones.size()), 0x62A8AB43u);
    EXPECT_EQ(crc32c("", 0), 0u);
}

TEST(Crc32c, HardwareAndPortableAgreeOnEveryLengthAndAlignment) {
    std::mt19937 rng(7);
    std::string data(4096 + 16, '\0');
    for (char& c : data) c = static_cast<char>(rng());
    for (size_t offset = 0; offset < 9; ++offset)
        for (size_t len : {0, 1, 7, 8, 9, 15, 16, 63, 64, 65, 1000, 4096}) {
            EXPECT_EQ(crc32c(data.data() + offset, len), crc32c_portable(data.data() + offset, len))
                << "offset " << offset << " len " << len;
        }
}

TEST(Crc32c, ChainsLikeOneCall) {
    std::string a = "hello, ", b = "world";
    EXPECT_EQ(crc32c(b.data(), b.size(), crc32c(a.data(), a.size())),
              crc32c((a + b).data(), a.size() + b.size()));
    EXPECT_EQ(crc32c_portable(b.data(), b.size(), crc32c_portable(a.data(), a.size())),
              crc32c((a + b).data(), a.size() + b.size()));
}

}  // namespace
