#pragma once

#include "warren/store/location.h"
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

    /// Where the message log holds this message (id 0: not in the log). Each durable queue
    /// holding it holds its segment once.
    uint64_t store_id() const { return store_id_; }
    const store::Location& store_location() const { return store_location_; }
    void set_stored(uint64_t id, store::Location location) {
        store_id_ = id;
        store_location_ = location;
    }

private:
    std::string exchange_;
    std::string routing_key_;
    std::vector<std::string> extra_routing_keys_;
    util::SharedBytes data_;
    int64_t ttl_ms_;
    uint64_t store_id_ = 0;
    store::Location store_location_;
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
    uint8_t priority = 0;  // priority queues only (fits the padding)
    /// Quorum queues: how often it was returned (the x-delivery-count header).
    uint32_t delivery_count = 0;
};

/// A message of a queue's paged-out tail: its body is only on disk, in the message log
/// (persistent messages of durable queues) or in the page file (everything else).
/// 32 bytes, so a queue of ten million waiting messages costs 320 MB, not their bodies.
struct PagedMessage {
    uint64_t store_id = 0;  // message log id, 0 when the body is in the page file
    store::Location location;
    uint8_t redelivered = 0;
    uint16_t delivery_count = 0;  // quorum queues; saturates (fits the padding)
    int64_t expires_ms = 0;
};
static_assert(sizeof(QueuedMessage) == 32 && sizeof(PagedMessage) == 32);

}  // namespace warren::broker
