"""Channels: independence, soft (channel) vs hard (connection) errors, close handshakes, flow."""
import pika.exceptions
import pytest
from pika import spec

from support import channel_error, confirmed, connection_error, drain_get, no_queue, uname


def test_channels_are_independent(connection, res):
    q = res.queue()
    a = confirmed(connection.channel())
    b = confirmed(connection.channel())
    assert a.channel_number != b.channel_number
    a.queue_declare(q)
    a.basic_publish("", q, b"from-a")
    b.basic_publish("", q, b"from-b")
    assert drain_get(b, q) == [b"from-a", b"from-b"]


def test_channel_error_closes_only_that_channel(connection, res):
    q = res.queue()
    good = confirmed(connection.channel())
    good.queue_declare(q)
    bad = connection.channel()
    missing = uname("wt-missing")
    assert channel_error(bad.queue_declare, missing, passive=True) == (404, no_queue(missing))
    assert bad.is_closed
    assert connection.is_open and good.is_open
    good.basic_publish("", q, b"still works")
    assert drain_get(good, q) == [b"still works"]
    # a new channel on the same connection works as well
    again = connection.channel()
    assert again.queue_declare(q, passive=True).method.message_count == 0


def test_connection_error_closes_every_channel(connection):
    a = connection.channel()
    b = connection.channel()
    xtype = uname("wt-no-such-type")
    code, text = connection_error(b.exchange_declare, uname("wt-x"), xtype)
    # a type name that RabbitMQ has never seen; see EXPECTED.md for 'invalid exchange type'
    assert (code, text) == (503, "COMMAND_INVALID - unknown exchange type '%s'" % xtype)
    assert connection.is_closed and a.is_closed


def test_channel_close_carries_failing_method_ids(raw):
    c = raw()
    c.handshake()
    c.open_channel(3)
    name = uname("wt-missing")
    c.send_method(3, spec.Queue.Declare(queue=name, passive=True))
    frm = c.expect(spec.Channel.Close)
    assert frm.channel_number == 3
    m = frm.method
    assert (m.reply_code, m.reply_text, m.class_id, m.method_id) == (404, no_queue(name), 50, 10)


def test_methods_on_closing_channel_are_ignored_until_close_ok(raw):
    c = raw()
    c.handshake()
    c.open_channel(1)
    c.send_method(1, spec.Queue.Declare(queue=uname("wt-missing"), passive=True))
    c.expect(spec.Channel.Close)
    # the broker waits for channel.close-ok and drops anything else on that channel
    c.send_method(1, spec.Queue.Declare(queue="", exclusive=True))
    with pytest.raises(TimeoutError):
        c.recv_method(timeout=0.7)
    c.send_method(1, spec.Channel.CloseOk())
    c.open_channel(1)
    c.send_method(1, spec.Queue.Declare(queue="", exclusive=True))
    c.expect(spec.Queue.DeclareOk)


def test_crossing_channel_close_is_answered_with_close_ok(raw):
    c = raw()
    c.handshake()
    c.open_channel(1)
    c.send_method(1, spec.Queue.Declare(queue=uname("wt-missing"), passive=True))
    c.expect(spec.Channel.Close)
    c.send_method(1, spec.Channel.Close(reply_code=200, reply_text="", class_id=0, method_id=0))
    assert c.expect(spec.Channel.CloseOk).channel_number == 1


def test_client_channel_close(raw):
    c = raw()
    c.handshake()
    c.open_channel(7)
    c.send_method(7, spec.Channel.Close(reply_code=200, reply_text="done", class_id=0, method_id=0))
    assert c.expect(spec.Channel.CloseOk).channel_number == 7


def test_closing_channel_removes_its_consumers(connection, res):
    q = res.queue()
    owner = connection.channel()
    owner.queue_declare(q)
    consumer_ch = connection.channel()
    consumer_ch.basic_consume(q, lambda *a: None)
    consumer_ch.basic_consume(q, lambda *a: None)
    assert owner.queue_declare(q, passive=True).method.consumer_count == 2
    consumer_ch.close()
    assert owner.queue_declare(q, passive=True).method.consumer_count == 0


def test_channel_flow_active_true(channel):
    assert channel.flow(True) is True


def test_channel_flow_active_false_not_implemented(connection, channel):
    assert connection_error(channel.flow, False) == (540, "NOT_IMPLEMENTED - active=false")


def test_many_channels_on_one_connection(connection):
    chans = [connection.channel() for _ in range(50)]
    names = [ch.queue_declare("", exclusive=True).method.queue for ch in chans]
    assert len(set(names)) == 50
    for ch in chans[::2]:
        ch.close()
    for ch in chans[1::2]:
        assert ch.is_open
        ch.queue_declare("", exclusive=True)


def test_pika_reports_channel_closed_by_broker(connection):
    ch = connection.channel()
    with pytest.raises(pika.exceptions.ChannelClosedByBroker):
        ch.queue_declare(uname("wt-missing"), passive=True)
    with pytest.raises(pika.exceptions.ChannelWrongStateError):
        ch.queue_declare("", exclusive=True)
