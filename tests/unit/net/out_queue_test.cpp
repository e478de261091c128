#include "warren/net/out_queue.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <csignal>
#include <cstring>
#include <string>

namespace warren::net {
namespace {

/// A connected AF_UNIX stream pair: `writer` non-blocking with a small send buffer so
/// writev stops part way, `reader` to drain what arrived.
class SocketPair {
public:
    explicit SocketPair(int sndbuf = 4096) {
        int fds[2];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) ADD_FAILURE() << strerror(errno);
        writer = fds[0];
        reader = fds[1];
        setsockopt(writer, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
        setsockopt(reader, SOL_SOCKET, SO_RCVBUF, &sndbuf, sizeof sndbuf);
        fcntl(writer, F_SETFL, fcntl(writer, F_GETFL) | O_NONBLOCK);
        fcntl(reader, F_SETFL, fcntl(reader, F_GETFL) | O_NONBLOCK);
    }
    ~SocketPair() {
        if (writer >= 0) close(writer);
        if (reader >= 0) close(reader);
    }
    SocketPair(const SocketPair&) = delete;
    SocketPair& operator=(const SocketPair&) = delete;

    /// Everything readable right now.
    std::string drain() {
        std::string out;
        char buf[65536];
        for (;;) {
            ssize_t n = read(reader, buf, sizeof buf);
            if (n <= 0) break;
            out.append(buf, static_cast<size_t>(n));
        }
        return out;
    }

