"""basic.ack / nack / reject / recover; requeue order and the redelivered flag."""
import pytest

from support import channel_error, confirmed, connection_error, pump_until, queue_depth


def new_queue(ch):
    return ch.queue_declare("", exclusive=True).method.queue


def fill(ch, q, bodies):
    for b in bodies:
        ch.basic_publish("", q, b)


def get_all(ch, q):
    """[(body, redelivered)] of everything ready in q (auto-ack)."""
    out = []
    while True:
        m, _, b = ch.basic_get(q, auto_ack=True)
        if m is None:
            return out
        out.append((b, m.redelivered))


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("op", ["ack", "nack", "reject"])
def test_unknown_delivery_tag(plain_channel, op):
    fn = {"ack": plain_channel.basic_ack, "nack": plain_channel.basic_nack,
          "reject": plain_channel.basic_reject}[op]
    fn(99)
    assert channel_error(plain_channel.queue_declare, "", exclusive=True) == (
        406, "PRECONDITION_FAILED - unknown delivery tag 99")


def test_double_ack(channel):
    q = new_queue(channel)
    channel.basic_publish("", q, b"x")
    m, _, _ = channel.basic_get(q)
    channel.basic_ack(m.delivery_tag)
    channel.basic_ack(m.delivery_tag)
    assert channel_error(channel.queue_declare, "", exclusive=True) == (
        406, "PRECONDITION_FAILED - unknown delivery tag %d" % m.delivery_tag)


def test_ack_of_auto_acked_delivery(channel):
    q = new_queue(channel)
    channel.basic_publish("", q, b"x")
    m, _, _ = channel.basic_get(q, auto_ack=True)
    channel.basic_ack(m.delivery_tag)
    assert channel_error(channel.queue_declare, "", exclusive=True) == (
        406, "PRECONDITION_FAILED - unknown delivery tag %d" % m.delivery_tag)


def test_ack_zero_multiple_acks_everything(channel):
    q = new_queue(channel)
    fill(channel, q, [b"a", b"b", b"c"])
    for _ in range(3):
        channel.basic_get(q)
    channel.basic_ack(0, multiple=True)
    channel.close()   # nothing unacked left to requeue
    ch2 = channel.connection.channel()
    assert queue_depth(ch2, q) == 0


def test_ack_zero_multiple_with_nothing_unacked_is_ok(channel):
    channel.basic_ack(0, multiple=True)
    channel.queue_declare("", exclusive=True)


def test_ack_zero_single_is_unknown_tag(plain_channel):
    plain_channel.basic_ack(0, multiple=False)
    assert channel_error(plain_channel.queue_declare, "", exclusive=True) == (
        406, "PRECONDITION_FAILED - unknown delivery tag 0")


def test_ack_on_other_channel_is_unknown_tag(connection, channel):
    q = new_queue(channel)
    channel.basic_publish("", q, b"x")
    m, _, _ = channel.basic_get(q)
    other = connection.channel()
    other.basic_ack(m.delivery_tag)
    assert channel_error(other.queue_declare, "", exclusive=True) == (
        406, "PRECONDITION_FAILED - unknown delivery tag %d" % m.delivery_tag)


# ---------------------------------------------------------------------------
# ack / nack / reject effects
# ---------------------------------------------------------------------------

def test_ack_removes_message(channel):
    q = new_queue(channel)
    fill(channel, q, [b"a"])
    m, _, _ = channel.basic_get(q)
    channel.basic_ack(m.delivery_tag)
    channel.close()
    assert queue_depth(channel.connection.channel(), q) == 0


def test_ack_multiple(channel):
    q = new_queue(channel)
    fill(channel, q, [b"1", b"2", b"3", b"4"])
    tags = [channel.basic_get(q)[0].delivery_tag for _ in range(4)]
    channel.basic_ack(tags[2], multiple=True)            # acks 1..3
    channel.basic_reject(tags[3], requeue=True)
    assert get_all(channel, q) == [(b"4", True)]


def test_reject_without_requeue_drops(channel):
    q = new_queue(channel)
    fill(channel, q, [b"a", b"b"])
    m, _, _ = channel.basic_get(q)
    channel.basic_reject(m.delivery_tag, requeue=False)
    assert get_all(channel, q) == [(b"b", False)]


def test_nack_without_requeue_drops(channel):
    q = new_queue(channel)
    fill(channel, q, [b"a", b"b", b"c"])
    tags = [channel.basic_get(q)[0].delivery_tag for _ in range(2)]
    channel.basic_nack(tags[1], multiple=True, requeue=False)
    assert get_all(channel, q) == [(b"c", False)]


