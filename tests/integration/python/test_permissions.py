"""Authentication, vhost access and configure/write/read permissions.

Uses the ``users_broker`` fixture (see conftest.UsersEnv):
  noperm -- no permissions anywhere
  alice  -- configure/write/read '^alice-.*' on the test vhost
  writer -- configure '.*', write '.*', read '^$' on the test vhost
"""
import json
import os
import re
import tempfile

import pika
import pika.exceptions
import pytest
from pika import spec

from conftest import EXTERNAL_URL, rabbit_password_hash, rabbitmqctl
from support import (LOGIN_REFUSED, SERVER_NAMED_QUEUE_RE, access_refused, channel_error, confirmed,
                     no_queue, uname)


@pytest.fixture(scope="module")
def env(users_broker):
    return users_broker


@pytest.fixture(scope="module")
def guest_setup(env):
    """Resources owned by guest in the test vhost: queue 'bob-q' and exchange 'bob-x'."""
    conn = env.connect(env.guest)
    ch = confirmed(conn.channel())
    ch.queue_declare("bob-q")
    ch.exchange_declare("bob-x", "fanout")
    ch.queue_bind("bob-q", "bob-x")
    ch.basic_publish("", "bob-q", b"guest's message")
    yield
    try:
        ch.queue_delete("bob-q")
        ch.exchange_delete("bob-x")
    finally:
        conn.close()


@pytest.fixture
def user_conns():
    conns = []
    yield conns
    for c in conns:
        try:
            if c.is_open:
                c.close()
        except Exception:  # noqa: BLE001
            pass


@pytest.fixture
def alice(env, user_conns):
    conn = env.connect(env.alice)
    user_conns.append(conn)
    return conn


@pytest.fixture
def writer(env, user_conns):
    conn = env.connect(env.writer)
    user_conns.append(conn)
    return conn


def refused(kind, name, env, user):
    return (403, access_refused(kind, name, user, env.vhost))


def vhost_refused(vhost, user):
    return "NOT_ALLOWED - access to vhost '%s' refused for user '%s'" % (vhost, user)


# ---------------------------------------------------------------------------
# Login and vhost access
# ---------------------------------------------------------------------------

def test_login_with_wrong_password(env):
    with pytest.raises(pika.exceptions.ProbableAuthenticationError) as info:
        env.connect(env.alice, password="wrong")
    assert "(403) %r" % LOGIN_REFUSED in str(info.value)


def test_users_can_log_in(env, alice, writer):
    assert alice.is_open and writer.is_open


@pytest.mark.parametrize("who,vhost", [("noperm", "/"), ("noperm", "test"), ("alice", "/"), ("writer", "/")])
def test_vhost_access_refused(env, who, vhost):
    user = getattr(env, who)
    vhost = env.vhost if vhost == "test" else vhost
    c = env.broker.raw()
    try:
        with pytest.raises(AssertionError, match="expected Connection.OpenOk"):
            c.handshake(user=user, password=env.passwords[user], vhost=vhost)
        close = c.frames[-1].method
        assert isinstance(close, spec.Connection.Close)
        assert (close.reply_code, close.reply_text, close.class_id, close.method_id) == (
            530, vhost_refused(vhost, user), 10, 40)
    finally:
        c.close()


def test_vhost_access_refused_with_pika(env):
    with pytest.raises(pika.exceptions.ProbableAccessDeniedError) as info:
        env.connect(env.noperm)
    assert "(530) \"%s\"" % vhost_refused(env.vhost, env.noperm) in str(info.value)


def test_missing_vhost_for_user(env):
    vhost = uname("wt-nope")
    with pytest.raises(pika.exceptions.ProbableAccessDeniedError) as info:
        env.connect(env.alice, vhost=vhost)
    assert "(530) 'NOT_ALLOWED - vhost %s not found'" % vhost in str(info.value)


# ---------------------------------------------------------------------------
# configure
# ---------------------------------------------------------------------------

def test_configure_allowed_for_matching_names(env, alice):
    ch = alice.channel()
    ch.queue_declare("alice-q1", auto_delete=True)
    ch.exchange_declare("alice-x1", "fanout", auto_delete=True)
    ch.queue_bind("alice-q1", "alice-x1")
    ch.queue_delete("alice-q1")
    ch.exchange_delete("alice-x1")


def test_configure_refused_queue_declare(env, alice):
    assert channel_error(alice.channel().queue_declare, "bob-q2") == refused("queue", "bob-q2", env, env.alice)


def test_configure_refused_exchange_declare(env, alice):
    assert channel_error(alice.channel().exchange_declare, "bob-x2", "fanout") == (
        refused("exchange", "bob-x2", env, env.alice))


def test_configure_refused_server_named_queue(env, alice):
    code, text = channel_error(alice.channel().queue_declare, "", exclusive=True)
    m = re.match(r"^ACCESS_REFUSED - access to queue '(.*)' in vhost '(.*)' refused for user '(.*)'$", text)
    assert code == 403 and m, text
    assert re.match(SERVER_NAMED_QUEUE_RE, m.group(1)) and m.group(2) == env.vhost and m.group(3) == env.alice


