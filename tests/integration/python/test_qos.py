"""basic.qos: prefetch per consumer (global=false) and per channel (global=true),
as RabbitMQ 3.10 implements them."""
from support import connection_error, pump_until

SETTLE = 0.3  # extra time given to the broker to (wrongly) deliver more than allowed


def fill_queues(connection, n, queues=1):
    ch = connection.channel()
    ch.confirm_delivery()
    qs = []
    for _ in range(queues):
        q = ch.queue_declare("", exclusive=True).method.queue
        for i in range(n):
            ch.basic_publish("", q, b"%d" % i)
        qs.append(q)
    return (ch, qs[0]) if queues == 1 else (ch, qs)


def consumers(ch, q, count, auto_ack=False):
    boxes = [[] for _ in range(count)]
    for box in boxes:
        ch.basic_consume(q, (lambda box: lambda c, m, p, b: box.append(m.delivery_tag))(box),
                         auto_ack=auto_ack)
    return boxes


def counts_after(connection, boxes, total):
    pump_until(connection, lambda: sum(map(len, boxes)) >= total,
               message="expected %d deliveries, got %r" % (total, [len(b) for b in boxes]))
    connection.process_data_events(time_limit=SETTLE)
    return [len(b) for b in boxes]


def test_prefetch_per_consumer(connection):
    ch, q = fill_queues(connection, 10)
    ch.basic_qos(prefetch_count=2)
    boxes = consumers(ch, q, 2)
    assert counts_after(connection, boxes, 4) == [2, 2]


def test_prefetch_global_shared_by_consumers_of_channel(connection):
    ch, q = fill_queues(connection, 10)
    ch.basic_qos(prefetch_count=3, global_qos=True)
    boxes = consumers(ch, q, 2)
    assert sorted(counts_after(connection, boxes, 3)) == [0, 3]


def test_prefetch_global_shared_across_queues(connection):
    ch, (q1, q2) = fill_queues(connection, 5, queues=2)
    ch.basic_qos(prefetch_count=3, global_qos=True)
    a = consumers(ch, q1, 1)
    b = consumers(ch, q2, 1)
    assert sum(counts_after(connection, a + b, 3)) == 3


def test_ack_frees_prefetch_slot(connection):
    ch, q = fill_queues(connection, 10)
    ch.basic_qos(prefetch_count=2)
    boxes = consumers(ch, q, 1)
    assert counts_after(connection, boxes, 2) == [2]
    ch.basic_ack(boxes[0][1], multiple=True)
    assert counts_after(connection, boxes, 4) == [4]
    ch.basic_reject(boxes[0][2], requeue=False)
    assert counts_after(connection, boxes, 5) == [5]


def test_new_per_consumer_prefetch_does_not_change_existing_consumers(connection):
    ch, q = fill_queues(connection, 10)
    ch.basic_qos(prefetch_count=1)
    first = consumers(ch, q, 1)
    assert counts_after(connection, first, 1) == [1]
    ch.basic_qos(prefetch_count=3)
    connection.process_data_events(time_limit=SETTLE)
    assert len(first[0]) == 1               # still limited to 1
    second = consumers(ch, q, 1)            # created after: limit 3
    assert counts_after(connection, first + second, 4) == [1, 3]
    ch.basic_ack(first[0][0])
    assert counts_after(connection, first + second, 5) == [2, 3]


def test_global_prefetch_change_applies_to_existing_consumers(connection):
    ch, q = fill_queues(connection, 10)
    ch.basic_qos(prefetch_count=1, global_qos=True)
    boxes = consumers(ch, q, 1)
    assert counts_after(connection, boxes, 1) == [1]
    ch.basic_qos(prefetch_count=4, global_qos=True)
    assert counts_after(connection, boxes, 4) == [4]


def test_global_prefetch_zero_means_unlimited(connection):
    ch, q = fill_queues(connection, 6)
    ch.basic_qos(prefetch_count=1, global_qos=True)
    boxes = consumers(ch, q, 1)
    assert counts_after(connection, boxes, 1) == [1]
    ch.basic_qos(prefetch_count=0, global_qos=True)
    assert counts_after(connection, boxes, 6) == [6]


def test_per_consumer_then_global_both_apply(connection):
    """qos(2, global=false) then qos(5, global=true): each consumer may hold 2,
    the channel as a whole 5."""
    ch, q = fill_queues(connection, 20)
    ch.basic_qos(prefetch_count=2)
    ch.basic_qos(prefetch_count=5, global_qos=True)
    boxes = consumers(ch, q, 3)
    assert sorted(counts_after(connection, boxes, 5)) == [1, 2, 2]


def test_per_consumer_qos_removes_global_limit(connection):
    """Surprise: in RabbitMQ 3.10 a basic.qos with global=false also removes a
    previously set channel-wide (global=true) limit ("unlimit_prefetch"), so with
    qos(5, global=true) then qos(2, global=false) three consumers get 2 each = 6."""
    ch, q = fill_queues(connection, 20)
    ch.basic_qos(prefetch_count=5, global_qos=True)
    ch.basic_qos(prefetch_count=2)
    boxes = consumers(ch, q, 3)
    assert counts_after(connection, boxes, 6) == [2, 2, 2]


def test_auto_ack_consumers_ignore_prefetch(connection):
    ch, q = fill_queues(connection, 6)
    ch.basic_qos(prefetch_count=1)
    boxes = consumers(ch, q, 1, auto_ack=True)
    assert counts_after(connection, boxes, 6) == [6]


def test_basic_get_ignores_prefetch(connection):
    ch, q = fill_queues(connection, 5)
    ch.basic_qos(prefetch_count=1, global_qos=True)
    tags = [ch.basic_get(q)[0].delivery_tag for _ in range(3)]
    assert tags == [1, 2, 3]


def test_unacked_basic_get_messages_do_not_count_against_prefetch(connection):
    """Surprise: messages fetched with basic.get (still unacked) are not counted
    by the channel's global prefetch limiter."""
    ch, q = fill_queues(connection, 5)
    ch.basic_qos(prefetch_count=1, global_qos=True)
    m, _, _ = ch.basic_get(q)
    assert m is not None
    boxes = consumers(ch, q, 1)
    assert counts_after(connection, boxes, 1) == [1]


def test_prefetch_zero_is_unlimited(connection):
    ch, q = fill_queues(connection, 30)
    ch.basic_qos(prefetch_count=0)
    boxes = consumers(ch, q, 1)
    assert counts_after(connection, boxes, 30) == [30]


def test_fair_dispatch_with_prefetch_one(connection):
    """The work-queue pattern: a busy consumer (unacked message) gets nothing more."""
    ch, q = fill_queues(connection, 0)
    ch.basic_qos(prefetch_count=1)
    slow, fast = [], []
    ch.basic_consume(q, lambda c, m, p, b: slow.append(b))                 # never acks
    ch.basic_consume(q, lambda c, m, p, b: (fast.append(b), c.basic_ack(m.delivery_tag)))
    for i in range(6):
        ch.basic_publish("", q, b"%d" % i)
    pump_until(connection, lambda: len(slow) + len(fast) == 6)
    connection.process_data_events(time_limit=SETTLE)
    assert len(slow) == 1 and len(fast) == 5


def test_prefetch_size_not_implemented(connection, channel):
    assert connection_error(channel.basic_qos, prefetch_size=10) == (540, "NOT_IMPLEMENTED - prefetch_size!=0 (10)")
