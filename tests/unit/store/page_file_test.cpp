#include "warren/store/page_file.h"

#include "broker/loop_turns.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace warren::store {
namespace {

class PageFileTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("warren-page-test-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    std::string read(PageFile& pf, const Location& at) {
        std::string out(at.length, '\0');
        EXPECT_TRUE(pf.read(at.segment, at.offset, at.length, out.data()));
        return out;
    }

    net::EventLoop loop_;
    std::filesystem::path dir_;
};

TEST_F(PageFileTest, WipesWhatAnEarlierRunLeft) {
    std::filesystem::create_directories(dir_);
    { std::ofstream(dir_ / "0000000007.page") << "stale"; }
    PageFile pf(loop_, dir_.string());
    EXPECT_FALSE(std::filesystem::exists(dir_ / "0000000007.page"));
}

TEST_F(PageFileTest, ReadsBackBlobsBeforeAndAfterTheyAreWritten) {
    PageFile pf(loop_, dir_.string());
    Location a = pf.write("head-a:", "body-a");
    Location b = pf.write("head-b:", "body-b");
    EXPECT_EQ(b.offset, a.offset + a.length);
    EXPECT_EQ(read(pf, a), "head-a:body-a");  // flushes
    Location c = pf.write("", "c");
    EXPECT_EQ(read(pf, b), "head-b:body-b");
    EXPECT_EQ(read(pf, c), "c");
    // One pread covering a run.
    std::string run(a.length + b.length, '\0');
    ASSERT_TRUE(pf.read(a.segment, a.offset, a.length + b.length, run.data()));
    EXPECT_EQ(run, "head-a:body-ahead-b:body-b");
    EXPECT_FALSE(pf.read(a.segment, c.offset, c.length + 10, run.data()));
    EXPECT_FALSE(pf.read(a.segment + 5, 0, 1, run.data()));
}

TEST_F(PageFileTest, StartsOverOnceEverythingWasReleased) {
    PageFile pf(loop_, dir_.string());
    Location a = pf.write("", std::string(1000, 'a'));
    Location b = pf.write("", std::string(1000, 'b'));
    read(pf, b);
    EXPECT_EQ(pf.disk_bytes(), 2000u);
    pf.release(a.segment);
    EXPECT_EQ(pf.disk_bytes(), 2000u);
    pf.release(b.segment);
    EXPECT_EQ(pf.disk_bytes(), 0u);
    Location c = pf.write("", "c");
    EXPECT_EQ(c.offset, 0u);
    EXPECT_EQ(read(pf, c), "c");
}

}  // namespace
}  // namespace warren::store
