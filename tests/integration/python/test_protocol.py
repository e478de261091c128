"""Frame-level protocol errors, driven through a raw socket (support.RawClient).

Each test checks the connection.close the broker sends (reply code, full
reply text, class id, method id) and that the socket is closed afterwards."""
import pytest
from pika import frame as pframe
from pika import spec

from conftest import EXTERNAL_URL
from support import PeerClosed, raw_frame, raw_method_payload, uname

CLOSE_DEADLINE = 10.0  # RabbitMQ closes ~3 s after a fatal frame error even after close-ok


@pytest.fixture
def client(raw):
    c = raw(timeout=5)
    c.handshake()
    return c


@pytest.fixture
def ch1(client):
    client.open_channel(1)
    return client


def assert_closed_with(c, code, text, class_id=0, method_id=0):
    assert c.expect_close() == (code, text, class_id, method_id)
    assert c.wait_peer_close(CLOSE_DEADLINE) < CLOSE_DEADLINE


def content(channel, body, props=None):
    return (pframe.Header(channel, len(body), props or spec.BasicProperties()).marshal()
            + pframe.Body(channel, body).marshal())


# ---------------------------------------------------------------------------
# Malformed frames
# ---------------------------------------------------------------------------

def test_bad_frame_end_octet(client):
    good = pframe.Method(1, spec.Channel.Open()).marshal()
    client.send(good[:-1] + b"\x00")
    assert_closed_with(client, 501, "FRAME_ERROR - type 1, all octets = <<0,20,0,10,0>>: {invalid_frame_end_marker,0}")


def test_bad_frame_end_on_heartbeat(client):
    client.send(b"\x08\x00\x00\x00\x00\x00\x00\x41")
    assert_closed_with(client, 501, "FRAME_ERROR - type 8, all octets = <<>>: {invalid_frame_end_marker,65}")


def test_unknown_frame_type(client):
    client.send(raw_frame(9, 0, b""))
    assert_closed_with(client, 501, "FRAME_ERROR - type 9, all octets = <<>>: unknown_frame")


def test_unknown_frame_type_with_payload(ch1):
    ch1.send(raw_frame(5, 1, b"abc"))
    assert_closed_with(ch1, 501, 'FRAME_ERROR - type 5, all octets = <<"abc">>: unknown_frame')


def test_truncated_method_arguments(ch1):
    # queue.declare whose arguments stop after one octet
    ch1.send(raw_frame(1, 1, raw_method_payload(50, 10, b"\x00")))
    assert_closed_with(ch1, 501, "FRAME_ERROR - cannot decode <<0>>", 50, 10)


def test_frame_larger_than_default_frame_max(ch1):
    # RabbitMQ reports the limit as frame_max - 8 (131072 - 8)
    ch1.send(raw_frame(3, 1, b"x" * 200000))
    assert_closed_with(ch1, 501, "FRAME_ERROR - type 3, all octets = <<>>: {frame_too_large,200000,131064}")


def test_frame_larger_than_negotiated_frame_max(raw):
    c = raw()
    c.handshake(frame_max=4096)
    c.open_channel(1)
    c.send(raw_frame(3, 1, b"x" * 5000))
    assert_closed_with(c, 501, "FRAME_ERROR - type 3, all octets = <<>>: {frame_too_large,5000,4088}")


def test_frame_exactly_at_negotiated_frame_max_is_accepted(raw, res):
    """A frame of frame_max octets in total (payload frame_max - 8) is fine."""
    q = res.queue()
    c = raw()
    c.handshake(frame_max=4096)
    c.open_channel(1)
    c.send_method(1, spec.Queue.Declare(queue=q, exclusive=True))
    c.expect(spec.Queue.DeclareOk)
    body = b"y" * 4088
    c.send_method(1, spec.Basic.Publish(exchange="", routing_key=q))
    c.send(pframe.Header(1, len(body), spec.BasicProperties()).marshal())
    c.send(raw_frame(3, 1, body))
    c.send_method(1, spec.Basic.Get(queue=q, no_ack=True))
    c.expect(spec.Basic.GetOk)
    hdr = c.recv_frame()
    assert isinstance(hdr, pframe.Header) and hdr.body_size == 4088
    got = b""
    while len(got) < 4088:
        frm = c.recv_frame()
        assert isinstance(frm, pframe.Body)
        # the broker must respect the negotiated frame_max too
        assert len(frm.fragment) <= 4088
        got += frm.fragment
    assert got == body


