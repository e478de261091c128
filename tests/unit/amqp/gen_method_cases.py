#!/usr/bin/env python3
"""Writes method_cases.h: one MethodCase<M> per method of the AMQP 0-9-1 spec XML.

Usage: gen_method_cases.py SPEC_XML OUT_HEADER

Independent of tools/codegen/amqp_codegen.py on purpose: it reads the XML itself and
encodes the expected wire bytes with its own encoder, so methods_test.cpp checks the
generated codec against the spec instead of against a copy of the same generator.
Standard library only.
"""
import struct
import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def pascal(name):
    return "".join(part.capitalize() for part in name.split("-"))


def snake(name):
    return name.replace("-", "_")


def load(spec_path):
    root = ET.parse(spec_path).getroot()
    domains = {d.get("name"): d.get("type") for d in root.findall("domain")}
    methods = []
    for cls in root.findall("class"):
        for m in cls.findall("method"):
            fields = []
            for f in m.findall("field"):
                typ = domains[f.get("domain")] if f.get("domain") else f.get("type")
                fields.append((snake(f.get("name")), typ))
            methods.append({
                "struct": pascal(cls.get("name")) + pascal(m.get("name")),
                "spec_name": f"{cls.get('name')}.{m.get('name')}",
                "class_id": int(cls.get("index")), "method_id": int(m.get("index")),
                "sync": m.get("synchronous") == "1", "content": m.get("content") == "1",
                "fields": fields,
            })
    return methods


# --- sample values: variant 0 is all zero/empty, 1 and 2 fill every field differently ---

LONG_BINARY = b"\x00\x01\xfe\xff binary \x00 longstr"


def int_value(typ, index, variant):
    width = {"octet": 8, "short": 16, "long": 32, "longlong": 64, "timestamp": 64}[typ]
    if variant == 0:
        return 0
    if variant == 1:  # distinct per field, every byte different, so swaps and endianness show
        return {8: 0x10 + index, 16: 0x1200 + index, 32: 0x12345600 + index,
                64: 0x0102030405060700 + index}[width]
    return (1 << width) - 1 - index  # near the top of the range: sign mistakes show


def str_value(typ, name, variant):
    if variant == 0:
        return b""
    if typ == "shortstr":
        return name.encode() if variant == 1 else (name.encode() * 255)[:255]
    return b"long-" + name.encode() if variant == 1 else LONG_BINARY


def bit_value(bit_index, variant):
    return variant != 0 and (bit_index + variant) % 2 == 1


# Tables: (C++ expression, encoded body) pairs built from the same description.
def enc_short(b):
    return bytes([len(b)]) + b


def enc_long(b):
    return struct.pack(">I", len(b)) + b


def table_value(name, index, variant):
    if variant == 0:
        return "FieldTable{}", b""
    if variant == 1:
        cpp = f'FieldTable{{{{"{name}", FieldValue(int32_t{{{index}}})}}}}'
        body = enc_short(name.encode()) + b"I" + struct.pack(">i", index)
        return cpp, body
    inner = enc_short(b"s") + b"S" + enc_long(b"x")
    arr = b"b" + struct.pack(">b", -1) + b"V"
    cpp = ('FieldTable{{"nested", FieldValue(FieldTable{{"s", FieldValue("x")}})}, '
           '{"arr", FieldValue(FieldArray{FieldValue(int8_t{-1}), FieldValue()})}, '
           f'{{"{name}", FieldValue(true)}}}}')
    body = (enc_short(b"nested") + b"F" + enc_long(inner) +
            enc_short(b"arr") + b"A" + enc_long(arr) +
            enc_short(name.encode()) + b"t\x01")
    return cpp, body


def cpp_bytes(b):
    """A C++ std::string_view of exactly these bytes (octal escapes never run on)."""
    body = "".join(chr(c) if 0x20 <= c < 0x7f and chr(c) not in '"\\?' else f"\\{c:03o}"
                   for c in b)
    return f'std::string_view("{body}", {len(b)})'


