"""Other mainstream Python clients against the broker: kombu (Celery's messaging layer) and
py-amqp, its transport."""
import amqp
import kombu
import pytest

from support import uname


def test_kombu_simple_queue_round_trip(broker):
    name = uname("wt-kombu")
    with kombu.Connection(broker.url, connect_timeout=5) as conn:
        q = conn.SimpleQueue(name, queue_opts={"auto_delete": True})
        q.put({"task": "add", "args": [2, 3]}, serializer="json")
        msg = q.get(block=True, timeout=5)
        assert msg.payload == {"task": "add", "args": [2, 3]}
        assert msg.content_type == "application/json"
        msg.ack()
        with pytest.raises(q.Empty):
            q.get(block=True, timeout=0.5)
        q.close()


def test_kombu_topic_exchange_consumer(broker):
    xname, qname = uname("wt-kx"), uname("wt-kq")
    exchange = kombu.Exchange(xname, type="topic", durable=False, auto_delete=True)
    queue = kombu.Queue(qname, exchange, routing_key="tasks.#", auto_delete=True)
    received = []
    with kombu.Connection(broker.url, connect_timeout=5) as conn:
        with conn.Consumer(queue, callbacks=[lambda body, m: (received.append(body), m.ack())],
                           accept=["json"], prefetch_count=10):
            producer = conn.Producer(serializer="json")
            for i in range(5):
                producer.publish({"n": i}, exchange=exchange, routing_key="tasks.math.add",
                                 declare=[queue])
            producer.publish({"n": "lost"}, exchange=exchange, routing_key="other")
            while len(received) < 5:
                conn.drain_events(timeout=5)
    assert received == [{"n": i} for i in range(5)]


def test_py_amqp_publish_get_and_properties(broker):
    qname = uname("wt-pyamqp")
    conn = amqp.Connection(host="%s:%d" % (broker.host, broker.port), userid=broker.username,
                           password=broker.password, virtual_host=broker.vhost, connect_timeout=5)
    conn.connect()
    try:
        ch = conn.channel()
        ch.queue_declare(qname, exclusive=True)
        ch.basic_publish(amqp.Message("hello", content_type="text/plain",
                                      application_headers={"k": 1}, delivery_mode=2),
                         routing_key=qname)
        msg = ch.basic_get(qname, no_ack=True)
        assert msg.body == "hello"
        assert msg.properties["content_type"] == "text/plain"
        assert msg.headers == {"k": 1}
        assert msg.delivery_info["routing_key"] == qname
        assert conn.server_capabilities["consumer_cancel_notify"] is True
    finally:
        conn.close()