    int writer = -1;
    int reader = -1;
};

void put_arena(OutQueue& q, std::string_view bytes) {
    size_t mark = q.arena().size();
    q.arena().append(bytes);
    q.commit_arena(mark);
}

std::string pattern(size_t n, char seed) {
    std::string s(n, '\0');
    for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + static_cast<char>(i % 23));
    return s;
}

// Flushes and drains until the queue is empty; fails the test if it stops progressing.
std::string flush_all(OutQueue& q, SocketPair& sp, int* partial_flushes = nullptr) {
    std::string received;
    for (int rounds = 0; !q.empty() && rounds < 100000; ++rounds) {
        EXPECT_TRUE(q.flush(sp.writer));
        if (!q.empty() && partial_flushes) ++*partial_flushes;
        received += sp.drain();
    }
    EXPECT_TRUE(q.empty());
    received += sp.drain();
    return received;
}

TEST(OutQueue, StartsEmptyAndFlushingNothingSucceeds) {
    SocketPair sp;
    OutQueue q;
    EXPECT_TRUE(q.empty());
    EXPECT_TRUE(q.flush(sp.writer));
    EXPECT_EQ(sp.drain(), "");
}

TEST(OutQueue, ArenaBytesGoOutInOrder) {
    SocketPair sp;
    OutQueue q;
    put_arena(q, "hello ");
    put_arena(q, "world");
    EXPECT_EQ(q.size(), 11u);
    EXPECT_TRUE(q.flush(sp.writer));
    EXPECT_TRUE(q.empty());
    EXPECT_EQ(sp.drain(), "hello world");
}

TEST(OutQueue, CommittingNothingQueuesNothing) {
    OutQueue q;
    q.commit_arena(q.arena().size());
    EXPECT_TRUE(q.empty());
}

TEST(OutQueue, SmallSharedBytesAreCopiedIntoTheArena) {
    SocketPair sp;
    OutQueue q;
    auto body = util::SharedBytes::copy_of("small body");
    q.append_shared(body, body.data() + 6, 4);
    EXPECT_EQ(body.use_count(), 1u);
    EXPECT_EQ(q.size(), 4u);
    EXPECT_TRUE(q.flush(sp.writer));
    EXPECT_EQ(sp.drain(), "body");
}

TEST(OutQueue, LargeSharedBytesAreReferencedUntilSent) {
    SocketPair sp(1 << 20);
    OutQueue q;
    auto body = util::SharedBytes::copy_of(pattern(OutQueue::kReferenceThreshold, 'a'));
    q.append_shared(body, body.data(), body.size());
    EXPECT_EQ(body.use_count(), 2u);
    EXPECT_EQ(q.size(), body.size());
    EXPECT_EQ(flush_all(q, sp), body.view());
    EXPECT_EQ(body.use_count(), 1u);
}

TEST(OutQueue, EmptySharedAppendIsIgnored) {
    OutQueue q;
    auto body = util::SharedBytes::copy_of("x");
    q.append_shared(body, body.data(), 0);
    EXPECT_TRUE(q.empty());
    EXPECT_EQ(body.use_count(), 1u);
}

TEST(OutQueue, PartialWritesPreserveOrderAcrossArenaAndSharedSegments) {
    SocketPair sp;
    OutQueue q;
    std::string expected;
    std::vector<util::SharedBytes> bodies;
    for (int i = 0; i < 40; ++i) {
        std::string header = "frame " + std::to_string(i) + ":";
        put_arena(q, header);
        expected += header;
        auto body = util::SharedBytes::copy_of(pattern(3000 + 997 * static_cast<size_t>(i),
                                                       static_cast<char>('A' + i % 20)));
        q.append_shared(body, body.data(), body.size());
        expected += body.view();
        bodies.push_back(body);
        std::string small = pattern(static_cast<size_t>(i) * 7, 'a');
        auto tiny = util::SharedBytes::copy_of(small);
        q.append_shared(tiny, tiny.data(), tiny.size());
        expected += small;
        put_arena(q, "|");
        expected += "|";
    }
    EXPECT_EQ(q.size(), expected.size());
    int partial = 0;
    std::string received = flush_all(q, sp, &partial);
    EXPECT_GT(partial, 0) << "the send buffer never filled; the test did not exercise anything";
    ASSERT_EQ(received.size(), expected.size());
    EXPECT_TRUE(received == expected);
    for (const auto& b : bodies) EXPECT_EQ(b.use_count(), 1u);
}

TEST(OutQueue, BytesQueuedWhileAFrameIsHalfSentFollowIt) {
    SocketPair sp;
    OutQueue q;
    std::string first = pattern(300000, 'a');
    put_arena(q, first);
    EXPECT_TRUE(q.flush(sp.writer));
    ASSERT_FALSE(q.empty()) << "expected a partial write";
    std::string received = sp.drain();
    auto body = util::SharedBytes::copy_of(pattern(100000, 'k'));
    q.append_shared(body, body.data(), body.size());
    put_arena(q, "tail");
    received += flush_all(q, sp);
    EXPECT_TRUE(received == first + std::string(body.view()) + "tail");
}

TEST(OutQueue, SizeCountsOnlyUnsentBytes) {
    SocketPair sp;
    OutQueue q;
    put_arena(q, pattern(500000, 'a'));
    ASSERT_TRUE(q.flush(sp.writer));
    size_t sent = sp.drain().size();
    EXPECT_GT(sent, 0u);
    EXPECT_EQ(q.size(), 500000u - sent);
}

TEST(OutQueue, ArenaIsReusedAfterEverythingWasSent) {
    SocketPair sp;
    OutQueue q;
    put_arena(q, "first");
    ASSERT_TRUE(q.flush(sp.writer));
    EXPECT_EQ(q.arena().size(), 0u);
    put_arena(q, "second");
    ASSERT_TRUE(q.flush(sp.writer));
    EXPECT_EQ(sp.drain(), "firstsecond");
    q.trim();
    EXPECT_TRUE(q.empty());
}

TEST(OutQueue, FlushToAClosedPeerReportsAnError) {
    std::signal(SIGPIPE, SIG_IGN);
    SocketPair sp;
    close(sp.reader);
    sp.reader = -1;
    OutQueue q;
    put_arena(q, "lost");
    EXPECT_FALSE(q.flush(sp.writer));
}

TEST(OutQueue, FlushToABadDescriptorReportsAnError) {
    OutQueue q;
    put_arena(q, "x");
    EXPECT_FALSE(q.flush(-1));
}

TEST(OutQueue, PeekCopiesAcrossSegmentsWithoutConsuming) {
    OutQueue q;
    put_arena(q, "head-");
    auto body = util::SharedBytes::copy_of(pattern(OutQueue::kReferenceThreshold, 'p'));
    q.append_shared(body, body.data(), body.size());
    put_arena(q, "-tail");
    std::string all = "head-" + pattern(OutQueue::kReferenceThreshold, 'p') + "-tail";
    std::string buf(all.size() + 10, '\0');
    auto* dst = reinterpret_cast<uint8_t*>(buf.data());
    ASSERT_EQ(q.peek(dst, buf.size()), all.size());
    EXPECT_EQ(buf.substr(0, all.size()), all);
    ASSERT_EQ(q.peek(dst, 7), 7u);
    EXPECT_EQ(buf.substr(0, 7), "head-" + all.substr(5, 2));
    EXPECT_EQ(q.size(), all.size());
}

TEST(OutQueue, ConsumeDropsFromTheFrontAcrossSegments) {
    OutQueue q;
    put_arena(q, "abc");
    auto body = util::SharedBytes::copy_of(pattern(OutQueue::kReferenceThreshold, 'c'));
    q.append_shared(body, body.data(), body.size());
    put_arena(q, "xyz");
    std::string all = "abc" + pattern(OutQueue::kReferenceThreshold, 'c') + "xyz";
    q.consume(2);
    std::string buf(all.size(), '\0');
    auto* dst = reinterpret_cast<uint8_t*>(buf.data());
    ASSERT_EQ(q.peek(dst, buf.size()), all.size() - 2);
    EXPECT_EQ(buf.substr(0, all.size() - 2), all.substr(2));
    q.consume(all.size() - 4);
    ASSERT_EQ(q.peek(dst, buf.size()), 2u);
    EXPECT_EQ(buf.substr(0, 2), "yz");
    q.consume(2);
    EXPECT_TRUE(q.empty());
    EXPECT_EQ(q.arena().size(), 0u) << "the arena is reclaimed once everything is consumed";
}

}  // namespace
}  // namespace warren::net