def encode(method, variant):
    out = struct.pack(">HH", method["class_id"], method["method_id"])
    bits, bit_index = [], 0

    def flush_bits():
        nonlocal out, bits
        if bits:
            out += bytes([sum(1 << i for i, b in enumerate(bits) if b)])
            bits = []

    for index, (name, typ) in enumerate(method["fields"]):
        if typ == "bit":
            bits.append(bit_value(bit_index, variant))
            bit_index += 1
            if len(bits) == 8:
                flush_bits()
            continue
        flush_bits()
        if typ in ("octet", "short", "long", "longlong", "timestamp"):
            fmt = {"octet": ">B", "short": ">H", "long": ">I", "longlong": ">Q", "timestamp": ">Q"}
            out += struct.pack(fmt[typ], int_value(typ, index, variant))
        elif typ == "shortstr":
            out += enc_short(str_value(typ, name, variant))
        elif typ == "longstr":
            out += enc_long(str_value(typ, name, variant))
        elif typ == "table":
            out += enc_long(table_value(name, index, variant)[1])
        else:
            raise SystemExit(f"unknown field type {typ} in {method['spec_name']}")
    flush_bits()
    return out


def fill_lines(method, variant):
    lines, bit_index = [], 0
    for index, (name, typ) in enumerate(method["fields"]):
        if typ == "bit":
            lines.append(f"m.{name} = {'true' if bit_value(bit_index, variant) else 'false'};")
            bit_index += 1
        elif typ in ("shortstr", "longstr"):
            lines.append(f"m.{name} = {cpp_bytes(str_value(typ, name, variant))};")
        elif typ == "table":
            lines.append(f"m.{name} = {table_value(name, index, variant)[0]};")
        else:
            cast = {"octet": "uint8_t", "short": "uint16_t", "long": "uint32_t",
                    "longlong": "uint64_t", "timestamp": "uint64_t"}[typ]
            lines.append(f"m.{name} = {cast}{{{int_value(typ, index, variant)}u}};")
    return lines


def gen(spec_path, out_path):
    methods = load(spec_path)
    h = ["// Generated by tests/unit/amqp/gen_method_cases.py from the AMQP 0-9-1 spec XML.",
         "// Do not edit.",
         "#pragma once\n",
         '#include "warren/amqp/methods.h"\n',
         "#include <gtest/gtest.h>\n",
         "#include <cstdint>\n#include <string_view>\n",
         "namespace warren::amqp::spec {\n",
         "/// What the spec says about one method: ids, flags, sample fillings (variant 0 all",
         "/// zero, 1 and 2 distinct values) and the wire bytes each must encode to.",
         "template <class M>\nstruct MethodCase;\n",
         f"inline constexpr int kSpecMethodCount = {len(methods)};\n"]
    for m in methods:
        s = m["struct"]
        h.append(f"template <>\nstruct MethodCase<{s}> {{")
        h.append(f'    static constexpr const char* kTypeName = "{s}";')
        h.append(f'    static constexpr std::string_view kSpecName = "{m["spec_name"]}";')
        h.append(f"    static constexpr uint16_t kClassId = {m['class_id']};")
        h.append(f"    static constexpr uint16_t kMethodId = {m['method_id']};")
        h.append(f"    static constexpr bool kSynchronous = {'true' if m['sync'] else 'false'};")
        h.append(f"    static constexpr bool kHasContent = {'true' if m['content'] else 'false'};")
        h.append(f"    static constexpr int kFieldCount = {len(m['fields'])};")
        h.append(f"    static void fill([[maybe_unused]] {s}& m, int variant) {{")
        for variant in (1, 2):
            h.append(f"        if (variant == {variant}) {{")
            h.extend("            " + line for line in fill_lines(m, variant))
            h.append("        }")
        h.append("    }")
        h.append("    static std::string_view expected(int variant) {")
        for variant in (0, 1):
            h.append(f"        if (variant == {variant}) return {cpp_bytes(encode(m, variant))};")
        h.append(f"        return {cpp_bytes(encode(m, 2))};")
        h.append("    }")
        h.append(f"    static void expect_equal([[maybe_unused]] const {s}& a, "
                 f"[[maybe_unused]] const {s}& b) {{")
        for name, typ in m["fields"]:
            if typ == "table":
                h.append(f'        EXPECT_TRUE(a.{name} == b.{name}) << "{name}";')
            else:
                h.append(f'        EXPECT_EQ(a.{name}, b.{name}) << "{name}";')
        h.append("    }")
        h.append("};\n")
    h.append("using AllMethods = ::testing::Types<")
    h.append(",\n".join(f"    {m['struct']}" for m in methods) + ">;\n")
    h.append("}  // namespace warren::amqp::spec")
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join(h) + "\n"
    if not out.exists() or out.read_text() != text:
        out.write_text(text)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: gen_method_cases.py SPEC_XML OUT_HEADER")
    gen(sys.argv[1], sys.argv[2])