def test_large_message_is_split_into_frame_max_sized_body_frames(raw, res):
    q = res.queue()
    c = raw()
    c.handshake(frame_max=4096)
    c.open_channel(1)
    c.send_method(1, spec.Queue.Declare(queue=q, exclusive=True))
    c.expect(spec.Queue.DeclareOk)
    body = bytes(range(256)) * 40  # 10240 octets -> 3 body frames of <= 4088
    c.publish(1, spec.Basic.Publish(exchange="", routing_key=q), body)
    c.send_method(1, spec.Basic.Get(queue=q, no_ack=True))
    c.expect(spec.Basic.GetOk)
    hdr = c.recv_frame()
    assert hdr.body_size == len(body)
    sizes, got = [], b""
    while len(got) < len(body):
        frm = c.recv_frame()
        sizes.append(len(frm.fragment))
        got += frm.fragment
    assert got == body
    assert max(sizes) <= 4088 and len(sizes) >= 3, sizes


# ---------------------------------------------------------------------------
# Frames in the wrong place
# ---------------------------------------------------------------------------

def test_method_on_channel_that_is_not_open(client):
    client.send_method(5, spec.Queue.Declare(queue="", exclusive=True))
    assert_closed_with(client, 504, "CHANNEL_ERROR - expected 'channel.open'", 50, 10)


def test_channel_close_on_channel_that_is_not_open(client):
    client.send_method(5, spec.Channel.Close(reply_code=200, reply_text="bye", class_id=0, method_id=0))
    assert_closed_with(client, 504, "CHANNEL_ERROR - expected 'channel.open'", 20, 40)


def test_second_channel_open(ch1):
    ch1.send_method(1, spec.Channel.Open())
    assert_closed_with(ch1, 504, "CHANNEL_ERROR - second 'channel.open' seen", 20, 10)


def test_non_connection_method_on_channel_zero(client):
    client.send_method(0, spec.Queue.Declare(queue="", exclusive=True))
    assert_closed_with(client, 504, "CHANNEL_ERROR - unexpected method in connection state running", 50, 10)


def test_connection_open_twice(client):
    client.send_method(0, spec.Connection.Open(virtual_host="/"))
    assert_closed_with(client, 504, "CHANNEL_ERROR - unexpected method in connection state running", 10, 40)


def test_connection_method_on_a_channel(ch1):
    ch1.send_method(1, spec.Connection.Close(reply_code=200, reply_text="x", class_id=0, method_id=0))
    assert_closed_with(ch1, 503, "COMMAND_INVALID - unimplemented method", 10, 50)


def test_body_frame_without_header(ch1):
    ch1.send(raw_frame(3, 1, b"abc"))
    assert_closed_with(ch1, 505, "UNEXPECTED_FRAME - expected method frame, got non method frame instead")


def test_header_frame_without_publish(ch1):
    ch1.send(pframe.Header(1, 3, spec.BasicProperties()).marshal())
    assert_closed_with(ch1, 505, "UNEXPECTED_FRAME - expected method frame, got non method frame instead")


def test_method_instead_of_content_header(ch1):
    ch1.send_method(1, spec.Basic.Publish(exchange="", routing_key="x"))
    ch1.send_method(1, spec.Queue.Declare(queue="", exclusive=True))
    assert_closed_with(ch1, 505, "UNEXPECTED_FRAME - expected content header for class 60, "
                                 "got non content header frame instead", 60, 40)


def test_method_instead_of_content_body(ch1):
    ch1.send_method(1, spec.Basic.Publish(exchange="", routing_key="x"))
    ch1.send(pframe.Header(1, 10, spec.BasicProperties()).marshal())
    ch1.send(raw_frame(3, 1, b"abc"))  # 3 of the 10 announced octets
    ch1.send_method(1, spec.Queue.Declare(queue="", exclusive=True))
    assert_closed_with(ch1, 505, "UNEXPECTED_FRAME - expected content body, got non content body frame instead", 60, 40)


def test_heartbeat_on_non_zero_channel(ch1):
    ch1.send(raw_frame(8, 1, b""))
    assert_closed_with(ch1, 505, "UNEXPECTED_FRAME - type 8, all octets = <<>>")


def test_content_header_on_channel_zero(client):
    client.send(pframe.Header(0, 3, spec.BasicProperties()).marshal())
    assert_closed_with(client, 505, "UNEXPECTED_FRAME - type 2, all octets = <<0,60,0,0,0,0,0,0,0,0,0,3,0,0>>")


