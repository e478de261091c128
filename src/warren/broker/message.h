#pragma once

#include "warren/util/ref.h"
#include "warren/util/shared_bytes.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace warren::broker {

/// A published message: immutable once routed, shared by every queue it reaches.
/// `data` holds the encoded content-header properties followed by the body, in one
/// allocation, so a delivery writes them out without re-encoding or copying.
class Message : public util::RefCounted {
public:
    Message(std::string exchange, std::string routing_key, util::SharedBytes data,
            uint32_t properties_size, bool persistent, int64_t ttl_ms = -1)
        : exchange_(std::move(exchange)), routing_key_(std::move(routing_key)),
          data_(std::move(data)), ttl_ms_(ttl_ms), properties_size_(properties_size),
          persistent_(persistent) {}

    const std::string& exchange() const { return exchange_; }
    const std::string& routing_key() const { return routing_key_; }
    /// Encoded properties, starting with the property flags.
    std::string_view properties() const { return data_.view().substr(0, properties_size_); }
    std::string_view body() const { return data_.view().substr(properties_size_); }
    uint64_t body_size() const { return data_.size() - properties_size_; }
    const util::SharedBytes& data() const { return data_; }
    uint32_t properties_size() const { return properties_size_; }
    /// delivery_mode == 2.
    bool is_persistent() const { return persistent_; }
    /// The per-message TTL from the expiration property, ms; -1 when absent.
    int64_t ttl_ms() const { return ttl_ms_; }
    /// CC and BCC header keys to route with besides the routing key (rarely set).
    const std::vector<std::string>& extra_routing_keys() const { return extra_routing_keys_; }
    void set_extra_routing_keys(std::vector<std::string> keys) {
        extra_routing_keys_ = std::move(keys);
    }

    /// Where the message log holds this message: its id and segment, and how many durable
    /// queues still hold it (the segment is released when none does).
    uint64_t store_id() const { return store_id_; }
    uint32_t store_segment() const { return store_segment_; }
    void set_stored(uint64_t id, uint32_t segment, uint32_t queues) {
        store_id_ = id;
        store_segment_ = segment;
        store_refs_ = queues;
    }
    /// One durable queue let go; true when it was the last.
    bool release_store_ref() { return store_refs_ > 0 && --store_refs_ == 0; }

private:
    std::string exchange_;
    std::string routing_key_;
    std::vector<std::string> extra_routing_keys_;
    util::SharedBytes data_;
    int64_t ttl_ms_;
    uint64_t store_id_ = 0;
    uint32_t store_segment_ = 0;
    uint32_t store_refs_ = 0;
    uint32_t properties_size_;
    bool persistent_;
};

using MessageRef = util::Ref<Message>;

/// A message's place in one queue.
struct QueuedMessage {
    MessageRef message;
    uint64_t seq = 0;  // position in the queue's publish order; requeues go back here
    int64_t expires_ms = 0;  // loop clock deadline, 0 for never
    bool redelivered = false;
};

}  // namespace warren::broker