def test_requeued_messages_go_back_to_their_original_position(channel):
    """RabbitMQ 3.10 (classic queue): a requeued message is put back at the
    position it had, i.e. ahead of messages published after it, and the
    requeued ones are ordered by original publish order regardless of the
    order in which they were rejected. redelivered=True on all of them."""
    q = new_queue(channel)
    fill(channel, q, [b"m1", b"m2", b"m3", b"m4", b"m5", b"m6"])
    got = [channel.basic_get(q) for _ in range(4)]
    assert [b for _, _, b in got] == [b"m1", b"m2", b"m3", b"m4"]
    assert [m.redelivered for m, _, _ in got] == [False] * 4
    channel.basic_reject(got[1][0].delivery_tag, requeue=True)   # m2
    channel.basic_reject(got[3][0].delivery_tag, requeue=True)   # m4
    channel.basic_reject(got[0][0].delivery_tag, requeue=True)   # m1
    assert get_all(channel, q) == [(b"m1", True), (b"m2", True), (b"m4", True),
                                   (b"m5", False), (b"m6", False)]
    channel.basic_ack(got[2][0].delivery_tag)                     # m3 is still unacked


def test_nack_multiple_requeue_keeps_order(channel):
    q = new_queue(channel)
    fill(channel, q, [b"n1", b"n2", b"n3", b"n4"])
    tags = [channel.basic_get(q)[0].delivery_tag for _ in range(3)]
    channel.basic_nack(tags[2], multiple=True, requeue=True)
    assert get_all(channel, q) == [(b"n1", True), (b"n2", True), (b"n3", True), (b"n4", False)]


def test_requeued_message_redelivered_to_consumer(connection, channel):
    q = new_queue(channel)
    fill(channel, q, [b"x"])
    seen = []

    def on_msg(ch, m, p, b):
        seen.append((b, m.redelivered))
        if len(seen) == 1:
            ch.basic_reject(m.delivery_tag, requeue=True)
        else:
            ch.basic_ack(m.delivery_tag)
    channel.basic_consume(q, on_msg)
    pump_until(connection, lambda: len(seen) == 2)
    assert seen == [(b"x", False), (b"x", True)]


def test_basic_recover_requeue(connection, channel):
    q = new_queue(channel)
    fill(channel, q, [b"r1", b"r2", b"r3"])
    msgs = []
    channel.basic_consume(q, lambda ch, m, p, b: msgs.append((b, m.redelivered, m.delivery_tag)))
    pump_until(connection, lambda: len(msgs) == 3)
    channel.basic_ack(2)   # r2
    channel.basic_recover(requeue=True)
    pump_until(connection, lambda: len(msgs) == 5)
    assert msgs == [(b"r1", False, 1), (b"r2", False, 2), (b"r3", False, 3),
                    (b"r1", True, 4), (b"r3", True, 5)]


def test_basic_recover_without_requeue_not_implemented(connection, channel):
    assert connection_error(channel.basic_recover, requeue=False) == (540, "NOT_IMPLEMENTED - requeue=false")


# ---------------------------------------------------------------------------
# Unacked messages when channels / connections / consumers go away
# ---------------------------------------------------------------------------

def test_channel_close_requeues_unacked(connection, channel):
    q = new_queue(channel)
    fill(channel, q, [b"c1", b"c2", b"c3"])
    taker = connection.channel()
    taker.basic_get(q)
    taker.basic_get(q)
    taker.close()
    assert get_all(channel, q) == [(b"c1", True), (b"c2", True), (b"c3", False)]


def test_connection_close_requeues_unacked(connect, broker, res):
    q = res.queue()
    owner = confirmed(connect().channel())
    owner.queue_declare(q)
    fill(owner, q, [b"a", b"b"])
    c2 = connect()
    got = []
    c2.channel().basic_consume(q, lambda ch, m, p, b: got.append(b))
    pump_until(c2, lambda: len(got) == 2)
    c2.close()
    assert get_all(owner, q) == [(b"a", True), (b"b", True)]


def test_auto_ack_deliveries_are_not_requeued(connect, res):
    q = res.queue()
    owner = confirmed(connect().channel())
    owner.queue_declare(q)
    fill(owner, q, [b"a", b"b"])
    c2 = connect()
    got = []
    c2.channel().basic_consume(q, lambda ch, m, p, b: got.append(b), auto_ack=True)
    pump_until(c2, lambda: len(got) == 2)
    c2.close()
    assert queue_depth(owner, q) == 0


def test_cancelled_consumer_keeps_its_unacked_messages(connection, channel):
    q = new_queue(channel)
    fill(channel, q, [b"k1", b"k2"])
    tags = []
    ctag = channel.basic_consume(q, lambda ch, m, p, b: tags.append(m.delivery_tag))
    pump_until(connection, lambda: len(tags) == 2)
    channel.basic_cancel(ctag)
    assert queue_depth(channel, q) == 0           # still unacked, not requeued by cancel
    channel.basic_ack(tags[0])                     # tags remain valid after cancel
    channel.basic_reject(tags[1], requeue=True)
    assert get_all(channel, q) == [(b"k2", True)]


def test_unacked_get_messages_requeued_on_channel_close(connection, channel):
    q = new_queue(channel)
    fill(channel, q, [b"g"])
    other = connection.channel()
    m, _, _ = other.basic_get(q)
    assert m.redelivered is False
    other.close()
    m, _, b = channel.basic_get(q, auto_ack=True)
    assert (b, m.redelivered) == (b"g", True)
