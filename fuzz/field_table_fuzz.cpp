// Decodes arbitrary bytes as a field table body; whatever decodes must re-encode, decode
// again to an equal table, and re-encode to the same bytes.
#include "warren/amqp/field_table.h"

#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <type_traits>
#include <variant>

namespace {

using namespace warren::amqp;

[[noreturn]] void fail(const char* why) {
    std::fprintf(stderr, "field_table_fuzz: %s\n", why);
    std::abort();
}

bool same(const FieldTable& a, const FieldTable& b);
bool same(const FieldArray& a, const FieldArray& b);

// FieldValue's operator== compares floats by value, so a NaN never equals itself; the
// wire keeps bit patterns, so compare those.
bool same(const FieldValue& a, const FieldValue& b) {
    if (a.storage().index() != b.storage().index()) return false;
    return std::visit(
        [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            const T& y = std::get<T>(b.storage());
            if constexpr (std::is_same_v<T, float>) {
                return std::bit_cast<uint32_t>(x) == std::bit_cast<uint32_t>(y);
            } else if constexpr (std::is_same_v<T, double>) {
                return std::bit_cast<uint64_t>(x) == std::bit_cast<uint64_t>(y);
            } else if constexpr (std::is_same_v<T, Box<FieldTable>> ||
                                 std::is_same_v<T, Box<FieldArray>>) {
                return same(*x, *y);
            } else {
                return x == y;
            }
        },
        a.storage());
}

bool same(const FieldArray& a, const FieldArray& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (!same(a[i], b[i])) return false;
    return true;
}

bool same(const FieldTable& a, const FieldTable& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (a.entries()[i].first != b.entries()[i].first) return false;
        if (!same(a.entries()[i].second, b.entries()[i].second)) return false;
    }
    return true;
}

std::string encode(const FieldTable& t) {
    warren::util::ByteBuffer buf;
    encode_table_body(t, buf);
    return std::string(reinterpret_cast<const char*>(buf.data()), buf.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    FieldTable first;
    if (!decode_table(input, first)) return 0;
    std::string once = encode(first);
    if (once.size() != input.size()) fail("re-encoding changed the table's size");
    FieldTable second;
    if (!decode_table(once, second)) fail("re-encoded table rejected");
    if (!same(first, second)) fail("table changed across encode/decode");
    if (encode(second) != once) fail("table re-encoding is not stable");
    // The length-prefixed form through Reader/Writer must agree with the body form.
    warren::util::ByteBuffer prefixed;
    Writer w(prefixed);
    w.table(first);
    Reader r(prefixed.data(), prefixed.size());
    FieldTable third;
    r.table(third);
    if (!r.ok() || r.remaining() != 0 || !same(first, third)) fail("Reader::table disagrees");
    return 0;
}
