"""basic.publish / basic.get / basic.consume / basic.cancel / basic.return."""
import datetime
import decimal
import re

import pika
import pytest
from pika import frame as pframe
from pika import spec

from support import SERVER_CONSUMER_TAG_RE, channel_error, pump_until, uname


def new_queue(ch):
    return ch.queue_declare("", exclusive=True).method.queue


# ---------------------------------------------------------------------------
# basic.get
# ---------------------------------------------------------------------------

def test_basic_get_fields(channel):
    q = new_queue(channel)
    for body in (b"one", b"two", b"three"):
        channel.basic_publish("", q, body)
    method, props, body = channel.basic_get(q)
    assert isinstance(method, spec.Basic.GetOk)
    assert (method.delivery_tag, method.redelivered, method.exchange, method.routing_key,
            method.message_count) == (1, False, "", q, 2)
    assert body == b"one"
    method, _, body = channel.basic_get(q)
    assert (method.delivery_tag, method.message_count, body) == (2, 1, b"two")
    method, _, body = channel.basic_get(q, auto_ack=True)
    assert (method.delivery_tag, method.message_count, body) == (3, 0, b"three")


def test_basic_get_empty(channel):
    q = new_queue(channel)
    assert channel.basic_get(q) == (None, None, None)


def test_basic_get_empty_raw(raw):
    c = raw()
    c.handshake()
    c.open_channel(1)
    c.send_method(1, spec.Queue.Declare(queue="", exclusive=True))
    q = c.expect(spec.Queue.DeclareOk).method.queue
    c.send_method(1, spec.Basic.Get(queue=q))
    assert c.expect(spec.Basic.GetEmpty).method.cluster_id == ""


def test_get_routing_info_via_exchange(channel, res):
    x = res.exchange()
    channel.exchange_declare(x, "topic")
    q = new_queue(channel)
    channel.queue_bind(q, x, "log.*")
    channel.basic_publish(x, "log.error", b"boom")
    method, _, body = channel.basic_get(q, auto_ack=True)
    assert (method.exchange, method.routing_key, body) == (x, "log.error", b"boom")


# ---------------------------------------------------------------------------
# Message content
# ---------------------------------------------------------------------------

def test_all_properties_round_trip(channel):
    q = new_queue(channel)
    headers = {
        "s": "str", "i": 42, "neg": -7, "big": 2 ** 40, "b": True, "f": False,
        "d": decimal.Decimal("3.14"), "t": datetime.datetime(2020, 1, 2, 3, 4, 5), "n": None,
        "tab": {"x": 1, "y": "z"}, "arr": [1, "two", [3]], "bytes": b"\x00\xff",
    }
    sent = pika.BasicProperties(
        content_type="application/json", content_encoding="gzip", headers=headers,
        delivery_mode=2, priority=5, correlation_id="corr", reply_to="rt", expiration="60000",
        message_id="mid", timestamp=1600000000, type="typ", user_id="guest", app_id="app",
        cluster_id="cid")
    channel.basic_publish("", q, b"body", sent)
    _, got, body = channel.basic_get(q, auto_ack=True)
    assert body == b"body"
    for field in ("content_type", "content_encoding", "delivery_mode", "priority", "correlation_id",
                  "reply_to", "expiration", "message_id", "timestamp", "type", "user_id", "app_id",
                  "cluster_id"):
        assert getattr(got, field) == getattr(sent, field), field
    assert got.headers == headers


def test_no_properties(channel):
    q = new_queue(channel)
    channel.basic_publish("", q, b"plain")
    _, props, _ = channel.basic_get(q, auto_ack=True)
    assert props.headers is None and props.delivery_mode is None and props.content_type is None


