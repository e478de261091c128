#include "warren/util/log_histogram.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace {

using warren::util::LogHistogram;

TEST(LogHistogram, EmptyReportsZero) {
    LogHistogram h;
    EXPECT_EQ(h.count(), 0u);
    EXPECT_EQ(h.percentile(0.5), 0u);
    EXPECT_EQ(h.max(), 0u);
}

TEST(LogHistogram, SmallValuesAreExact) {
    LogHistogram h;
    for (uint64_t v = 0; v < 10; ++v) h.record(v);
    EXPECT_EQ(h.percentile(0.5), 4u);
    EXPECT_EQ(h.percentile(0.0), 0u);
    EXPECT_EQ(h.percentile(1.0), 9u);
    EXPECT_EQ(h.max(), 9u);
}

TEST(LogHistogram, PercentilesAreWithinOneThirtySecond) {
    LogHistogram h;
    for (uint64_t v = 1; v <= 100000; ++v) h.record(v);
    for (double q : {0.5, 0.9, 0.99, 0.999}) {
        double want = q * 100000;
        double got = static_cast<double>(h.percentile(q));
        EXPECT_NEAR(got, want, want / 32) << q;
    }
    EXPECT_EQ(h.percentile(1.0), 100000u);
}

TEST(LogHistogram, BucketsCoverEveryValue) {
    for (uint64_t v : {uint64_t{15}, uint64_t{16}, uint64_t{17}, uint64_t{1000},
                       uint64_t{1} << 40, UINT64_MAX}) {
        size_t i = LogHistogram::index(v);
        ASSERT_LT(i, LogHistogram::kBuckets);
        uint64_t mid = LogHistogram::value_at(i);
        EXPECT_EQ(LogHistogram::index(mid), i);
        uint64_t off = mid > v ? mid - v : v - mid;  // v lies within 1/32 of its bucket's middle
        EXPECT_LE(off, mid / 32 + 1) << v;
    }
}

TEST(LogHistogram, MergeAddsCounts) {
    LogHistogram a;
    LogHistogram b;
    a.record(10);
    b.record(1000);
    b.record(1000);
    a.merge(b);
    EXPECT_EQ(a.count(), 3u);
    EXPECT_EQ(a.max(), 1000u);
    EXPECT_EQ(a.percentile(0.5), 1000u);  // its bucket's middle, 1008, is above the max
    LogHistogram empty;
    a.merge(empty);
    EXPECT_EQ(a.count(), 3u);
}

}  // namespace
