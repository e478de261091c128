#include "warren/store/message_log.h"

#include "warren/store/atomic_file.h"

#include "broker/loop_turns.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>
#include <string>
#include <vector>

namespace warren::store {
namespace {

using test::run_turns;

class MessageLogTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("warren-log-test-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    struct Found {
        uint64_t id;
        std::string queue;
        bool delivered;
        Location location;
        int64_t due_ms;
        uint32_t deliveries = 0;
    };

    /// Opens the log in a fresh loop, recovers, and runs `steps` (each in a turn).
    std::vector<Found> open_and_run(std::vector<std::function<void(MessageLog&)>> steps = {},
                                    RecoveryReport* report = nullptr) {
        net::EventLoop loop;
        MessageLog log(loop, dir_.string());
        std::vector<Found> found;
        auto r = log.recover([&](const RecoveredEntry& e) {
            found.push_back(
                {e.id, std::string(e.queue), e.delivered, e.location, e.due_ms, e.deliveries});
            log.retain(e.location.segment);  // as the broker does for each copy it keeps
        });
        if (report) *report = r;
        std::vector<std::function<void()>> turns;
        for (auto& step : steps) turns.push_back([&log, step] { step(log); });
        run_turns(loop, std::move(turns));
        return found;
    }

    std::filesystem::path dir_;
};

TEST_F(MessageLogTest, RecoveryRebuildsEachQueuesCopiesInPublishOrder) {
    open_and_run({[](MessageLog& log) {
                      for (int i = 0; i < 4; ++i)
                          log.append_publish(log.next_id(), {"q1", "q2"}, "ex", "rk",
                                             "props+body" + std::to_string(i), 5);
                  },
                  [](MessageLog& log) {
                      log.append_remove("q1", 1);
                      log.append_remove("q2", 1);
                      log.append_remove("q1", 2);
                      log.append_delivered("q2", 3);
                  }});
    RecoveryReport report;
    auto found = open_and_run({}, &report);
    ASSERT_EQ(found.size(), 5u);  // 2: q2; 3: q1, q2 (delivered); 4: q1, q2
    EXPECT_EQ(found[0].id, 2u);
    EXPECT_EQ(found[0].queue, "q2");
    EXPECT_EQ(found[1].id, 3u);
    EXPECT_EQ(found[1].queue, "q1");
    EXPECT_FALSE(found[1].delivered);
    EXPECT_EQ(found[2].queue, "q2");
    EXPECT_TRUE(found[2].delivered);
    EXPECT_EQ(found[4].id, 4u);
    EXPECT_EQ(report.messages, 3u);
    EXPECT_TRUE(report.problems.empty());
}

TEST_F(MessageLogTest, DeliveredRecordsAreCountedPerQueue) {
    // Quorum queues append one delivered record per delivery; a relocate record carries
    // the count its copy had when it moved.
    open_and_run({[](MessageLog& log) {
                      log.append_publish(log.next_id(), {"q1", "q2"}, "", "k", "a", 0);
                      log.append_publish(log.next_id(), {"q1"}, "", "k", "b", 0);
                      log.append_delivered("q1", 1);
                  },
                  [](MessageLog& log) {
                      log.append_delivered("q1", 1);
                      log.append_delivered("q2", 1);
                      log.append_delivered("q1", 2);
                  },
                  [](MessageLog& log) {
                      log.append_relocate(2, "q1", 5, "", "k", "b", 0);
                      log.append_delivered("q1", 2);
                  }});
    auto found = open_and_run();
    ASSERT_EQ(found.size(), 3u);
    EXPECT_EQ(found[0].queue, "q1");
    EXPECT_EQ(found[0].deliveries, 2u);
    EXPECT_EQ(found[1].queue, "q2");
    EXPECT_EQ(found[1].deliveries, 1u);
    EXPECT_EQ(found[2].id, 2u);
    EXPECT_EQ(found[2].deliveries, 6u);  // 5 when it moved, one more since
    EXPECT_TRUE(found[2].delivered);
}

TEST_F(MessageLogTest, DropQueueForgetsEveryMessageOfThatQueueOnly) {
    open_and_run({[](MessageLog& log) {
        log.append_publish(log.next_id(), {"a"}, "", "a", "1", 0);
        log.append_publish(log.next_id(), {"a", "b"}, "", "x", "2", 0);
        log.append_publish(log.next_id(), {"b"}, "", "b", "3", 0);
        log.append_drop_queue("a");
    }});
    auto found = open_and_run();
    ASSERT_EQ(found.size(), 2u);
    EXPECT_EQ(found[0].id, 2u);
    EXPECT_EQ(found[0].queue, "b");
    EXPECT_EQ(found[1].id, 3u);
}

TEST_F(MessageLogTest, ReadsBackARecordStillInThisTurnsBuffer) {
    net::EventLoop loop;
    MessageLog log(loop, dir_.string());
    log.recover([](const RecoveredEntry&) {});
    uint64_t id = log.next_id();
    Location at = log.append_publish(id, {"q"}, "amq.topic", "a.b", "PPbody", 2);
    std::string buf(at.length, '\0');
    ASSERT_TRUE(log.read(at.segment, at.offset, at.length, buf.data()));
    PublishRecord rec;
    ASSERT_TRUE(MessageLog::decode_publish(buf, rec));
    EXPECT_EQ(rec.id, id);
    EXPECT_EQ(rec.exchange, "amq.topic");
    EXPECT_EQ(rec.routing_key, "a.b");
    EXPECT_EQ(rec.properties_size, 2u);
    EXPECT_EQ(rec.data, "PPbody");
    // A second record lands right behind the first.
    Location next = log.append_publish(log.next_id(), {"q"}, "", "q", "x", 0);
    EXPECT_EQ(next.segment, at.segment);
    EXPECT_EQ(next.offset, at.offset + at.length);
    // A flipped byte fails the checksum.
    buf[buf.size() - 1] ^= 1;
    EXPECT_FALSE(MessageLog::decode_publish(buf, rec));
    EXPECT_FALSE(MessageLog::decode_publish(std::string_view(buf).substr(0, 5), rec));
}

TEST_F(MessageLogTest, RecoveredLocationsReadBackTheirBodies) {
    open_and_run({[](MessageLog& log) {
        for (int i = 0; i < 100; ++i)
            log.append_publish(log.next_id(), {"q"}, "", "q", "body-" + std::to_string(i), 0);
    }});
    net::EventLoop loop;
    MessageLog log(loop, dir_.string());
    std::vector<RecoveredEntry> entries;
    log.recover([&](const RecoveredEntry& e) {
        entries.push_back(e);
        log.retain(e.location.segment);  // else the segment is collected as fully acked
    });
    ASSERT_EQ(entries.size(), 100u);
    for (size_t i = 0; i < entries.size(); ++i) {
        const Location& at = entries[i].location;
        std::string buf(at.length, '\0');
        ASSERT_TRUE(log.read(at.segment, at.offset, at.length, buf.data()));
        PublishRecord rec;
        ASSERT_TRUE(MessageLog::decode_publish(buf, rec));
        EXPECT_EQ(rec.data, "body-" + std::to_string(i));
    }
}

TEST_F(MessageLogTest, TornTailIsTruncatedAndReported) {
    open_and_run({[](MessageLog& log) {
        log.append_publish(log.next_id(), {"q"}, "", "q", "kept", 0);
        log.append_publish(log.next_id(), {"q"}, "", "q", "torn", 0);
    }});
    // Only segment 1 exists; chop the last 3 bytes as a crash mid-write would.
    auto seg = dir_ / "0000000001.seg";
    auto size = std::filesystem::file_size(seg);
    std::filesystem::resize_file(seg, size - 3);
    RecoveryReport report;
    auto found = open_and_run({}, &report);
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].id, 1u);
    ASSERT_EQ(report.problems.size(), 1u);
    EXPECT_NE(report.problems[0].find("torn record"), std::string::npos);
    EXPECT_GT(report.truncated_bytes, 0u);
}