@pytest.mark.parametrize("size", [0, 1, 131072 - 8, 131072 - 7, 300000, 2 * 1024 * 1024 + 3])
def test_body_sizes(channel, size):
    q = new_queue(channel)
    body = (bytes(range(256)) * (size // 256 + 1))[:size]
    channel.basic_publish("", q, body)
    _, _, got = channel.basic_get(q, auto_ack=True)
    assert got == body


def test_user_id_must_match_authenticated_user(plain_channel, broker):
    plain_channel.basic_publish("", "any", b"x", pika.BasicProperties(user_id="bob"))
    assert channel_error(plain_channel.queue_declare, "", exclusive=True) == (
        406, "PRECONDITION_FAILED - user_id property set to 'bob' but authenticated user was '%s'" % broker.username)


@pytest.mark.parametrize("expiration,text", [
    ("abc", "PRECONDITION_FAILED - invalid expiration 'abc': no_integer"),
    ("-1", "PRECONDITION_FAILED - invalid expiration '-1': {value_negative,-1}"),
    ("", "PRECONDITION_FAILED - invalid expiration '': no_integer"),
])
def test_invalid_expiration(plain_channel, expiration, text):
    plain_channel.basic_publish("", "any", b"x", pika.BasicProperties(expiration=expiration))
    assert channel_error(plain_channel.queue_declare, "", exclusive=True) == (406, text)


@pytest.mark.parametrize("mode", [0, 3])
def test_invalid_delivery_mode(plain_channel, mode):
    plain_channel.basic_publish("", "any", b"x", pika.BasicProperties(delivery_mode=mode))
    assert channel_error(plain_channel.queue_declare, "", exclusive=True) == (
        406, "PRECONDITION_FAILED - invalid message: {delivery_mode_unknown,%d}" % mode)


def test_publish_to_unbound_key_is_dropped(channel):
    channel.basic_publish("", uname("wt-nobody"), b"dropped")   # no error, confirmed
    channel.basic_publish("amq.direct", uname("wt-nokey"), b"dropped")


def test_each_queue_gets_its_own_copy(channel, res):
    x = res.exchange()
    channel.exchange_declare(x, "fanout")
    q1, q2 = new_queue(channel), new_queue(channel)
    channel.queue_bind(q1, x)
    channel.queue_bind(q2, x)
    channel.basic_publish(x, "", b"copy")
    m1, _, b1 = channel.basic_get(q1)
    channel.basic_ack(m1.delivery_tag)
    m2, _, b2 = channel.basic_get(q2)
    channel.basic_reject(m2.delivery_tag, requeue=True)
    assert (b1, b2) == (b"copy", b"copy")
    assert channel.queue_declare(q1, passive=True).method.message_count == 0
    assert channel.queue_declare(q2, passive=True).method.message_count == 1


# ---------------------------------------------------------------------------
# basic.consume / deliveries
# ---------------------------------------------------------------------------

def test_consume_delivers_in_order_with_fields(connection, channel):
    q = new_queue(channel)
    got = []
    tag = channel.basic_consume(q, lambda ch, m, p, b: got.append((m, b)), consumer_tag="wt-ctag")
    assert tag == "wt-ctag"
    for i in range(100):
        channel.basic_publish("", q, b"%d" % i)
    pump_until(connection, lambda: len(got) == 100)
    assert [b for _, b in got] == [b"%d" % i for i in range(100)]
    assert [m.delivery_tag for m, _ in got] == list(range(1, 101))
    m = got[0][0]
    assert isinstance(m, spec.Basic.Deliver)
    assert (m.consumer_tag, m.redelivered, m.exchange, m.routing_key) == ("wt-ctag", False, "", q)


def test_consume_existing_messages(connection, channel):
    q = new_queue(channel)
    for i in range(5):
        channel.basic_publish("", q, b"%d" % i)
    got = []
    channel.basic_consume(q, lambda ch, m, p, b: got.append(b), auto_ack=True)
    pump_until(connection, lambda: len(got) == 5)
    assert got == [b"0", b"1", b"2", b"3", b"4"]
    assert channel.queue_declare(q, passive=True).method.message_count == 0


def test_delivery_tags_shared_between_get_and_consume(connection, channel):
    q = new_queue(channel)
    channel.basic_publish("", q, b"a")
    m, _, _ = channel.basic_get(q)
    assert m.delivery_tag == 1
    got = []
    channel.basic_consume(q, lambda ch, m, p, b: got.append(m.delivery_tag))
    channel.basic_publish("", q, b"b")
    pump_until(connection, lambda: got)
    assert got == [2]


def test_delivery_tags_are_per_channel(connection):
    a, b = connection.channel(), connection.channel()
    a.confirm_delivery()
    q = new_queue(a)
    for i in range(2):
        a.basic_publish("", q, b"x")
    assert a.basic_get(q)[0].delivery_tag == 1
    assert b.basic_get(q)[0].delivery_tag == 1


def test_server_generated_consumer_tag(raw):
    c = raw()
    c.handshake()
    c.open_channel(1)
    c.send_method(1, spec.Queue.Declare(queue="", exclusive=True))
    q = c.expect(spec.Queue.DeclareOk).method.queue
    tags = set()
    for _ in range(3):
        c.send_method(1, spec.Basic.Consume(queue=q, consumer_tag=""))
        tags.add(c.expect(spec.Basic.ConsumeOk).method.consumer_tag)
    assert len(tags) == 3
    for tag in tags:
        assert re.match(SERVER_CONSUMER_TAG_RE, tag), tag


def test_duplicate_consumer_tag_is_a_connection_error(raw):
    c = raw()
    c.handshake()
    c.open_channel(1)
    c.send_method(1, spec.Queue.Declare(queue="", exclusive=True))
    q = c.expect(spec.Queue.DeclareOk).method.queue
    c.send_method(1, spec.Basic.Consume(queue=q, consumer_tag="ct1"))
    c.expect(spec.Basic.ConsumeOk)
    c.send_method(1, spec.Basic.Consume(queue=q, consumer_tag="ct1"))
    assert c.expect_close() == (530, "NOT_ALLOWED - attempt to reuse consumer tag 'ct1'", 60, 20)


def test_same_consumer_tag_on_different_channels(connection, channel):
    q = new_queue(channel)
    other = connection.channel()
    channel.basic_consume(q, lambda *a: None, consumer_tag="same")
    other.basic_consume(q, lambda *a: None, consumer_tag="same")
    assert channel.queue_declare(q, passive=True).method.consumer_count == 2


def test_consume_missing_queue(channel, broker):
    q = uname("wt-q")
    assert channel_error(channel.basic_consume, q, lambda *a: None) == (
        404, "NOT_FOUND - no queue '%s' in vhost '%s'" % (q, broker.vhost))


def test_get_missing_queue(channel, broker):
    q = uname("wt-q")
    assert channel_error(channel.basic_get, q) == (404, "NOT_FOUND - no queue '%s' in vhost '%s'" % (q, broker.vhost))


def test_cancel_stops_deliveries(connection, channel):
    q = new_queue(channel)
    got = []
    tag = channel.basic_consume(q, lambda ch, m, p, b: got.append(b), auto_ack=True)
    channel.basic_publish("", q, b"before")
    pump_until(connection, lambda: got)
    channel.basic_cancel(tag)
    channel.basic_publish("", q, b"after")
    connection.process_data_events(time_limit=0.2)
    assert got == [b"before"]
    assert channel.queue_declare(q, passive=True).method.message_count == 1


def test_cancel_ok_and_unknown_tag(raw):
    c = raw()
    c.handshake()
    c.open_channel(1)
    c.send_method(1, spec.Basic.Cancel(consumer_tag="never-existed"))
    assert c.expect(spec.Basic.CancelOk).method.consumer_tag == "never-existed"
    c.send_method(1, spec.Queue.Declare(queue="", exclusive=True))
    q = c.expect(spec.Queue.DeclareOk).method.queue
    c.send_method(1, spec.Basic.Consume(queue=q, consumer_tag="ct"))
    c.expect(spec.Basic.ConsumeOk)
    c.send_method(1, spec.Basic.Cancel(consumer_tag="ct"))
    assert c.expect(spec.Basic.CancelOk).method.consumer_tag == "ct"


def test_round_robin_between_consumers(connection, channel):
    q = new_queue(channel)
    got = {"a": [], "b": []}
    channel.basic_consume(q, lambda ch, m, p, b: got["a"].append(b), auto_ack=True)
    channel.basic_consume(q, lambda ch, m, p, b: got["b"].append(b), auto_ack=True)
    for i in range(6):
        channel.basic_publish("", q, b"%d" % i)
    pump_until(connection, lambda: len(got["a"]) + len(got["b"]) == 6)
    assert sorted([got["a"], got["b"]]) == [[b"0", b"2", b"4"], [b"1", b"3", b"5"]]


def test_delivery_content_frames(raw):
    """basic.deliver is followed by exactly one header frame and the body frames."""
    c = raw()
    c.handshake()
    c.open_channel(1)
    c.send_method(1, spec.Queue.Declare(queue="", exclusive=True))
    q = c.expect(spec.Queue.DeclareOk).method.queue
    c.send_method(1, spec.Basic.Consume(queue=q, consumer_tag="ct", no_ack=True))
    c.expect(spec.Basic.ConsumeOk)
    c.publish(1, spec.Basic.Publish(exchange="", routing_key=q), b"hello",
              spec.BasicProperties(content_type="text/plain"))
    d = c.expect(spec.Basic.Deliver)
    assert (d.channel_number, d.method.consumer_tag, d.method.delivery_tag) == (1, "ct", 1)
    hdr = c.recv_frame()
    assert isinstance(hdr, pframe.Header)
    assert (hdr.channel_number, hdr.body_size, hdr.properties.content_type) == (1, 5, "text/plain")
    body = c.recv_frame()
    assert isinstance(body, pframe.Body) and body.fragment == b"hello"


def test_empty_body_delivery_has_no_body_frame(raw):
    c = raw()
    c.handshake()
    c.open_channel(1)
    c.send_method(1, spec.Queue.Declare(queue="", exclusive=True))
    q = c.expect(spec.Queue.DeclareOk).method.queue
    c.publish(1, spec.Basic.Publish(exchange="", routing_key=q), b"")
    c.send_method(1, spec.Basic.Get(queue=q, no_ack=True))
    c.expect(spec.Basic.GetOk)
    hdr = c.recv_frame()
    assert isinstance(hdr, pframe.Header) and hdr.body_size == 0
    # next frame is the answer to the next request, not an empty body frame
    c.send_method(1, spec.Basic.Get(queue=q, no_ack=True))
    c.expect(spec.Basic.GetEmpty)


# ---------------------------------------------------------------------------
# mandatory / basic.return
# ---------------------------------------------------------------------------

def test_mandatory_unroutable_is_returned(connection, plain_channel):
    returned = []
    plain_channel.add_on_return_callback(lambda ch, m, p, b: returned.append((m, p, b)))
    key = uname("wt-nobody")
    plain_channel.basic_publish("", key, b"bounce", pika.BasicProperties(message_id="m1"), mandatory=True)
    pump_until(connection, lambda: returned)
    m, p, b = returned[0]
    assert isinstance(m, spec.Basic.Return)
    assert (m.reply_code, m.reply_text, m.exchange, m.routing_key) == (312, "NO_ROUTE", "", key)
    assert (p.message_id, b) == ("m1", b"bounce")


def test_mandatory_unroutable_via_exchange(connection, plain_channel, res):
    x = res.exchange()
    plain_channel.exchange_declare(x, "direct")
    returned = []
    plain_channel.add_on_return_callback(lambda ch, m, p, b: returned.append(m))
    plain_channel.basic_publish(x, "nokey", b"bounce", mandatory=True)
    pump_until(connection, lambda: returned)
    assert (returned[0].reply_code, returned[0].reply_text, returned[0].exchange,
            returned[0].routing_key) == (312, "NO_ROUTE", x, "nokey")


def test_mandatory_routed_is_not_returned(connection, plain_channel):
    q = new_queue(plain_channel)
    returned = []
    plain_channel.add_on_return_callback(lambda ch, m, p, b: returned.append(m))
    plain_channel.basic_publish("", q, b"ok", mandatory=True)
    plain_channel.queue_declare(q, passive=True)
    connection.process_data_events(time_limit=0.2)
    assert returned == []


def test_non_mandatory_unroutable_is_not_returned(connection, plain_channel):
    returned = []
    plain_channel.add_on_return_callback(lambda ch, m, p, b: returned.append(m))
    plain_channel.basic_publish("", uname("wt-nobody"), b"dropped", mandatory=False)
    plain_channel.queue_declare("", exclusive=True)
    connection.process_data_events(time_limit=0.2)
    assert returned == []
