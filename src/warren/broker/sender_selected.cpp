#include "warren/broker/sender_selected.h"

namespace warren::broker {

void append_sender_selected_keys(const amqp::FieldValue* header, std::vector<std::string>& out) {
    if (!header) return;
    if (const auto* arr = header->array()) {
        for (const auto& item : *arr)
            if (const auto* s = item.string()) out.push_back(*s);
    } else if (const auto* s = header->string()) {
        out.push_back(*s);
    }
}

}  // namespace warren::broker