TEST_F(MessageLogTest, IdsContinueAfterRecovery) {
    open_and_run({[](MessageLog& log) {
        log.append_publish(log.next_id(), {"q"}, "", "q", "1", 0);
        log.append_publish(log.next_id(), {"q"}, "", "q", "2", 0);
    }});
    net::EventLoop loop;
    MessageLog log(loop, dir_.string());
    log.recover([](const RecoveredEntry&) {});
    EXPECT_EQ(log.next_id(), 3u);
}

}  // namespace
}  // namespace warren::store

namespace warren::store {
namespace {

class CompactionTest : public MessageLogTest {};

TEST_F(CompactionTest, RelocatedCopiesKeepTheirPlaceAndTheOldSegmentGoesOnceDurable) {
    // 4 KiB segments: the first message pins segment 1 while traffic fills newer ones.
    std::string big(1500, 'x');
    {
        net::EventLoop loop;
        MessageLog log(loop, dir_.string(), 4096);
        log.recover([](const RecoveredEntry&) {});
        Location first{};
        std::optional<uint32_t> candidate;
        std::vector<std::function<void()>> steps{
            [&] {
                first = log.append_publish(log.next_id(), {"slow", "other"}, "", "k", "first", 0);
            },
                         [&] {
                             for (int i = 0; i < 12; ++i) {
                                 uint64_t id = log.next_id();
                                 Location at = log.append_publish(id, {"fast"}, "", "k", big, 0);
                                 log.append_remove("fast", id);
                                 log.release(at.segment);
                             }
                             log.append_publish(log.next_id(), {"slow"}, "", "k", "last", 0);
                         },
                         [&] {
                             candidate = log.segment_to_compact(10);
                             ASSERT_TRUE(candidate.has_value());
                             EXPECT_EQ(*candidate, first.segment);
                             // "other" took it already; "slow" still holds it, delivered.
                             log.append_remove("other", 1);
                             log.release(first.segment);
                             log.append_relocate(1, "slow", true, "", "k", "first", 0);
                             log.release(first.segment);
                         },
                         };
        // Then turns that let the syncer report: the old segment may only go once the
        // move is durable.
        for (int i = 0; i < 100; ++i)
            steps.push_back([] { std::this_thread::sleep_for(std::chrono::milliseconds(2)); });
        run_turns(loop, std::move(steps));
        EXPECT_FALSE(std::filesystem::exists(dir_ / "0000000001.seg"));
        EXPECT_EQ(log.relocated_total(), 1u);
    }
    net::EventLoop loop;
    MessageLog log(loop, dir_.string(), 4096);
    std::vector<std::pair<std::string, bool>> slow;
    std::vector<std::string> bodies;
    log.recover([&](const RecoveredEntry& e) {
        log.retain(e.location.segment);
        std::string buf(e.location.length, '\0');
        ASSERT_TRUE(log.read(e.location.segment, e.location.offset, e.location.length,
                             buf.data()));
        PublishRecord rec;
        ASSERT_TRUE(MessageLog::decode_publish(buf, rec));
        slow.emplace_back(std::string(e.queue), e.delivered);
        bodies.emplace_back(rec.data);
    });
    ASSERT_EQ(bodies.size(), 2u);
    EXPECT_EQ(bodies[0], "first");  // its id keeps it ahead of the later message
    EXPECT_EQ(bodies[1], "last");
    EXPECT_EQ(slow[0], std::make_pair(std::string("slow"), true));
    EXPECT_EQ(slow[1], std::make_pair(std::string("slow"), false));
}

TEST_F(CompactionTest, RelocationWhileTheOriginalIsStillThereUpdatesOneHolder) {
    open_and_run({[](MessageLog& log) {
        log.append_publish(log.next_id(), {"a", "b"}, "", "k", "m1", 0);
        log.append_publish(log.next_id(), {"a"}, "", "k", "m2", 0);
        log.append_relocate(1, "b", false, "", "k", "m1", 0);
        log.append_remove("a", 1);
    }});
    auto found = open_and_run();
    ASSERT_EQ(found.size(), 2u);
    EXPECT_EQ(found[0].id, 1u);
    EXPECT_EQ(found[0].queue, "b");
    EXPECT_GT(found[0].location.offset, 0u);  // the relocated copy, not the original
    EXPECT_EQ(found[1].id, 2u);
    EXPECT_EQ(found[1].queue, "a");
}

}  // namespace
}  // namespace warren::store

