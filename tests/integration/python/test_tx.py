"""AMQP transactions (tx.select / tx.commit / tx.rollback)."""
from pika import frame as pframe
from pika import spec

from support import channel_error, confirmed, drain_get, queue_depth, uname


def new_queue(connection):
    ch = confirmed(connection.channel())
    return ch, ch.queue_declare("", exclusive=True).method.queue


def test_commit_without_select(plain_channel):
    assert channel_error(plain_channel.tx_commit) == (406, "PRECONDITION_FAILED - channel is not transactional")


def test_rollback_without_select(plain_channel):
    assert channel_error(plain_channel.tx_rollback) == (406, "PRECONDITION_FAILED - channel is not transactional")


def test_select_twice_is_ok(plain_channel):
    plain_channel.tx_select()
    plain_channel.tx_select()
    plain_channel.tx_commit()


def test_publish_visible_only_after_commit(connection):
    observer, q = new_queue(connection)
    tx = connection.channel()
    tx.tx_select()
    tx.basic_publish("", q, b"t1")
    tx.basic_publish("", q, b"t2")
    assert queue_depth(observer, q) == 0
    tx.tx_commit()
    assert drain_get(observer, q) == [b"t1", b"t2"]


def test_rollback_discards_publishes(connection):
    observer, q = new_queue(connection)
    tx = connection.channel()
    tx.tx_select()
    tx.basic_publish("", q, b"gone")
    tx.tx_rollback()
    tx.basic_publish("", q, b"kept")
    tx.tx_commit()
    assert drain_get(observer, q) == [b"kept"]


def test_channel_close_discards_uncommitted_publishes(connection):
    observer, q = new_queue(connection)
    tx = connection.channel()
    tx.tx_select()
    tx.basic_publish("", q, b"never")
    tx.close()
    assert queue_depth(observer, q) == 0


def test_ack_applied_on_commit(connection):
    observer, q = new_queue(connection)
    observer.basic_publish("", q, b"a")
    tx = connection.channel()
    tx.tx_select()
    m, _, _ = tx.basic_get(q)
    tx.basic_ack(m.delivery_tag)
    tx.tx_commit()
    tx.close()              # nothing left unacked to requeue
    assert queue_depth(observer, q) == 0


def test_rollback_of_ack_leaves_message_unacked(connection):
    """tx.rollback forgets the ack; the message stays unacknowledged (it is *not*
    requeued), so it can be acked again."""
    observer, q = new_queue(connection)
    observer.basic_publish("", q, b"a")
    tx = connection.channel()
    tx.tx_select()
    m, _, _ = tx.basic_get(q)
    tx.basic_ack(m.delivery_tag)
    tx.tx_rollback()
    assert queue_depth(observer, q) == 0        # still unacked, not ready
    tx.basic_ack(m.delivery_tag)                 # no 'unknown delivery tag'
    tx.tx_commit()
    tx.close()
    assert queue_depth(observer, q) == 0


def test_rollback_of_ack_then_close_requeues(connection):
    observer, q = new_queue(connection)
    observer.basic_publish("", q, b"a")
    tx = connection.channel()
    tx.tx_select()
    m, _, _ = tx.basic_get(q)
    tx.basic_ack(m.delivery_tag)
    tx.tx_rollback()
    tx.close()
    m, _, body = observer.basic_get(q, auto_ack=True)
    assert (body, m.redelivered) == (b"a", True)


def test_reject_requeue_in_tx_applied_on_commit(connection):
    observer, q = new_queue(connection)
    observer.basic_publish("", q, b"r")
    tx = connection.channel()
    tx.tx_select()
    m, _, _ = tx.basic_get(q)
    tx.basic_reject(m.delivery_tag, requeue=True)
    assert queue_depth(observer, q) == 0
    tx.tx_commit()
    m, _, body = observer.basic_get(q, auto_ack=True)
    assert (body, m.redelivered) == (b"r", True)


def test_mandatory_return_sent_at_commit_before_commit_ok(raw):
    c = raw()
    c.handshake()
    c.open_channel(1)
    c.send_method(1, spec.Tx.Select())
    c.expect(spec.Tx.SelectOk)
    key = uname("wt-nobody")
    c.publish(1, spec.Basic.Publish(exchange="", routing_key=key, mandatory=True), b"unroutable-tx")
    try:
        early = c.recv_frame(timeout=0.5)
    except TimeoutError:
        early = None
    assert early is None, "nothing may be returned before tx.commit: %r" % early
    c.send_method(1, spec.Tx.Commit())
    ret = c.expect(spec.Basic.Return).method
    assert (ret.reply_code, ret.reply_text, ret.routing_key) == (312, "NO_ROUTE", key)
    assert isinstance(c.recv_frame(), pframe.Header)
    assert c.recv_frame().fragment == b"unroutable-tx"
    c.expect(spec.Tx.CommitOk)


def test_commit_with_nothing_pending(plain_channel):
    plain_channel.tx_select()
    plain_channel.tx_commit()
    plain_channel.tx_rollback()
    plain_channel.tx_commit()
