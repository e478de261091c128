#include "warren/admin/field_json.h"
#include "warren/admin/info_items.h"
#include "warren/admin/text_format.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace warren::admin {
namespace {

using nlohmann::json;

// Expected strings are rabbitmqctl 3.10.8's, captured from Debian's rabbitmq-server.

TEST(TextFormat, FieldTablePrintsAsRabbitmqctl) {
    json args = json::parse(R"([["x-message-ttl","signedint",100000],
                               ["x-max-length","signedint",10],
                               ["x-dead-letter-exchange","longstr","dlx"],
                               ["x-queue-mode","longstr","lazy"]])");
    EXPECT_EQ(format_value(args, ValueKind::FieldTable),
              R"([{"x-message-ttl",100000},{"x-max-length",10},)"
              R"({"x-dead-letter-exchange","dlx"},{"x-queue-mode","lazy"}])");
    EXPECT_EQ(format_value(json::array(), ValueKind::FieldTable), "[]");
}

TEST(TextFormat, NestedTablesAndBooleansAsInClientProperties) {
    json props = json::parse(R"([["product","longstr","Pika Python Client Library"],
        ["capabilities","table",[["authentication_failure_close","bool",true],
                                 ["basic.nack","bool",false]]]])");
    EXPECT_EQ(format_field_table(props),
              R"([{"product","Pika Python Client Library"},)"
              R"({"capabilities",[{"authentication_failure_close",true},{"basic.nack",false}]}])");
}

TEST(TextFormat, ArraysQuotesAndVoid) {
    json t = json::parse(R"([["a","array",[["longstr","x"],["signedint",1]]],
                            ["q","longstr","say \"hi\""],["v","void",null]])");
    EXPECT_EQ(format_field_table(t), R"([{"a",["x",1]},{"q","say \"hi\""},{"v",undefined}])");
}

TEST(TextFormat, TagsTuplesAndScalars) {
    EXPECT_EQ(format_value(json::array({"administrator", "monitoring"}), ValueKind::Tags),
              "[administrator, monitoring]");
    EXPECT_EQ(format_value(json::array(), ValueKind::Tags), "[]");
    EXPECT_EQ(format_value(json::array({0, 9, 1}), ValueKind::Tuple), "{0,9,1}");
    EXPECT_EQ(format_value(true, ValueKind::Scalar), "true");
    EXPECT_EQ(format_value(false, ValueKind::Scalar), "false");
    EXPECT_EQ(format_value(42, ValueKind::Scalar), "42");
    EXPECT_EQ(format_value("q1", ValueKind::Scalar), "q1");
    EXPECT_EQ(format_value(nullptr, ValueKind::Scalar), "");
}

TEST(TextFormat, TableHasHeaderOnlyWithRows) {
    const ListSpec& spec = *find_list_spec("list_users");
    std::vector<std::string> cols{"user", "tags"};
    json rows = json::parse(R"([["alice",[]],["guest",["administrator"]]])");
    EXPECT_EQ(format_table(spec, cols, rows, true),
              "user\ttags\nalice\t[]\nguest\t[administrator]\n");
    EXPECT_EQ(format_table(spec, cols, rows, false), "alice\t[]\nguest\t[administrator]\n");
    EXPECT_EQ(format_table(spec, cols, json::array(), true), "");
}

TEST(TextFormat, JsonRowsOneObjectPerLineInColumnOrder) {
    std::vector<std::string> cols{"user", "tags"};
    json rows = json::parse(R"([["alice",[]],["guest",["administrator"]]])");
    EXPECT_EQ(format_json_rows(cols, rows),
              "[\n{\"user\":\"alice\",\"tags\":[]}\n"
              ",{\"user\":\"guest\",\"tags\":[\"administrator\"]}\n]\n");
    EXPECT_EQ(format_json_rows(cols, json::array()), "[\n]\n");
    // keys keep the asked order, not alphabetical
    EXPECT_EQ(format_json_rows({"name", "messages"}, json::parse(R"([["q",1]])")),
              "[\n{\"name\":\"q\",\"messages\":1}\n]\n");
}

TEST(FieldJson, UsesRabbitMqTypeNames) {
    amqp::FieldTable nested{{"flag", amqp::FieldValue(true)}};
    amqp::FieldTable t{{"i", amqp::FieldValue(int32_t{5})},
                       {"l", amqp::FieldValue(int64_t{7})},
                       {"s", amqp::FieldValue(std::string("v"))},
                       {"t", amqp::FieldValue(nested)}};
    EXPECT_EQ(field_table_json(t),
              json::parse(R"([["i","signedint",5],["l","long",7],["s","longstr","v"],
                              ["t","table",[["flag","bool",true]]]])"));
}

TEST(InfoItems, DefaultsAndUnsupportedAsRabbitmqctl) {
    const ListSpec* q = find_list_spec("list_queues");
    ASSERT_NE(q, nullptr);
    EXPECT_EQ(effective_items(*q, {}), (std::vector<std::string>{"name", "messages"}));
    EXPECT_EQ(unsupported_items(*q, {"name", "bogus", "messages", "nope"}),
              (std::vector<std::string>{"bogus", "nope"}));
    EXPECT_EQ(effective_items(*find_list_spec("list_connections"), {}),
              (std::vector<std::string>{"user", "peer_host", "peer_port", "state"}));
    EXPECT_EQ(effective_items(*find_list_spec("list_channels"), {}),
              (std::vector<std::string>{"pid", "user", "consumer_count",
                                        "messages_unacknowledged"}));
    EXPECT_EQ(find_list_spec("add_user"), nullptr);
    for (const char* c : {"list_queues", "list_exchanges", "list_bindings", "list_connections",
                          "list_channels", "list_consumers", "list_users", "list_vhosts",
                          "list_permissions", "list_user_permissions"}) {
        const ListSpec* s = find_list_spec(c);
        ASSERT_NE(s, nullptr) << c;
        EXPECT_TRUE(unsupported_items(*s, effective_items(*s, {})).empty()) << c;
    }
}

}  // namespace
}  // namespace warren::admin