def test_configure_refused_queue_delete(env, alice, guest_setup):
    assert channel_error(alice.channel().queue_delete, "bob-q") == refused("queue", "bob-q", env, env.alice)


def test_configure_refused_exchange_delete(env, alice, guest_setup):
    assert channel_error(alice.channel().exchange_delete, "bob-x") == refused("exchange", "bob-x", env, env.alice)


def test_configure_checked_before_existence(env, alice):
    """Deleting a queue that does not exist is refused, not 'ok'."""
    assert channel_error(alice.channel().queue_delete, "bob-missing") == (
        refused("queue", "bob-missing", env, env.alice))


def test_passive_declare_needs_no_permission(env, alice, guest_setup):
    """Surprise: passive declares are not permission-checked at all."""
    ch = alice.channel()
    assert ch.queue_declare("bob-q", passive=True).method.message_count == 1
    ch.exchange_declare("bob-x", passive=True)
    assert channel_error(ch.queue_declare, "bob-missing", passive=True) == (
        404, no_queue("bob-missing", env.vhost))


# ---------------------------------------------------------------------------
# write
# ---------------------------------------------------------------------------

def test_write_refused_default_exchange(env, alice):
    ch = alice.channel()
    ch.basic_publish("", "alice-q", b"x")
    # the default exchange is called 'amq.default' in this message
    assert channel_error(ch.queue_declare, "alice-sync", exclusive=True) == (
        refused("exchange", "amq.default", env, env.alice))


def test_write_refused_amq_direct(env, alice):
    ch = alice.channel()
    ch.basic_publish("amq.direct", "k", b"x")
    assert channel_error(ch.queue_declare, "alice-sync", exclusive=True) == (
        refused("exchange", "amq.direct", env, env.alice))


def test_write_allowed_own_exchange(env, alice):
    ch = confirmed(alice.channel())
    ch.exchange_declare("alice-x2", "fanout", auto_delete=True)
    ch.queue_declare("alice-q2", exclusive=True)
    ch.queue_bind("alice-q2", "alice-x2")
    ch.basic_publish("alice-x2", "", b"hello alice")
    assert ch.basic_get("alice-q2", auto_ack=True)[2] == b"hello alice"


def test_bind_needs_write_on_queue(env, alice, guest_setup):
    ch = alice.channel()
    ch.exchange_declare("alice-x3", "fanout", auto_delete=True)
    assert channel_error(ch.queue_bind, "bob-q", "alice-x3") == refused("queue", "bob-q", env, env.alice)


def test_unbind_needs_write_on_queue(env, alice, guest_setup):
    assert channel_error(alice.channel().queue_unbind, "bob-q", "bob-x") == refused("queue", "bob-q", env, env.alice)


# ---------------------------------------------------------------------------
# read
# ---------------------------------------------------------------------------

def test_bind_needs_read_on_exchange(env, alice):
    ch = alice.channel()
    ch.queue_declare("alice-q4", exclusive=True)
    assert channel_error(ch.queue_bind, "alice-q4", "amq.direct", "k") == (
        refused("exchange", "amq.direct", env, env.alice))


@pytest.mark.parametrize("op", ["get", "consume", "purge"])
def test_read_refused_on_foreign_queue(env, alice, guest_setup, op):
    ch = alice.channel()
    fn = {"get": lambda: ch.basic_get("bob-q"),
          "consume": lambda: ch.basic_consume("bob-q", lambda *a: None),
          "purge": lambda: ch.queue_purge("bob-q")}[op]
    assert channel_error(fn) == refused("queue", "bob-q", env, env.alice)


def test_writer_can_declare_and_publish(env, writer):
    ch = confirmed(writer.channel())
    q = uname("wt-writer-q")
    ch.queue_declare(q, auto_delete=False)
    ch.basic_publish("", q, b"from writer")
    assert ch.queue_declare(q, passive=True).method.message_count == 1
    ch.queue_delete(q)   # configure '.*' allows delete


@pytest.mark.parametrize("op", ["get", "consume", "purge"])
def test_writer_cannot_read(env, writer, op):
    ch = writer.channel()
    q = uname("wt-writer-q")
    ch.queue_declare(q, exclusive=True)
    fn = {"get": lambda: ch.basic_get(q),
          "consume": lambda: ch.basic_consume(q, lambda *a: None),
          "purge": lambda: ch.queue_purge(q)}[op]
    assert channel_error(fn) == refused("queue", q, env, env.writer)


def test_writer_cannot_bind_from_amq_fanout(env, writer):
    ch = writer.channel()
    q = ch.queue_declare("", exclusive=True).method.queue
    assert channel_error(ch.queue_bind, q, "amq.fanout") == refused("exchange", "amq.fanout", env, env.writer)


