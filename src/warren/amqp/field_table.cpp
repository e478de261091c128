#include "warren/amqp/field_table.h"

#include <bit>
#include <cstring>

namespace warren::amqp {
namespace {

// Deep nesting is legal but only an attacker sends 100 levels; refusing it keeps the
// decoder's recursion bounded.
constexpr int kMaxDepth = 100;

bool read_value(Reader& r, FieldValue& out, int depth);

bool read_table_body(Reader& r, FieldTable& out, int depth) {
    while (r.ok() && r.remaining() > 0) {
        std::string_view key = r.shortstr();
        FieldValue v;
        if (!read_value(r, v, depth)) return false;
        out.append(std::string(key), std::move(v));
    }
    return r.ok();
}

bool read_array_body(Reader& r, FieldArray& out, int depth) {
    while (r.ok() && r.remaining() > 0) {
        FieldValue v;
        if (!read_value(r, v, depth)) return false;
        out.push_back(std::move(v));
    }
    return r.ok();
}

bool read_value(Reader& r, FieldValue& out, int depth) {
    if (depth > kMaxDepth) {
        r.fail();
        return false;
    }
    uint8_t tag = r.u8();
    switch (tag) {
    case 't': out = FieldValue(r.u8() != 0); break;
    case 'b': out = FieldValue(static_cast<int8_t>(r.u8())); break;
    case 'B': out = FieldValue(r.u8()); break;
    case 's': out = FieldValue(static_cast<int16_t>(r.u16())); break;
    case 'u': out = FieldValue(r.u16()); break;
    case 'I': out = FieldValue(static_cast<int32_t>(r.u32())); break;
    case 'i': out = FieldValue(r.u32()); break;
    case 'l': out = FieldValue(static_cast<int64_t>(r.u64())); break;
    case 'f': out = FieldValue(std::bit_cast<float>(r.u32())); break;
    case 'd': out = FieldValue(std::bit_cast<double>(r.u64())); break;
    case 'D': {
        Decimal d;
        d.scale = r.u8();
        d.value = r.u32();
        out = FieldValue(d);
        break;
    }
    case 'S': out = FieldValue(std::string(r.longstr())); break;
    case 'x': out = FieldValue(ByteArray{std::string(r.longstr())}); break;
    case 'T': out = FieldValue(Timestamp{r.u64()}); break;
    case 'V': out = FieldValue(); break;
    case 'F': {
        Reader sub(r.longstr());
        FieldTable t;
        if (!r.ok() || !read_table_body(sub, t, depth + 1)) {
            r.fail();
            return false;
        }
        out = FieldValue(std::move(t));
        break;
    }
    case 'A': {
        Reader sub(r.longstr());
        FieldArray a;
        if (!r.ok() || !read_array_body(sub, a, depth + 1)) {
            r.fail();
            return false;
        }
        out = FieldValue(std::move(a));
        break;
    }
    default: r.fail(); return false;
    }
    return r.ok();
}

void write_value(Writer& w, const FieldValue& v);

// Encodes a nested table/array body behind a 4-byte length patched afterwards.
template <class F>
void write_prefixed(Writer& w, F&& body) {
    util::ByteBuffer& out = w.buffer();
    size_t at = out.size();
    w.u32(0);
    body();
    uint32_t n = static_cast<uint32_t>(out.size() - at - 4);
    uint8_t be[4] = {static_cast<uint8_t>(n >> 24), static_cast<uint8_t>(n >> 16),
                     static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)};
    out.patch(at, be, 4);
}

void write_table_entries(Writer& w, const FieldTable& t) {
    for (const auto& [key, value] : t.entries()) {
        w.shortstr(key);
        write_value(w, value);
    }
}

struct ValueWriter {
    Writer& w;
    void operator()(std::monostate) { w.u8('V'); }
    void operator()(bool v) { w.u8('t'), w.u8(v ? 1 : 0); }
    void operator()(int8_t v) { w.u8('b'), w.u8(static_cast<uint8_t>(v)); }
    void operator()(uint8_t v) { w.u8('B'), w.u8(v); }
    void operator()(int16_t v) { w.u8('s'), w.u16(static_cast<uint16_t>(v)); }
    void operator()(uint16_t v) { w.u8('u'), w.u16(v); }
    void operator()(int32_t v) { w.u8('I'), w.u32(static_cast<uint32_t>(v)); }
    void operator()(uint32_t v) { w.u8('i'), w.u32(v); }
    void operator()(int64_t v) { w.u8('l'), w.u64(static_cast<uint64_t>(v)); }
    void operator()(float v) { w.u8('f'), w.u32(std::bit_cast<uint32_t>(v)); }
    void operator()(double v) { w.u8('d'), w.u64(std::bit_cast<uint64_t>(v)); }
    void operator()(const Decimal& v) { w.u8('D'), w.u8(v.scale), w.u32(v.value); }
    void operator()(const std::string& v) { w.u8('S'), w.longstr(v); }
    void operator()(const ByteArray& v) { w.u8('x'), w.longstr(v.bytes); }
    void operator()(const Timestamp& v) { w.u8('T'), w.u64(v.seconds); }
    void operator()(const Box<FieldArray>& a) {
        w.u8('A');
        write_prefixed(w, [&] {
            for (const auto& item : *a) write_value(w, item);
        });
    }
    void operator()(const Box<FieldTable>& t) {
        w.u8('F');
        write_prefixed(w, [&] { write_table_entries(w, *t); });
    }
};

void write_value(Writer& w, const FieldValue& v) { std::visit(ValueWriter{w}, v.storage()); }

}  // namespace

FieldValue::FieldValue(FieldArray a) : v_(Box<FieldArray>(std::move(a))) {}
FieldValue::FieldValue(FieldTable t) : v_(Box<FieldTable>(std::move(t))) {}

const FieldTable* FieldValue::table() const {
    auto* b = std::get_if<Box<FieldTable>>(&v_);
    return b ? &**b : nullptr;
}
const FieldArray* FieldValue::array() const {
    auto* b = std::get_if<Box<FieldArray>>(&v_);
    return b ? &**b : nullptr;
}

bool FieldValue::as_int(int64_t& out) const {
    return std::visit(
        [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
                out = static_cast<int64_t>(x);
                return true;
            }
            return false;
        },
        v_);
}

char FieldValue::tag() const {
    static constexpr char kTags[] = "VtbBsuIilfdDSxTAF";
    return kTags[v_.index()];
}

const FieldValue* FieldTable::find(std::string_view key) const {
    for (const auto& e : entries_)
        if (e.first == key) return &e.second;
    return nullptr;
}

void FieldTable::set(std::string key, FieldValue value) {
    for (auto& e : entries_) {
        if (e.first == key) {
            e.second = std::move(value);
            return;
        }
    }
    entries_.emplace_back(std::move(key), std::move(value));
}

bool FieldTable::erase(std::string_view key) {
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
        if (it->first == key) {
            entries_.erase(it);
            return true;
        }
    }
    return false;
}

bool decode_table(std::string_view bytes, FieldTable& out) {
    Reader r(bytes);
    return read_table_body(r, out, 0);
}

void encode_table_body(const FieldTable& t, util::ByteBuffer& out) {
    Writer w(out);
    write_table_entries(w, t);
}

void Reader::table(FieldTable& out) {
    std::string_view body = longstr();
    if (!ok()) return;
    if (!decode_table(body, out)) fail();
}

void Writer::table(const FieldTable& t) {
    write_prefixed(*this, [&] { write_table_entries(*this, t); });
}

}  // namespace warren::amqp
