#include "warren/auth/user_db.h"

#include "warren/auth/password.h"

#include <gtest/gtest.h>

namespace warren::auth {
namespace {

class UserDbTest : public ::testing::Test {
protected:
    UserDb db_;

    void SetUp() override {
        db_.put_user(User{"alice", hash_password("pw"), {"administrator"}});
        db_.add_vhost("/");
    }
    bool allowed(Access a, std::string_view resource, std::string_view vhost = "/") {
        return db_.allowed("alice", vhost, a, resource);
    }
};

TEST_F(UserDbTest, AuthenticatesWithTheRightPasswordOnly) {
    EXPECT_NE(db_.authenticate("alice", "pw"), nullptr);
    EXPECT_EQ(db_.authenticate("alice", "wrong"), nullptr);
    EXPECT_EQ(db_.authenticate("bob", "pw"), nullptr);
}

TEST_F(UserDbTest, UserWithoutPasswordHashCannotLogIn) {
    db_.put_user(User{"nopass", "", {}});
    EXPECT_EQ(db_.authenticate("nopass", ""), nullptr);
}

TEST_F(UserDbTest, PutUserReplacesAndDeleteUserDropsPermissions) {
    db_.put_user(User{"alice", hash_password("new"), {}});
    EXPECT_EQ(db_.authenticate("alice", "pw"), nullptr);
    EXPECT_NE(db_.authenticate("alice", "new"), nullptr);
    ASSERT_TRUE(db_.set_permissions("alice", "/", ".*", ".*", ".*"));
    EXPECT_TRUE(db_.delete_user("alice"));
    EXPECT_FALSE(db_.delete_user("alice"));
    EXPECT_EQ(db_.find_user("alice"), nullptr);
    EXPECT_EQ(db_.permissions("alice", "/"), nullptr);
}

TEST_F(UserDbTest, DeletingAUserKeepsPermissionsOfUsersWithLongerNames) {
    db_.put_user(User{"alice2", hash_password("pw"), {}});
    ASSERT_TRUE(db_.set_permissions("alice", "/", ".*", ".*", ".*"));
    ASSERT_TRUE(db_.set_permissions("alice2", "/", ".*", ".*", ".*"));
    db_.delete_user("alice");
    EXPECT_NE(db_.permissions("alice2", "/"), nullptr);
}

TEST_F(UserDbTest, NoPermissionsGrantNothing) {
    EXPECT_FALSE(allowed(Access::Configure, "q"));
    EXPECT_FALSE(allowed(Access::Write, "q"));
    EXPECT_FALSE(allowed(Access::Read, "q"));
}

TEST_F(UserDbTest, DotStarGrantsEverything) {
    ASSERT_TRUE(db_.set_permissions("alice", "/", ".*", ".*", ".*"));
    EXPECT_TRUE(allowed(Access::Configure, "q"));
    EXPECT_TRUE(allowed(Access::Write, ""));
    EXPECT_TRUE(allowed(Access::Read, "amq.gen-x"));
}

TEST_F(UserDbTest, EmptyPatternGrantsNothingEvenForTheEmptyName) {
    ASSERT_TRUE(db_.set_permissions("alice", "/", "", ".*", ""));
    EXPECT_FALSE(allowed(Access::Configure, "q"));
    EXPECT_FALSE(allowed(Access::Configure, ""));
    EXPECT_TRUE(allowed(Access::Write, "q"));
    EXPECT_FALSE(allowed(Access::Read, "q"));
}

TEST_F(UserDbTest, PatternsMatchUnanchored) {
    ASSERT_TRUE(db_.set_permissions("alice", "/", "tmp", "^app\\.", "log$"));
    EXPECT_TRUE(allowed(Access::Configure, "my-tmp-queue"));
    EXPECT_FALSE(allowed(Access::Configure, "temp"));
    EXPECT_TRUE(allowed(Access::Write, "app.events"));
    EXPECT_FALSE(allowed(Access::Write, "myapp.events"));
    EXPECT_TRUE(allowed(Access::Read, "audit-log"));
    EXPECT_FALSE(allowed(Access::Read, "log-audit"));
}

TEST_F(UserDbTest, EachAccessKindUsesItsOwnPattern) {
    ASSERT_TRUE(db_.set_permissions("alice", "/", "^c$", "^w$", "^r$"));
    EXPECT_TRUE(allowed(Access::Configure, "c"));
    EXPECT_FALSE(allowed(Access::Configure, "w"));
    EXPECT_TRUE(allowed(Access::Write, "w"));
    EXPECT_FALSE(allowed(Access::Write, "r"));
    EXPECT_TRUE(allowed(Access::Read, "r"));
    EXPECT_FALSE(allowed(Access::Read, "c"));
}

TEST_F(UserDbTest, PermissionsArePerVhost) {
    db_.add_vhost("other");
    ASSERT_TRUE(db_.set_permissions("alice", "other", ".*", ".*", ".*"));
    EXPECT_FALSE(allowed(Access::Read, "q", "/"));
    EXPECT_TRUE(allowed(Access::Read, "q", "other"));
}

TEST_F(UserDbTest, InvalidRegexIsRejectedAndChangesNothing) {
    ASSERT_TRUE(db_.set_permissions("alice", "/", "^a", "^a", "^a"));
    EXPECT_FALSE(db_.set_permissions("alice", "/", ".*", "(", ".*"));
    EXPECT_FALSE(db_.set_permissions("alice", "/", "[", ".*", ".*"));
    const Permission* p = db_.permissions("alice", "/");
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->configure, "^a");
    EXPECT_FALSE(allowed(Access::Configure, "b"));
}

TEST_F(UserDbTest, VhostsAreListedOnce) {
    db_.add_vhost("/");
    db_.add_vhost("x");
    EXPECT_TRUE(db_.has_vhost("x"));
    EXPECT_FALSE(db_.has_vhost("y"));
    EXPECT_EQ(db_.vhosts().size(), 2u);
}

TEST(UserDb, GuestIsLoopbackOnlyByDefault) {
    UserDb db;
    EXPECT_TRUE(db.is_loopback_only("guest"));
    EXPECT_FALSE(db.is_loopback_only("alice"));
}

TEST(UserDb, LoopbackUsersCanBeReplaced) {
    UserDb db;
    db.set_loopback_users({"alice"});
    EXPECT_TRUE(db.is_loopback_only("alice"));
    EXPECT_FALSE(db.is_loopback_only("guest"));
    db.set_loopback_users({});
    EXPECT_FALSE(db.is_loopback_only("alice"));
}

}  // namespace
}  // namespace warren::auth
