#include "warren/broker/policy.h"
#include "warren/broker/policy_validation.h"
#include "warren/broker/vhost.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <set>
#include <string>

namespace warren::broker {
namespace {

using nlohmann::json;

util::Result<Policy, std::string> make(const std::string& name, const std::string& pattern,
                                       const std::string& definition, int64_t priority = 0,
                                       const std::string& apply_to = "all",
                                       PolicyKind kind = PolicyKind::Policy) {
    json def = json::parse(definition);
    return make_policy(PolicyRequest{name, pattern, apply_to, priority, &def}, kind);
}

Policy valid(const std::string& name, const std::string& pattern, const std::string& definition,
             int64_t priority = 0, const std::string& apply_to = "all") {
    auto p = make(name, pattern, definition, priority, apply_to);
    EXPECT_TRUE(p) << p.error();
    return p ? *p : Policy{};
}

std::string problem(const std::string& definition, PolicyKind kind = PolicyKind::Policy) {
    auto p = make("p", "^q", definition, 0, "all", kind);
    EXPECT_FALSE(p) << definition;
    return p ? std::string() : p.error();
}

std::string failed(const std::string& text) { return "Validation failed\n\n" + text + "\n"; }

TEST(PolicySet, HighestPriorityMatchingPolicyApplies) {
    PolicySet set;
    set.put(valid("low", "^q", R"({"max-length":1})", 1));
    set.put(valid("high", "^q", R"({"max-length":2})", 5));
    set.put(valid("other", "^x", R"({"max-length":3})", 9));
    ASSERT_NE(set.match_queue("q1"), nullptr);
    EXPECT_EQ(set.match_queue("q1")->name, "high");
    EXPECT_EQ(set.match_queue("x"), set.match_exchange("x"));
    EXPECT_EQ(set.match_queue("none"), nullptr);
}

TEST(PolicySet, PatternIsAnUnanchoredSearch) {
    PolicySet set;
    set.put(valid("p", "orders", R"({"max-length":1})"));
    EXPECT_NE(set.match_queue("my.orders.q"), nullptr);
    EXPECT_EQ(set.match_queue("ord"), nullptr);
}

TEST(PolicySet, AmongEqualPrioritiesTheOneListedLastApplies) {
    PolicySet set;
    set.put(valid("b", "^q", R"({"max-length":2})"));
    set.put(valid("a", "^q", R"({"max-length":1})"));
    set.put(valid("c", "^q", R"({"max-length":3})", -1));
    ASSERT_EQ(set.all().size(), 3u);
    EXPECT_EQ(set.all()[0].name, "c");
    EXPECT_EQ(set.all()[1].name, "a");
    EXPECT_EQ(set.all()[2].name, "b");
    EXPECT_EQ(set.match_queue("q")->name, "b");
}

TEST(PolicySet, ApplyToLimitsWhatMatches) {
    PolicySet set;
    set.put(valid("queues", "^x", R"({"max-length":1})", 0, "queues"));
    set.put(valid("exchanges", "^x", R"({"alternate-exchange":"ae"})", 0, "exchanges"));
    EXPECT_EQ(set.match_queue("x")->name, "queues");
    EXPECT_EQ(set.match_exchange("x")->name, "exchanges");
}

TEST(PolicySet, PutReplacesAPolicyOfTheSameName) {
    PolicySet set;
    set.put(valid("p", "^q", R"({"max-length":1})"));
    set.put(valid("p", "^x", R"({"max-length":2})", 3));
    ASSERT_EQ(set.all().size(), 1u);
    EXPECT_EQ(set.all()[0].pattern, "^x");
    EXPECT_TRUE(set.erase("p"));
    EXPECT_FALSE(set.erase("p"));
}

TEST(PolicyValidation, DefinitionIsKeptAsSortedCompactJson) {
    Policy p = valid("p", "^q", R"({ "message-ttl": 5, "max-length" : 1 })");
    EXPECT_EQ(p.definition_json, R"({"max-length":1,"message-ttl":5})");
    int64_t n = 0;
    ASSERT_TRUE(p.definition.definition.find("max-length")->as_int(n));
    EXPECT_EQ(n, 1);
}

// Texts captured from rabbitmqctl 3.10.8 set_policy.
TEST(PolicyValidation, ValueProblemsUseRabbitMqTexts) {
    EXPECT_EQ(problem(R"({"max-length":"x"})"), failed(R"(<<"x">> is not a valid maximum length)"));
    EXPECT_EQ(problem(R"({"max-length":-1})"), failed("-1 is not a valid maximum length"));
    EXPECT_EQ(problem(R"({"message-ttl":1.5})"), failed("1.5 is not a valid message TTL"));
    EXPECT_EQ(problem(R"({"message-ttl":null})"), failed("null is not a valid message TTL"));
    EXPECT_EQ(problem(R"({"expires":0})"), failed("0 is not a valid queue expiry"));
    EXPECT_EQ(problem(R"({"max-length-bytes":"x"})"),
              failed(R"(<<"x">> is not a valid maximum length in bytes)"));
    EXPECT_EQ(problem(R"({"overflow":"foo"})"), failed(R"(<<"foo">> is not a valid overflow value)"));
    EXPECT_EQ(problem(R"({"dead-letter-exchange":1})"),
              failed("1 is not a valid dead letter exchange name"));
    EXPECT_EQ(problem(R"({"dead-letter-routing-key":2})"),
              failed("2 is not a valid dead letter routing key"));
    EXPECT_EQ(problem(R"({"alternate-exchange":3})"),
              failed("3 is not a valid alternate exchange name"));
    EXPECT_EQ(problem(R"({"delivery-limit":-1})"), failed("-1 is not a valid delivery limit"));
    EXPECT_EQ(problem(R"({"queue-mode":"bogus"})"),
              failed(R"(<<"bogus">> is not a valid queue-mode value)"));
    EXPECT_EQ(problem(R"({"max-length":true})"), failed("true is not a valid maximum length"));
    EXPECT_EQ(problem(R"({"max-in-memory-length":"x"})"),
              failed(R"(<<"x">> is not a valid maximum memory in bytes)"));
    EXPECT_EQ(problem(R"({"queue-master-locator":"x"})"),
              failed(R"(<<"x">> invalid queue-master-locator value)"));
}

TEST(PolicyValidation, KnownKeysAreCheckedInSortedOrderBeforeUnknownOnes) {
    EXPECT_EQ(problem(R"({"message-ttl":"y","max-length":"x"})"),
              failed(R"(<<"x">> is not a valid maximum length)"));
    EXPECT_EQ(problem(R"({"foo":1,"max-length":"x"})"),
              failed(R"(<<"x">> is not a valid maximum length)"));
    EXPECT_EQ(problem(R"({"foo":1,"bar":2})"),
              failed(R"([{<<"bar">>,2},{<<"foo">>,1}] are not recognised policy settings)"));
    // queue-master-locator's validator runs first, the ha-* one last.
    EXPECT_EQ(problem(R"({"queue-master-locator":"x","max-length":"x"})"),
              failed(R"(<<"x">> invalid queue-master-locator value)"));
    EXPECT_EQ(problem(R"({"ha-mode":"bogus","max-length":"x"})"),
              failed(R"(<<"x">> is not a valid maximum length)"));
}

TEST(PolicyValidation, LongUnknownListsBreakOneEntryALine) {
    EXPECT_EQ(problem(R"({"a":true,"b":null,"c":{"d":[1,"x"]},"e":1.5e10,"f":[65,66]})"),
              failed("[{<<\"a\">>,true},\n {<<\"b\">>,null},\n"
                     " {<<\"c\">>,#{<<\"d\">> => [1,<<\"x\">>]}},\n {<<\"e\">>,1.5e10},\n"
                     " {<<\"f\">>,\"AB\"}] are not recognised policy settings"));
}

TEST(PolicyValidation, HaKeysAreAcceptedAndCheckedAsAGroup) {
    EXPECT_TRUE(make("p", "^q", R"({"ha-mode":"all","ha-sync-mode":"automatic"})"));
    EXPECT_TRUE(make("p", "^q", R"({"ha-mode":"exactly","ha-params":2})"));
    EXPECT_EQ(problem(R"({"ha-sync-mode":"automatic"})"),
              failed("ha-mode must be specified to specify ha-params, ha-sync-mode or "
                     "ha-promote-on-shutdown"));
    EXPECT_EQ(problem(R"({"ha-mode":"exactly"})"),
              failed("ha-mode=\"exactly\" takes an integer, none given"));
    EXPECT_EQ(problem(R"({"ha-mode":"all","ha-params":1})"),
              failed("ha-mode=\"all\" does not take parameters"));
    EXPECT_EQ(problem(R"({"ha-mode":"nodes","ha-params":[1]})"),
              failed("ha-mode=\"nodes\" takes a list of strings, [1] was not a string"));
    EXPECT_EQ(problem(R"({"ha-mode":"all","ha-sync-batch-size":0})"),
              failed("ha-sync-batch-size takes an integer greater than 0, 0 given"));
}

TEST(PolicyValidation, EmptyDefinitionIsRefused) {
    EXPECT_EQ(problem("{}"), failed("no policy provided"));
}

TEST(PolicyValidation, OperatorPoliciesTakeOnlyTheirKeys) {
    EXPECT_TRUE(make("o", "^q", R"({"max-length":10,"message-ttl":500,"delivery-limit":3})", 0,
                     "all", PolicyKind::OperatorPolicy));
    EXPECT_EQ(problem(R"({"dead-letter-exchange":"x"})", PolicyKind::OperatorPolicy),
              failed(R"([{<<"dead-letter-exchange">>,<<"x">>}] are not recognised policy settings)"));
    EXPECT_EQ(problem(R"({"ha-mode":"all"})", PolicyKind::OperatorPolicy),
              failed(R"([{<<"ha-mode">>,<<"all">>}] are not recognised policy settings)"));
    EXPECT_EQ(problem(R"({"message-ttl":-1})", PolicyKind::OperatorPolicy),
              failed("-1 is not a valid message TTL"));
}

TEST(PolicyValidation, EveryProblemIsListedDefinitionFirst) {
    auto p = make("p", "(", R"({"foo":1})", 0, "bogus");
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error(),
              "Validation failed\n\n"
              "[{<<\"foo\">>,1}] are not recognised policy settings\n"
              "apply-to 'bogus' unrecognised; should be 'queues', 'exchanges' or 'all'\n"
              "pattern should be regular expression but is invalid: {\"missing )\",1}\n");
}

TEST(PolicyValidation, RegexProblemsAreWordedAsPcreDoes) {
    auto text = [](const std::string& pattern) {
        auto p = make("p", pattern, R"({"max-length":1})");
        return p ? std::string() : p.error();
    };
    EXPECT_EQ(text("a(b"), failed("pattern should be regular expression but is invalid: "
                                  "{\"missing )\",3}"));
    EXPECT_EQ(text("*a"), failed("pattern should be regular expression but is invalid: "
                                 "{\"nothing to repeat\",0}"));
    EXPECT_EQ(text("a)"), failed("pattern should be regular expression but is invalid: "
                                 "{\"unmatched parentheses\",\n" +
                                 std::string(54, ' ') + "1}"));
}

TEST(ErlangTerm, PrintsJsonAsRabbitMqDecodesIt) {
    EXPECT_EQ(erlang_term(json::parse(R"("x")")), R"(<<"x">>)");
    EXPECT_EQ(erlang_term(json::parse("100.0")), "100.0");
    EXPECT_EQ(erlang_term(json::parse("-0.5")), "-0.5");
    EXPECT_EQ(erlang_term(json::parse("1e300")), "1.0e300");
    EXPECT_EQ(erlang_term(json::parse("1.5e10")), "1.5e10");
    EXPECT_EQ(erlang_term(json::parse(R"("a\"b")")), R"(<<"a\"b">>)");
    EXPECT_EQ(erlang_term(json::parse(R"("é")")), "<<\"\xC3\x83\xC2\xA9\">>");
    EXPECT_EQ(erlang_term(json::parse("[65,66]")), "\"AB\"");
    EXPECT_EQ(erlang_term(json::parse("[]")), "[]");
}

class VhostPolicyTest : public ::testing::Test {
protected:
    net::EventLoop loop_;
    Vhost vhost_{loop_, "/", nullptr, {}};

    QueueRef declare(const std::string& name, amqp::FieldTable args = {}) {
        auto q = vhost_.declare_queue(QueueSpec{name, false, false, false, std::move(args)}, false,
                                      OwnerId{1});
        EXPECT_TRUE(q) << q.error().text;
        return q ? *q : QueueRef();
    }
};

TEST_F(VhostPolicyTest, SettingAPolicyAppliesToExistingAndNewQueues) {
    QueueRef before = declare("q1");
    vhost_.set_policy(valid("p", "^q", R"({"max-length":5})"), PolicyKind::Policy);
    EXPECT_EQ(before->settings().max_length, 5);
    EXPECT_EQ(before->policy(), "p");
    QueueRef after = declare("q2");
    EXPECT_EQ(after->settings().max_length, 5);
    EXPECT_TRUE(vhost_.clear_policy("p", PolicyKind::Policy));
    EXPECT_EQ(before->settings().max_length, -1);
    EXPECT_EQ(after->policy(), "");
    EXPECT_FALSE(vhost_.clear_policy("p", PolicyKind::Policy));
}

TEST_F(VhostPolicyTest, OperatorPolicyAndArgumentsCombineToTheLowerValue) {
    amqp::FieldTable args;
    args.set("x-max-length", amqp::FieldValue(int64_t{7}));
    QueueRef q = declare("q", args);
    vhost_.set_policy(valid("p", "^q", R"({"max-length":10,"message-ttl":100})"),
                      PolicyKind::Policy);
    auto op = make("o", "^q", R"({"message-ttl":50,"max-length":3})", 0, "all",
                   PolicyKind::OperatorPolicy);
    ASSERT_TRUE(op);
    vhost_.set_policy(std::move(*op), PolicyKind::OperatorPolicy);
    EXPECT_EQ(q->settings().max_length, 3);
    EXPECT_EQ(q->settings().message_ttl_ms, 50);
    EXPECT_EQ(q->policy(), "p");
}

TEST_F(VhostPolicyTest, MaxPriorityComesFromAPolicyOnlyAtDeclare) {
    QueueRef before = declare("q1");
    vhost_.set_policy(valid("p", "^q", R"({"max-priority":5})"), PolicyKind::Policy);
    EXPECT_EQ(before->settings().max_priority, 0);
    QueueRef after = declare("q2");
    EXPECT_EQ(after->settings().max_priority, 5);
    vhost_.clear_policy("p", PolicyKind::Policy);
    EXPECT_EQ(after->settings().max_priority, 5);
}

TEST_F(VhostPolicyTest, AlternateExchangeRoutesWhatAnExchangeCannot) {
    ASSERT_TRUE(vhost_.declare_exchange(ExchangeSpec{"ae", "fanout", false, false, false, {}},
                                        false));
    amqp::FieldTable args;
    args.set("alternate-exchange", amqp::FieldValue(std::string("ae")));
    ASSERT_TRUE(vhost_.declare_exchange(ExchangeSpec{"main", "direct", false, false, false, args},
                                        false));
    declare("caught");
    declare("direct");
    ASSERT_TRUE(vhost_.bind_queue("caught", "ae", "", {}, OwnerId{1}));
    ASSERT_TRUE(vhost_.bind_queue("direct", "main", "k", {}, OwnerId{1}));
    auto route = [&](std::string_view exchange, std::string_view key) {
        std::vector<Queue*> out;
        vhost_.route(*vhost_.find_exchange(exchange), RoutingInput{key, {}}, out);
        std::set<std::string> names;
        for (Queue* q : out) names.insert(q->name());
        return names;
    };
    EXPECT_EQ(route("main", "k"), std::set<std::string>{"direct"});
    EXPECT_EQ(route("main", "other"), std::set<std::string>{"caught"});
    // A cycle of alternate exchanges ends.
    amqp::FieldTable back;
    back.set("alternate-exchange", amqp::FieldValue(std::string("c1")));
    ASSERT_TRUE(vhost_.declare_exchange(ExchangeSpec{"c2", "direct", false, false, false, back},
                                        false));
    amqp::FieldTable forth;
    forth.set("alternate-exchange", amqp::FieldValue(std::string("c2")));
    ASSERT_TRUE(vhost_.declare_exchange(ExchangeSpec{"c1", "direct", false, false, false, forth},
                                        false));
    EXPECT_EQ(route("c1", "x"), std::set<std::string>{});
    // A policy's alternate-exchange applies where the argument is absent.
    ASSERT_TRUE(vhost_.declare_exchange(ExchangeSpec{"plain", "direct", false, false, false, {}},
                                        false));
    EXPECT_EQ(route("plain", "x"), std::set<std::string>{});
    vhost_.set_policy(valid("ae", "^plain$", R"({"alternate-exchange":"ae"})", 0, "exchanges"),
                      PolicyKind::Policy);
    EXPECT_EQ(route("plain", "x"), std::set<std::string>{"caught"});
    EXPECT_EQ(vhost_.find_exchange("plain")->policy(), "ae");
}

}  // namespace
}  // namespace warren::broker