namespace warren::store {
namespace {

class SegmentIndexTest : public MessageLogTest {
protected:
    /// 40 messages of 600 bytes over 1 KiB segments, with removes and delivered marks
    /// spread through them.
    void fill() {
        std::string body(600, 'b');
        net::EventLoop loop;
        MessageLog log(loop, dir_.string(), 1024);
        log.recover([](const RecoveredEntry&) {});
        std::vector<std::function<void()>> steps;
        for (int i = 0; i < 40; ++i)
            steps.push_back([&log, &body, i] {
                uint64_t id = log.next_id();
                log.append_publish(id, {i % 2 ? "odd" : "even", "all"}, "", "k",
                                   body + std::to_string(i), 0);
                if (i % 4 == 0) log.append_remove("all", id);
                if (i % 5 == 0) log.append_delivered("even", id);
            });
        steps.push_back([&log] { log.append_relocate(2, "odd", true, "", "k", "moved", 0); });
        run_turns(loop, std::move(steps));
    }
    std::vector<Found> recover_all(RecoveryReport& report) { return open_and_run({}, &report); }
};

TEST_F(SegmentIndexTest, SealedSegmentsRecoverFromTheirIndexesAlike) {
    fill();
    size_t indexes = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir_))
        if (e.path().extension() == ".idx") ++indexes;
    ASSERT_GT(indexes, 10u);
    RecoveryReport with_index;
    auto a = recover_all(with_index);
    EXPECT_EQ(with_index.indexed_segments, indexes);
    EXPECT_TRUE(with_index.problems.empty());
    // Damage one index and delete another: those segments are scanned instead, silently.
    auto first = dir_ / "0000000002.idx";
    std::string text;
    ASSERT_FALSE(read_file(first.string(), text));
    text[text.size() / 2] ^= 0x55;
    ASSERT_FALSE(write_file_atomically(first.string(), text));
    std::filesystem::remove(dir_ / "0000000005.idx");
    RecoveryReport fallback;
    auto b = recover_all(fallback);
    EXPECT_EQ(fallback.indexed_segments, indexes - 2);
    EXPECT_TRUE(fallback.problems.empty());
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].id, b[i].id);
        EXPECT_EQ(a[i].queue, b[i].queue);
        EXPECT_EQ(a[i].delivered, b[i].delivered);
        EXPECT_EQ(a[i].location.segment, b[i].location.segment);
        EXPECT_EQ(a[i].location.offset, b[i].location.offset);
        EXPECT_EQ(a[i].location.length, b[i].location.length);
    }
    // 40 messages in their own queue each, plus "all" for the 30 not removed.
    EXPECT_EQ(a.size(), 70u);
    size_t delivered = 0;
    for (const auto& f : a) delivered += f.delivered;
    EXPECT_EQ(delivered, 4u + 1u);  // ids 1, 11, 21, 31 in "even"; the relocated id 2
}


