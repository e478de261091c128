#!/usr/bin/env python3
"""Writes the seed corpora in fuzz/corpus/<target>/ (run from anywhere; idempotent).

The frames are what pika 1.3 sends for a publish and for the handshake, written out from
AMQP 0-9-1 §4.2 by hand; the tables are client_properties and x-arguments as clients send
them. Standard library only.
"""
import struct
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus"


def short(s):
    b = s.encode() if isinstance(s, str) else s
    return bytes([len(b)]) + b


def long_(b):
    b = b.encode() if isinstance(b, str) else b
    return struct.pack(">I", len(b)) + b


def value(v):
    if isinstance(v, bool):
        return b"t" + bytes([v])
    if isinstance(v, int):
        return b"l" + struct.pack(">q", v)
    if isinstance(v, str):
        return b"S" + long_(v)
    if isinstance(v, dict):
        return b"F" + long_(table(v))
    if isinstance(v, list):
        return b"A" + long_(b"".join(value(x) for x in v))
    if v is None:
        return b"V"
    raise TypeError(v)


def table(d):
    return b"".join(short(k) + value(v) for k, v in d.items())


def frame(kind, channel, payload):
    return struct.pack(">BHI", kind, channel, len(payload)) + payload + b"\xce"


def method(class_id, method_id, args):
    return frame(1, CHANNEL, struct.pack(">HH", class_id, method_id) + args)


CHANNEL = 1
PIKA_PROPERTIES = {
    "product": "Pika Python Client Library",
    "platform": "Python 3.11.2",
    "capabilities": {"authentication_failure_close": True, "basic.nack": True,
                     "connection.blocked": True, "consumer_cancel_notify": True,
                     "publisher_confirms": True},
    "information": "See http://pika.rtfd.org",
    "version": "1.3.2",
}


def seeds():
    start_ok = frame(1, 0, struct.pack(">HH", 10, 11) + long_(table(PIKA_PROPERTIES)) +
                     short("PLAIN") + long_(b"\x00guest\x00guest") + short("en_US"))
    tune_ok = frame(1, 0, struct.pack(">HHHIH", 10, 31, 2047, 131072, 60))
    open_ = frame(1, 0, struct.pack(">HH", 10, 40) + short("/") + short("") + b"\x00")
    channel_open = method(20, 10, short(""))
    publish = method(60, 40, struct.pack(">H", 0) + short("amq.topic") + short("logs.info") +
                     b"\x00")
    body = b"hello, world"
    # content-type, delivery-mode 2, headers {x-trace: 1}, timestamp
    props = struct.pack(">H", 0x8000 | 0x2000 | 0x1000 | 0x0040) + short("text/plain") + \
        long_(table({"x-trace": 1})) + b"\x02" + struct.pack(">Q", 1700000000)
    header = frame(2, CHANNEL, struct.pack(">HHQ", 60, 0, len(body)) + props)
    body_frame = frame(3, CHANNEL, body)
    declare = method(50, 10, struct.pack(">H", 0) + short("tasks") + b"\x02" +
                     long_(table({"x-max-length": 10, "x-queue-type": "classic"})))
    consume = method(60, 20, struct.pack(">H", 0) + short("tasks") + short("") + b"\x00" +
                     long_(b""))
    ack = method(60, 80, struct.pack(">Q", 1) + b"\x00")
    heartbeat = frame(8, 0, b"")
    handshake = b"AMQP\x00\x00\x09\x01" + start_ok + tune_ok + open_ + channel_open

    return {
        "frame": {
            "handshake": handshake,
            "start_ok": start_ok,
            "publish": publish + header + body_frame,
            "declare_consume_ack": declare + consume + ack + heartbeat,
            "empty_body_publish": publish + frame(2, CHANNEL, struct.pack(">HHQH", 60, 0, 0, 0)),
        },
        "field_table": {
            "pika_client_properties": table(PIKA_PROPERTIES),
            "queue_arguments": table({"x-max-length": 10, "x-dead-letter-exchange": "dlx",
                                      "x-message-ttl": 60000}),
            "headers_binding": table({"x-match": "any", "format": "pdf", "type": None}),
            "every_type": (short("t") + b"t\x01" + short("b") + b"b\xff" + short("B") + b"B\x01" +
                           short("s") + b"s\xff\xfe" + short("u") + b"u\x00\x02" + short("I") +
                           b"I\x00\x00\x00\x03" + short("i") + b"i\xff\xff\xff\xff" + short("l") +
                           b"l" + struct.pack(">q", -5) + short("f") + b"f" +
                           struct.pack(">f", 1.5) + short("d") + b"d" + struct.pack(">d", 2.5) +
                           short("D") + b"D\x02\x00\x00\x04\xd2" +
                           short("S") + b"S" + long_("str") +
                           short("x") + b"x" + long_(b"\x00\xff") + short("T") + b"T" +
                           struct.pack(">Q", 1700000000) + short("V") + b"V" + short("A") +
                           value([1, "two", [None], {"k": True}]) + short("F") +
                           value({"nested": {"deeper": "yes"}})),
        },
        "topic": {
            "tutorial": b"*.orange.*\n*.*.rabbit\nlazy.#\n\nquick.orange.rabbit\n"
                        b"lazy.orange.elephant\nquick.orange.fox\nlazy.brown.fox\n"
                        b"quick.orange.male.rabbit\n",
            "hashes": b"#\na.#.b\n#.z\n!#\n*.#\n\na.b\na.x.y.b\nz\n\n.\na..b\n",
            "empty_words": b"a..b\na.*.b\n+\n*\n\na..b\na.b\n\n.\n",
        },
    }


def main():
    for target, files in seeds().items():
        d = CORPUS / target
        d.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            (d / name).write_bytes(data)


if __name__ == "__main__":
    main()