def test_body_longer_than_announced(ch1):
    """Surprise: RabbitMQ does not reject a body frame that overshoots the size in
    the content header; it keeps waiting for more body frames (the remaining size
    never reaches 0), so the next method frame is an UNEXPECTED_FRAME."""
    q = uname("wt-q")
    ch1.send_method(1, spec.Queue.Declare(queue=q, exclusive=True))
    ch1.expect(spec.Queue.DeclareOk)
    ch1.send_method(1, spec.Basic.Publish(exchange="", routing_key=q))
    ch1.send(pframe.Header(1, 2, spec.BasicProperties()).marshal())
    ch1.send(raw_frame(3, 1, b"abc"))
    ch1.send_method(1, spec.Basic.Get(queue=q, no_ack=True))
    frm = ch1.recv_method()
    assert isinstance(frm.method, spec.Connection.Close), frm
    assert (frm.method.reply_code, frm.method.reply_text) == (
        505, "UNEXPECTED_FRAME - expected content body, got non content body frame instead")


# ---------------------------------------------------------------------------
# Unknown methods
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("channel,class_id,method_id", [
    (0, 10, 99),     # unknown method of class connection
    (1, 999, 10),    # unknown class
    (1, 60, 999),    # unknown method of class basic
])
def test_unknown_class_or_method_drops_connection(ch1, channel, class_id, method_id):
    """RabbitMQ 3.10 crashes the connection process on an unknown class/method id
    ({unknown_method_id,{C,M}} in its log): the client gets no connection.close, the socket
    just closes. Warren (a deliberate difference, docs/compatibility.md) says why first:
    connection.close 540 NOT_IMPLEMENTED naming the ids, then closes the socket."""
    ch1.send(raw_frame(1, channel, raw_method_payload(class_id, method_id)))
    frames = []
    try:
        while True:
            frames.append(ch1.recv_frame(timeout=CLOSE_DEADLINE))
    except PeerClosed:
        pass
    frames = [f for f in frames if f.frame_type != spec.FRAME_HEARTBEAT]
    if EXTERNAL_URL:
        assert frames == []
    else:
        assert len(frames) == 1 and isinstance(frames[0].method, spec.Connection.Close), frames
        close = frames[0].method
        assert (close.reply_code, close.reply_text, close.class_id, close.method_id) == (
            540, "NOT_IMPLEMENTED - unknown method %d/%d" % (class_id, method_id),
            class_id, method_id)


# ---------------------------------------------------------------------------
# basic.publish immediate / channel_max
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("mandatory", [False, True])
def test_publish_immediate_not_implemented(ch1, mandatory):
    ch1.publish(1, spec.Basic.Publish(exchange="", routing_key="x", immediate=True, mandatory=mandatory), b"hi")
    assert_closed_with(ch1, 540, "NOT_IMPLEMENTED - immediate=true", 60, 40)


def test_channel_max_limits_number_of_open_channels(raw):
    c = raw()
    c.handshake(channel_max=10)
    for n in range(1, 11):
        c.open_channel(n)
    c.send_method(11, spec.Channel.Open())
    assert_closed_with(c, 530, "NOT_ALLOWED - number of channels opened (10) has reached the negotiated channel_max (10)")


def test_channel_number_above_channel_max_is_accepted(raw):
    """Surprise: RabbitMQ limits the *count* of open channels, not channel numbers."""
    c = raw()
    c.handshake(channel_max=10)
    c.send_method(11, spec.Channel.Open())
    assert c.expect(spec.Channel.OpenOk).channel_number == 11
    c.send_method(2048, spec.Channel.Open())
    assert c.expect(spec.Channel.OpenOk).channel_number == 2048


def test_channel_number_can_be_reused_after_close(ch1):
    ch1.send_method(1, spec.Channel.Close(reply_code=200, reply_text="", class_id=0, method_id=0))
    ch1.expect(spec.Channel.CloseOk)
    ch1.open_channel(1)
    ch1.send_method(1, spec.Queue.Declare(queue="", exclusive=True))
    ch1.expect(spec.Queue.DeclareOk)


@pytest.mark.parametrize("method,code,text,ids", [
    (spec.Channel.Flow(active=False), 540, "NOT_IMPLEMENTED - active=false", (20, 20)),
    (spec.Basic.Qos(prefetch_size=10), 540, "NOT_IMPLEMENTED - prefetch_size!=0 (10)", (60, 10)),
    (spec.Basic.Recover(requeue=False), 540, "NOT_IMPLEMENTED - requeue=false", (60, 110)),
    (spec.Basic.RecoverAsync(requeue=False), 540, "NOT_IMPLEMENTED - requeue=false", (60, 100)),
    (spec.Exchange.Declare(exchange="wt-x-never", type="wt-no-such-type"), 503,
     "COMMAND_INVALID - unknown exchange type 'wt-no-such-type'", (40, 10)),
], ids=["flow-false", "prefetch-size", "recover-no-requeue", "recover-async-no-requeue", "exchange-type"])
def test_connection_level_method_errors(ch1, method, code, text, ids):
    ch1.send_method(1, method)
    assert_closed_with(ch1, code, text, *ids)