TEST_F(MessageLogTest, DelayDueRecordsGiveRecoveredMessagesTheirDueTime) {
    open_and_run({[](MessageLog& log) {
                      uint64_t a = log.next_id();
                      log.append_delay_due(a, 1'700'000'000'123);
                      log.append_publish(a, {"delayed"}, "dx", "k", "a", 0);
                      log.append_publish(log.next_id(), {"q"}, "", "q", "queued", 0);
                      uint64_t b = log.next_id();
                      log.append_delay_due(b, 5);
                      log.append_publish(b, {"delayed"}, "dx", "k", "b", 0);
                      uint64_t c = log.next_id();
                      log.append_delay_due(c, 9);
                      log.append_publish(c, {"delayed"}, "dx", "k", "c", 0);
                  },
                  [](MessageLog& log) { log.append_remove("delayed", 4); }});
    RecoveryReport report;
    auto found = open_and_run({}, &report);
    ASSERT_EQ(found.size(), 3u);
    EXPECT_EQ(found[0].queue, "delayed");
    EXPECT_EQ(found[0].due_ms, 1'700'000'000'123);
    EXPECT_EQ(found[1].queue, "q");
    EXPECT_EQ(found[1].due_ms, -1);  // no delay-due record: an ordinary queued message
    EXPECT_EQ(found[2].id, 3u);
    EXPECT_EQ(found[2].due_ms, 5);
    EXPECT_TRUE(report.problems.empty());
}

TEST_F(MessageLogTest, DelayDueTimesComeBackFromSealedSegmentIndexes) {
    {
        net::EventLoop loop;
        MessageLog log(loop, dir_.string(), 4096);
        log.recover([](const RecoveredEntry&) {});
        std::vector<std::function<void()>> turns;
        for (int i = 0; i < 200; ++i)
            turns.push_back([&log, i] {
                uint64_t id = log.next_id();
                log.append_delay_due(id, 1000 + i);
                log.append_publish(id, {"delayed"}, "dx", "k", std::string(100, 'x'), 0);
            });
        run_turns(loop, std::move(turns));
    }
    RecoveryReport report;
    net::EventLoop loop;
    MessageLog log(loop, dir_.string(), 4096);
    std::vector<RecoveredEntry> entries;
    report = log.recover([&](const RecoveredEntry& e) { entries.push_back(e); });
    EXPECT_GT(report.indexed_segments, 2u);
    ASSERT_EQ(entries.size(), 200u);
    for (size_t i = 0; i < entries.size(); ++i)
        EXPECT_EQ(entries[i].due_ms, 1000 + static_cast<int64_t>(i)) << i;
    EXPECT_TRUE(report.problems.empty());
}

TEST_F(MessageLogTest, RelocatedDelayedMessageKeepsItsDueTime) {
    open_and_run({[](MessageLog& log) {
                      uint64_t id = log.next_id();
                      log.append_delay_due(id, 777);
                      log.append_publish(id, {"delayed"}, "dx", "k", "body", 0);
                  },
                  [](MessageLog& log) {
                      log.append_relocate(1, "delayed", false, "dx", "k", "body", 0);
                      log.append_delay_due(1, 777);
                  }});
    auto found = open_and_run();
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].due_ms, 777);
    EXPECT_GT(found[0].location.offset, 0u);  // the relocated copy
}

}  // namespace
}  // namespace warren::store
