"""Publisher confirms (confirm.select, basic.ack/nack from the broker)."""
import pika
import pika.exceptions
import pytest
from pika import frame as pframe
from pika import spec

from support import channel_error, no_exchange, uname


@pytest.fixture
def cclient(raw):
    """Raw client with channel 1 in confirm mode."""
    c = raw()
    c.handshake()
    c.open_channel(1)
    c.send_method(1, spec.Confirm.Select())
    c.expect(spec.Confirm.SelectOk)
    return c


def declare(c, channel=1):
    c.send_method(channel, spec.Queue.Declare(queue="", exclusive=True))
    return c.expect(spec.Queue.DeclareOk).method.queue


def collect_acks(c, n, timeout=5.0):
    """Read frames until n delivery tags have been confirmed; return {tag: 'ack'|'nack'}
    plus the ordered list of all frames seen."""
    confirmed, frames = {}, []
    while len(confirmed) < n:
        frm = c.recv_frame(timeout=timeout)
        frames.append(frm)
        if isinstance(frm, pframe.Method) and isinstance(frm.method, (spec.Basic.Ack, spec.Basic.Nack)):
            kind = "ack" if isinstance(frm.method, spec.Basic.Ack) else "nack"
            tag = frm.method.delivery_tag
            if frm.method.multiple:
                for t in range(1, tag + 1):
                    confirmed.setdefault(t, kind)
            else:
                confirmed[tag] = kind
    return confirmed, frames


def test_confirm_select_ok(raw):
    c = raw()
    c.handshake()
    c.open_channel(1)
    c.send_method(1, spec.Confirm.Select())
    assert c.expect(spec.Confirm.SelectOk).channel_number == 1
    c.send_method(1, spec.Confirm.Select())      # selecting again is fine
    c.expect(spec.Confirm.SelectOk)


def test_confirm_select_nowait(raw):
    c = raw()
    c.handshake()
    c.open_channel(1)
    c.send_method(1, spec.Confirm.Select(nowait=True))
    q = declare(c)     # the next reply is the declare-ok, no select-ok
    c.publish(1, spec.Basic.Publish(exchange="", routing_key=q), b"x")
    confirmed, _ = collect_acks(c, 1)
    assert confirmed == {1: "ack"}


def test_delivery_tags_count_from_one(cclient):
    q = declare(cclient)
    for i in range(20):
        cclient.publish(1, spec.Basic.Publish(exchange="", routing_key=q), b"%d" % i)
    confirmed, _ = collect_acks(cclient, 20)
    assert confirmed == {t: "ack" for t in range(1, 21)}


def test_unroutable_messages_are_acked(cclient):
    cclient.publish(1, spec.Basic.Publish(exchange="", routing_key=uname("wt-nobody")), b"x")
    cclient.publish(1, spec.Basic.Publish(exchange="amq.direct", routing_key=uname("wt-nokey")), b"y")
    confirmed, _ = collect_acks(cclient, 2)
    assert confirmed == {1: "ack", 2: "ack"}


def test_mandatory_unroutable_return_comes_before_ack(cclient):
    q = declare(cclient)
    key = uname("wt-nobody")
    cclient.publish(1, spec.Basic.Publish(exchange="", routing_key=q, mandatory=True), b"routed")
    cclient.publish(1, spec.Basic.Publish(exchange="", routing_key=key, mandatory=True), b"unroutable",
                    spec.BasicProperties(message_id="m2"))
    confirmed, frames = collect_acks(cclient, 2)
    assert confirmed == {1: "ack", 2: "ack"}
    kinds = [(type(f).__name__, type(getattr(f, "method", None)).__name__) for f in frames]
    ret = kinds.index(("Method", "Return"))
    ack2 = next(i for i, f in enumerate(frames)
                if isinstance(f, pframe.Method) and isinstance(f.method, spec.Basic.Ack)
                and (f.method.delivery_tag == 2 or (f.method.multiple and f.method.delivery_tag >= 2)))
    assert ret < ack2, kinds
    r = frames[ret].method
    assert (r.reply_code, r.reply_text, r.exchange, r.routing_key) == (312, "NO_ROUTE", "", key)
    # the returned content follows the basic.return immediately
    assert isinstance(frames[ret + 1], pframe.Header) and frames[ret + 1].properties.message_id == "m2"
    assert isinstance(frames[ret + 2], pframe.Body) and frames[ret + 2].fragment == b"unroutable"


def test_pika_confirm_delivery(connection):
    ch = connection.channel()
    ch.confirm_delivery()
    q = ch.queue_declare("", exclusive=True).method.queue
    ch.basic_publish("", q, b"confirmed")     # raises on nack/return
    with pytest.raises(pika.exceptions.UnroutableError) as info:
        ch.basic_publish("", uname("wt-nobody"), b"bounce", mandatory=True)
    (returned,) = info.value.messages
    assert (returned.method.reply_code, returned.method.reply_text, returned.body) == (312, "NO_ROUTE", b"bounce")
    assert ch.queue_declare(q, passive=True).method.message_count == 1


def test_publish_to_missing_exchange_in_confirm_mode_closes_channel(cclient, broker):
    x = uname("wt-x")
    cclient.publish(1, spec.Basic.Publish(exchange=x, routing_key="k"), b"x")
    frm = cclient.recv_method()
    assert isinstance(frm.method, spec.Channel.Close), frm      # no basic.nack first
    assert (frm.method.reply_code, frm.method.reply_text) == (404, no_exchange(x, broker.vhost))


def test_confirm_then_tx_refused(plain_channel):
    plain_channel.confirm_delivery()
    assert channel_error(plain_channel.tx_select) == (406, "PRECONDITION_FAILED - cannot switch from confirm to tx mode")


def test_tx_then_confirm_refused(plain_channel):
    plain_channel.tx_select()
    assert channel_error(plain_channel.confirm_delivery) == (406, "PRECONDITION_FAILED - cannot switch from tx to confirm mode")


def test_confirms_on_two_channels_are_independent(raw):
    c = raw()
    c.handshake()
    for ch in (1, 2):
        c.open_channel(ch)
        c.send_method(ch, spec.Confirm.Select())
        c.expect(spec.Confirm.SelectOk)
    q = declare(c, 1)
    c.publish(1, spec.Basic.Publish(exchange="", routing_key=q), b"a")
    c.publish(2, spec.Basic.Publish(exchange="", routing_key=q), b"b")
    c.publish(2, spec.Basic.Publish(exchange="", routing_key=q), b"c")
    seen = {1: set(), 2: set()}
    while len(seen[1]) < 1 or len(seen[2]) < 2:
        frm = c.recv_method()
        assert isinstance(frm.method, spec.Basic.Ack), frm
        top = frm.method.delivery_tag
        seen[frm.channel_number].update(range(1, top + 1) if frm.method.multiple else [top])
    assert seen == {1: {1}, 2: {1, 2}}
