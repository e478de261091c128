#include "warren/broker/delay_timer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace warren::broker {
namespace {

DelayedEntry entry(int64_t due_ms, uint64_t id, uint32_t length = 100) {
    DelayedEntry e;
    e.due_ms = due_ms;
    e.id = id;
    e.location.length = length;
    return e;
}

std::vector<uint64_t> drain_ids(DelayTimer& timer) {
    std::vector<uint64_t> ids;
    while (!timer.empty()) {
        ids.push_back(timer.top().id);
        timer.pop();
    }
    return ids;
}

TEST(DelayTimer, PopsByDueTimeNotPushOrder) {
    DelayTimer timer;
    timer.push(entry(5000, 1));
    timer.push(entry(1000, 2));
    timer.push(entry(3000, 3));
    EXPECT_EQ(drain_ids(timer), (std::vector<uint64_t>{2, 3, 1}));
}

TEST(DelayTimer, EqualDueTimesKeepPublishOrder) {
    DelayTimer timer;
    for (uint64_t id = 1; id <= 50; ++id) timer.push(entry(7, 51 - id));
    std::vector<uint64_t> expected;
    for (uint64_t id = 1; id <= 50; ++id) expected.push_back(id);
    EXPECT_EQ(drain_ids(timer), expected);
}

TEST(DelayTimer, PopDueTakesOnlyWhatIsDue) {
    DelayTimer timer;
    timer.push(entry(10, 1));
    timer.push(entry(20, 2));
    timer.push(entry(30, 3));
    std::vector<DelayedEntry> out;
    EXPECT_EQ(timer.pop_due(5, 100, 1 << 20, out), 0u);
    EXPECT_EQ(timer.pop_due(20, 100, 1 << 20, out), 2u);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].id, 1u);
    EXPECT_EQ(out[1].id, 2u);
    EXPECT_EQ(timer.size(), 1u);
    EXPECT_EQ(timer.top().id, 3u);
}

TEST(DelayTimer, PopDueStopsAtCountAndBytes) {
    DelayTimer timer;
    for (uint64_t id = 1; id <= 10; ++id) timer.push(entry(1, id, 1000));
    std::vector<DelayedEntry> out;
    EXPECT_EQ(timer.pop_due(1, 3, 1 << 20, out), 3u);
    out.clear();
    EXPECT_EQ(timer.pop_due(1, 100, 2500, out), 3u);  // stops once 2,500 bytes are taken
    out.clear();
    EXPECT_EQ(timer.pop_due(1, 100, 10, out), 1u);  // always at least one
    EXPECT_EQ(timer.size(), 3u);
}

TEST(DelayTimer, MatchesASortAcrossRandomPushesAndPops) {
    std::mt19937_64 rng(42);
    DelayTimer timer;
    std::vector<DelayedEntry> model;
    uint64_t next_id = 1;
    for (int round = 0; round < 20000; ++round) {
        if (rng() % 3 != 0 || model.empty()) {
            DelayedEntry e = entry(static_cast<int64_t>(rng() % 500), next_id++);
            timer.push(e);
            model.push_back(e);
        } else {
            auto first = std::min_element(model.begin(), model.end(), [](auto& a, auto& b) {
                return a.due_ms != b.due_ms ? a.due_ms < b.due_ms : a.id < b.id;
            });
            ASSERT_EQ(timer.top().id, first->id);
            timer.pop();
            model.erase(first);
        }
        ASSERT_EQ(timer.size(), model.size());
    }
}

TEST(DelayTimer, ForEachMayMoveLocationsAndDrainEmpties) {
    DelayTimer timer;
    for (uint64_t id = 1; id <= 5; ++id) timer.push(entry(static_cast<int64_t>(id), id));
    timer.for_each([](DelayedEntry& e) { e.location.segment = 9; });
    size_t seen = 0;
    timer.drain([&](const DelayedEntry& e) {
        EXPECT_EQ(e.location.segment, 9u);
        ++seen;
    });
    EXPECT_EQ(seen, 5u);
    EXPECT_TRUE(timer.empty());
}

}  // namespace
}  // namespace warren::broker