def test_exchange_bind_needs_read_on_source(env, writer):
    ch = writer.channel()
    x = uname("wt-writer-x")
    ch.exchange_declare(x, "fanout", auto_delete=True)
    assert channel_error(ch.exchange_bind, x, "amq.fanout") == refused("exchange", "amq.fanout", env, env.writer)


def test_permission_error_is_a_channel_error(env, alice):
    ch = alice.channel()
    channel_error(ch.queue_declare, "bob-q3")
    assert alice.is_open
    alice.channel().queue_declare("alice-q5", exclusive=True)


# ---------------------------------------------------------------------------
# The definitions file format used to seed Warren, checked against RabbitMQ
# ---------------------------------------------------------------------------

@pytest.mark.skipif(not EXTERNAL_URL, reason="validates the fixture's definitions format against RabbitMQ")
def test_definitions_file_format_accepted_by_rabbitmq(broker):
    user, password = uname("wt-defs-user"), "s3cret-" + uname("pw")
    defs = {"users": [{"name": user, "password_hash": rabbit_password_hash(password),
                       "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": []}],
            "vhosts": [{"name": broker.vhost}],
            "permissions": [{"user": user, "vhost": broker.vhost, "configure": "^$", "write": "^$", "read": "^$"}]}
    fd, path = tempfile.mkstemp(suffix=".json")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(defs, f)
        os.chmod(path, 0o644)
        rabbitmqctl("import_definitions", path)
        conn = pika.BlockingConnection(broker.params(username=user, password=password))
        try:
            ch = conn.channel()
            assert channel_error(ch.queue_declare, "x") == (403, access_refused("queue", "x", user, broker.vhost))
        finally:
            if conn.is_open:
                conn.close()
        # a wrong password must not match the stored hash
        with pytest.raises(pika.exceptions.ProbableAuthenticationError):
            pika.BlockingConnection(broker.params(username=user, password=password + "x"))
    finally:
        os.unlink(path)
        rabbitmqctl("delete_user", user, check=False)


# ---------------------------------------------------------------------------
# Dead-letter exchange permissions at queue.declare (rabbit_channel, RabbitMQ 3.10)
# ---------------------------------------------------------------------------

def test_dead_letter_exchange_needs_write_permission(env, guest_setup, alice):
    q = uname("alice-dq")
    ch = alice.channel()
    assert channel_error(ch.queue_declare, q, arguments={"x-dead-letter-exchange": "bob-x"}) == \
        refused("exchange", "bob-x", env, env.alice)
    # Nothing was created; an exchange alice may write is fine, whether it exists or not.
    ch = alice.channel()
    assert channel_error(ch.queue_declare, q, passive=True)[0] == 404
    ch = alice.channel()
    ch.queue_declare(q, arguments={"x-dead-letter-exchange": "alice-nowhere"})
    ch.queue_delete(q)


def test_default_exchange_as_dead_letter_exchange_is_amq_default(env, alice):
    ch = alice.channel()
    assert channel_error(ch.queue_declare, uname("alice-dq"),
                         arguments={"x-dead-letter-exchange": ""}) == \
        refused("exchange", "amq.default", env, env.alice)


def test_dead_letter_exchange_needs_read_permission_on_the_queue(env, writer):
    q = uname("wt-dq")
    ch = writer.channel()
    assert channel_error(ch.queue_declare, q, arguments={"x-dead-letter-exchange": "any"}) == \
        refused("queue", q, env, env.writer)
    # Without a dead-letter exchange there is nothing to read.
    ch = writer.channel()
    ch.queue_declare(q)
    ch.queue_delete(q)


def test_dead_letter_access_checked_before_argument_validation(env, alice):
    """The channel checks permissions before rabbit_amqqueue validates the arguments; a
    dead-letter exchange of the wrong type is reported first."""
    ch = alice.channel()
    assert channel_error(ch.queue_declare, uname("alice-dq"),
                         arguments={"x-dead-letter-exchange": "bob-x", "x-max-length": -1}) == \
        refused("exchange", "bob-x", env, env.alice)
    ch = alice.channel()
    q = uname("alice-dq")
    assert channel_error(ch.queue_declare, q, arguments={"x-dead-letter-exchange": 1}) == (
        406, "PRECONDITION_FAILED - invalid type 'signedint' for arg 'x-dead-letter-exchange' "
             "in queue '%s' in vhost '%s'" % (q, env.vhost))


def test_redeclare_of_existing_queue_skips_dead_letter_check(env, alice):
    q = uname("alice-dq")
    g = env.connect(env.guest)
    try:
        gch = g.channel()
        gch.queue_declare(q, arguments={"x-dead-letter-exchange": "bob-x"})
        ch = alice.channel()
        ch.queue_declare(q, arguments={"x-dead-letter-exchange": "bob-x"})
        gch.queue_delete(q)
    finally:
        g.close()
