"""Direct reply-to: the amq.rabbitmq.reply-to pseudo queue."""
import pika
import pika.exceptions
import pytest

from support import channel_error, confirmed, pump_until, uname, wait_get

REPLY_TO = "amq.rabbitmq.reply-to"


@pytest.fixture
def server(connect):
    """An RPC server: connection + channel + its request queue."""
    conn = connect()
    ch = confirmed(conn.channel())
    q = ch.queue_declare("", exclusive=True).method.queue
    return conn, ch, q


def test_rpc_round_trip(connection, server):
    _, sch, rq = server
    ch = connection.channel()
    replies = []
    ch.basic_consume(REPLY_TO, lambda c, m, p, b: replies.append((m, p, b)), auto_ack=True)
    ch.basic_publish("", rq, b"request", pika.BasicProperties(reply_to=REPLY_TO, correlation_id="c1"))
    _, props, body = wait_get(sch, rq)
    assert body == b"request"
    # the broker rewrote reply_to into a routable, opaque name
    assert props.reply_to.startswith(REPLY_TO + ".") and len(props.reply_to) > len(REPLY_TO) + 1
    assert props.correlation_id == "c1"
    sch.basic_publish("", props.reply_to, b"response", pika.BasicProperties(correlation_id="c1"))
    pump_until(connection, lambda: replies)
    m, p, b = replies[0]
    assert b == b"response" and p.correlation_id == "c1"
    assert (m.exchange, m.routing_key, m.redelivered) == ("", props.reply_to, False)


def test_reply_to_name_is_stable_per_channel(connection, server):
    _, sch, rq = server
    ch = confirmed(connection.channel())
    ch.basic_consume(REPLY_TO, lambda *a: None, auto_ack=True)
    for i in range(2):
        ch.basic_publish("", rq, b"r%d" % i, pika.BasicProperties(reply_to=REPLY_TO))
    names = [wait_get(sch, rq)[1].reply_to for _ in range(2)]
    assert names[0] == names[1]


def test_consume_reply_to_requires_no_ack(channel):
    assert channel_error(channel.basic_consume, REPLY_TO, lambda *a: None) == (
        406, "PRECONDITION_FAILED - reply consumer cannot acknowledge")


def test_publish_with_reply_to_without_consumer(plain_channel):
    plain_channel.basic_publish("", uname("wt-any"), b"x", pika.BasicProperties(reply_to=REPLY_TO))
    assert channel_error(plain_channel.queue_declare, "", exclusive=True) == (
        406, "PRECONDITION_FAILED - fast reply consumer does not exist")


def test_second_reply_to_consumer_on_channel(channel):
    channel.basic_consume(REPLY_TO, lambda *a: None, auto_ack=True)
    assert channel_error(channel.basic_consume, REPLY_TO, lambda *a: None, auto_ack=True) == (
        406, "PRECONDITION_FAILED - reply consumer already set")


def test_declare_reply_to_pseudo_queue(channel):
    """Surprise: (passive or not) declaring amq.rabbitmq.reply-to succeeds and
    reports consumer_count=1, message_count=0, even without a consumer."""
    for passive in (True, False):
        ok = channel.queue_declare(REPLY_TO, passive=passive).method
        assert (ok.queue, ok.message_count, ok.consumer_count) == (REPLY_TO, 0, 1)


def test_basic_get_on_reply_to_is_not_found(channel, broker):
    assert channel_error(channel.basic_get, REPLY_TO) == (
        404, "NOT_FOUND - no queue '%s' in vhost '%s'" % (REPLY_TO, broker.vhost))


def test_reply_after_requester_left_is_dropped(connect, server):
    _, sch, rq = server
    requester = connect()
    ch = requester.channel()
    ch.basic_consume(REPLY_TO, lambda *a: None, auto_ack=True)
    ch.basic_publish("", rq, b"req", pika.BasicProperties(reply_to=REPLY_TO))
    _, props, _ = wait_get(sch, rq)
    requester.close()
    sch.basic_publish("", props.reply_to, b"late")          # confirmed, no error
    with pytest.raises(pika.exceptions.UnroutableError):     # and returned if mandatory
        sch.basic_publish("", props.reply_to, b"late", mandatory=True)
    assert sch.is_open


def test_publish_to_bogus_reply_to_name_is_dropped(channel):
    channel.basic_publish("", REPLY_TO + ".garbage", b"x")
    channel.basic_publish("", REPLY_TO, b"x")
    assert channel.is_open
