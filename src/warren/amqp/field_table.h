#pragma once

#include "warren/amqp/codec.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace warren::amqp {

class FieldTable;
class FieldValue;
using FieldArray = std::vector<FieldValue>;

struct Decimal {
    uint8_t scale = 0;
    uint32_t value = 0;
    friend bool operator==(const Decimal&, const Decimal&) = default;
};
struct Timestamp {
    uint64_t seconds = 0;
    friend bool operator==(const Timestamp&, const Timestamp&) = default;
};
/// A byte array ('x'), kept apart from long strings so it re-encodes with its own tag.
struct ByteArray {
    std::string bytes;
    friend bool operator==(const ByteArray&, const ByteArray&) = default;
};

/// A deep-copying owner for the recursive members of FieldValue.
template <class T>
class Box {
public:
    Box() : p_(std::make_unique<T>()) {}
    Box(T v) : p_(std::make_unique<T>(std::move(v))) {}
    Box(const Box& o) : p_(std::make_unique<T>(*o.p_)) {}
    Box(Box&&) noexcept = default;
    Box& operator=(const Box& o) {
        p_ = std::make_unique<T>(*o.p_);
        return *this;
    }
    Box& operator=(Box&&) noexcept = default;
    T& operator*() { return *p_; }
    const T& operator*() const { return *p_; }
    T* operator->() { return p_.get(); }
    const T* operator->() const { return p_.get(); }
    friend bool operator==(const Box& a, const Box& b) { return *a.p_ == *b.p_; }

private:
    std::unique_ptr<T> p_;
};

/// One value of a field table or array, with every type RabbitMQ accepts
/// (rabbit_binary_parser: t b B s u I i l f d D S x T F A V).
class FieldValue {
public:
    using Storage = std::variant<std::monostate, bool, int8_t, uint8_t, int16_t, uint16_t, int32_t,
                                 uint32_t, int64_t, float, double, Decimal, std::string, ByteArray,
                                 Timestamp, Box<FieldArray>, Box<FieldTable>>;

    FieldValue() = default;
    template <class T>
    FieldValue(T v) : v_(std::move(v)) {}
    FieldValue(const char* s) : v_(std::string(s)) {}
    FieldValue(std::string_view s) : v_(std::string(s)) {}
    FieldValue(FieldArray a);
    FieldValue(FieldTable t);

    const Storage& storage() const { return v_; }
    template <class T>
    const T* get_if() const {
        return std::get_if<T>(&v_);
    }
    const FieldTable* table() const;
    const FieldArray* array() const;
    const std::string* string() const { return get_if<std::string>(); }
    /// Any integer kind, widened; false for other kinds.
    bool as_int(int64_t& out) const;
    /// The type tag on the wire ('S', 'I', ...).
    char tag() const;

    friend bool operator==(const FieldValue& a, const FieldValue& b) { return a.v_ == b.v_; }

private:
    Storage v_;
};

/// An ordered field table (duplicate keys are kept as received, as RabbitMQ does).
class FieldTable {
public:
    using Entry = std::pair<std::string, FieldValue>;

    FieldTable() = default;
    FieldTable(std::initializer_list<Entry> entries) : entries_(entries) {}

    const FieldValue* find(std::string_view key) const;
    /// Replaces the first entry named `key`, or appends one.
    void set(std::string key, FieldValue value);
    /// Appends without looking for an existing key (decoding keeps duplicates).
    void append(std::string key, FieldValue value) {
        entries_.emplace_back(std::move(key), std::move(value));
    }
    bool erase(std::string_view key);
    const std::vector<Entry>& entries() const { return entries_; }
    bool empty() const { return entries_.empty(); }
    size_t size() const { return entries_.size(); }
    void clear() { entries_.clear(); }

    friend bool operator==(const FieldTable& a, const FieldTable& b) {
        return a.entries_ == b.entries_;
    }

private:
    std::vector<Entry> entries_;
};

/// Decodes an encoded table's contents (no length prefix); false if malformed.
bool decode_table(std::string_view bytes, FieldTable& out);
/// Encodes a table's contents (no length prefix).
void encode_table_body(const FieldTable& t, util::ByteBuffer& out);

}  // namespace warren::amqp
