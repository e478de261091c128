"""warrenctl, Warren's rabbitmqctl, against a live warren-server.

Every command is run for real and its output and its effect are checked: what a pika
client then sees, what survives a restart. Expected outputs are rabbitmqctl 3.10.8's,
captured from Debian's rabbitmq-server (docs/operations.md lists them); where Warren
differs on purpose the comment says so.
"""
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pika
import pika.exceptions
import pytest

from conftest import (EXTERNAL_URL, WARREN_SERVER, Broker, WarrenProcess, _tmpdir,
                      rabbit_password_hash, start_warren)
from support import uname, wait_until

pytestmark = pytest.mark.skipif(EXTERNAL_URL is not None,
                                reason="warrenctl drives a Warren process of its own")

WARRENCTL = os.environ.get("WARRENCTL") or str(Path(WARREN_SERVER).parent / "warrenctl")
CTL_TIMEOUT = 30
OTHER_USER = "warrenctl-test"


class Ctl:
    def __init__(self, proc):
        self.rc, self.out, self.err = (proc.returncode, proc.stdout.decode(errors="replace"),
                                       proc.stderr.decode(errors="replace"))

    def __repr__(self):
        return "<rc=%d out=%r err=%r>" % (self.rc, self.out, self.err)


def ctl_in(data_dir, *args, stdin=None, cwd=None, env=None, prefix=(), data_dir_flag=True):
    cmd = list(prefix) + [WARRENCTL]
    if data_dir_flag:
        cmd += ["--data-dir", str(data_dir)]
    cmd += [str(a) for a in args]
    proc = subprocess.run(cmd, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=CTL_TIMEOUT, cwd=cwd, env=env)
    return Ctl(proc)


def ctl(broker, *args, **kw):
    return ctl_in(broker.process.data_dir, *args, **kw)


def ok(broker, *args, **kw):
    r = ctl(broker, *args, **kw)
    assert r.rc == 0, r
    return r.out


@pytest.fixture
def wb():
    """A Warren broker of its own (warrenctl changes it)."""
    if not os.path.exists(WARRENCTL):
        pytest.fail("warrenctl not found at %s (build it, or set WARRENCTL)" % WARRENCTL,
                    pytrace=False)
    b = start_warren("warren-ctl-")
    yield b
    if b.process.proc is not None:
        b.process.stop_and_clean()


def login(broker, user, password, vhost="/"):
    return broker.connect(username=user, password=password, vhost=vhost)


def closed_by_broker(conn, timeout=5.0):
    """Drive `conn` until the broker closes it; return (code, text)."""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            conn.process_data_events(time_limit=0.05)
    except pika.exceptions.ConnectionClosedByBroker as e:
        return e.reply_code, e.reply_text
    raise AssertionError("the broker did not close the connection within %.0fs" % timeout)


# ---------------------------------------------------------------------------
# Command line: usage errors, unreachable broker, -n, WARREN_DATA_DIR
# ---------------------------------------------------------------------------

def test_unknown_command_prints_usage_and_exits_64(wb):
    r = ctl(wb, "frobnicate")
    assert r.rc == 64
    assert r.err.startswith("\nCommand 'frobnicate' not found. \n")
    assert "Available commands:" in r.err and "list_queues" in r.err


def test_wrong_argument_counts_exit_64_with_the_commands_usage(wb):
    r = ctl(wb, "add_user")
    assert r.rc == 64
    assert r.err.startswith("Error (argument validation): not enough arguments.\n"
                            "Arguments given:\n\t--data-dir %s add_user\n" % wb.process.data_dir)
    assert r.err.endswith("warrenctl [--node <node>] [--longnames] [--quiet] "
                          "add_user <username> <password>\n")
    r = ctl(wb, "add_user", "a", "b", "c")
    assert r.rc == 64 and "too many arguments." in r.err
    r = ctl(wb, "list_queues", "bogus", "name")
    assert r.rc == 64 and "Info key(s) bogus are not supported" in r.err
    r = ctl(wb, "add_user", "-p", "x", "a", "b")
    assert r.rc == 64 and "Invalid options for this command" in r.err


def test_broker_not_running_exits_69(tmp_path):
    r = ctl_in(tmp_path, "list_queues")
    assert r.rc == 69
    assert r.err.startswith("Error: unable to perform an operation on node 'warren@")
    assert "attempted to contact: %s/warren.sock" % tmp_path in r.err
    assert r.out == "Timeout: 60.0 seconds ...\nListing queues for vhost / ...\n"
    r = ctl_in(tmp_path, "ping")
    assert r.rc == 69 and "Failed to connect and authenticate to warren@" in r.err
    assert ctl_in(tmp_path, "stop", "--idempotent").rc == 0


def test_node_option_is_accepted_and_data_dir_defaults(wb):
    assert ctl(wb, "-n", "rabbit@somewhere", "list_vhosts", "-q").out == "name\n/\n"
    assert ctl(wb, "--node=rabbit@x", "ping", "-q").out == "Ping succeeded\n"
    workdir = wb.process.data_dir.parent
    # ./data, the broker's default, relative to the working directory
    r = ctl_in(None, "list_vhosts", "-s", cwd=workdir, data_dir_flag=False,
               env={k: v for k, v in os.environ.items() if k != "WARREN_DATA_DIR"})
    assert (r.rc, r.out) == (0, "/\n")
    env = dict(os.environ, WARREN_DATA_DIR=str(wb.process.data_dir))
    r = ctl_in(None, "list_vhosts", "-s", cwd="/", data_dir_flag=False, env=env)
    assert (r.rc, r.out) == (0, "/\n")


# ---------------------------------------------------------------------------
# Users
# ---------------------------------------------------------------------------

def test_add_user_and_list_users_print_as_rabbitmqctl(wb):
    r = ctl(wb, "add_user", "alice", "secret")
    assert (r.rc, r.err) == (0, "")
    assert r.out == ('Adding user "alice" ...\n'
                     "Done. Don't forget to grant the user permissions to some virtual hosts! "
                     "See 'warrenctl help set_permissions' to learn more.\n")
    r = ctl(wb, "add_user", "alice", "other")
    assert r.rc == 70
    assert r.out == 'Adding user "alice" ...\n'
    assert r.err == 'Error:\nUser "alice" already exists\n'
    assert ctl(wb, "add_user", "-q", "alice", "x").out == ""
    assert ok(wb, "list_users") == "Listing users ...\nuser\ttags\nalice\t[]\nguest\t[administrator]\n"
    assert ok(wb, "list_users", "-q") == "user\ttags\nalice\t[]\nguest\t[administrator]\n"
    assert ok(wb, "list_users", "-s") == "alice\t[]\nguest\t[administrator]\n"
    assert ok(wb, "list_users", "--no-table-headers") == \
        "Listing users ...\nalice\t[]\nguest\t[administrator]\n"
    assert ok(wb, "list_users", "--formatter", "json") == \
        '[\n{"user":"alice","tags":[]}\n,{"user":"guest","tags":["administrator"]}\n]\n'
    assert ok(wb, "set_user_tags", "alice", "administrator", "monitoring") == \
        'Setting tags for user "alice" to [administrator, monitoring] ...\n'
    assert "alice\t[administrator, monitoring]\n" in ok(wb, "list_users")
    # the password works on a real login, once alice has permissions
    ok(wb, "set_permissions", "alice", ".*", ".*", ".*")
    login(wb, "alice", "secret").close()


def test_missing_users_give_rabbitmqctls_errors(wb):
    for cmd in (["delete_user", "nobody"], ["change_password", "nobody", "x"],
                ["set_user_tags", "nobody", "t"]):
        r = ctl(wb, *cmd)
        assert (r.rc, r.err) == (67, 'Error:\nUser "nobody" does not exist\n'), cmd
    r = ctl(wb, "clear_password", "nobody")
    assert (r.rc, r.err) == (69, 'Error:\n{:no_such_user, "nobody"}\n')
    r = ctl(wb, "list_user_permissions", "nobody")
    assert (r.rc, r.err) == (69, 'Error:\n{:no_such_user, "nobody"}\n')
    r = ctl(wb, "set_permissions", "nobody", ".*", ".*", ".*")
    assert (r.rc, r.err) == (67, "Error:\nUser nobody does not exist\n")


def test_change_password_locks_out_the_old_one(wb):
    ok(wb, "add_user", "carol", "old-pw")
    ok(wb, "set_permissions", "carol", ".*", ".*", ".*")
    login(wb, "carol", "old-pw").close()
    assert ok(wb, "change_password", "carol", "new-pw") == \
        'Changing password for user "carol" ...\n'
    with pytest.raises(pika.exceptions.ProbableAuthenticationError):
        login(wb, "carol", "old-pw")
    login(wb, "carol", "new-pw").close()
    r = ctl(wb, "authenticate_user", "carol", "old-pw")
    assert r.rc == 65
    assert r.err == ('Error:\nError: failed to authenticate user "carol"\n'
                     "user 'carol' - invalid credentials\n")
    assert ok(wb, "authenticate_user", "carol", "new-pw") == \
        'Authenticating user "carol" ...\nSuccess\n'
    # clear_password disables password logins altogether
    ok(wb, "clear_password", "carol")
    with pytest.raises(pika.exceptions.ProbableAuthenticationError):
        login(wb, "carol", "new-pw")
    # and the change survived in definitions.json: a restart keeps it
    ok(wb, "change_password", "carol", "third-pw")
    wb.process.restart()
    login(wb, "carol", "third-pw").close()


def test_delete_user_closes_its_connections(wb):
    ok(wb, "add_user", "dave", "pw")
    ok(wb, "set_permissions", "dave", ".*", ".*", ".*")
    conn = login(wb, "dave", "pw")
    guest = wb.connect()
    assert ok(wb, "delete_user", "dave") == 'Deleting user "dave" ...\n'
    assert closed_by_broker(conn) == (320, "CONNECTION_FORCED - user 'dave' is deleted")
    assert guest.is_open
    guest.process_data_events(time_limit=0.2)
    assert guest.is_open
    guest.close()
    assert "dave" not in ok(wb, "list_users")
    with pytest.raises(pika.exceptions.ProbableAuthenticationError):
        login(wb, "dave", "pw")


# ---------------------------------------------------------------------------
# Vhosts and permissions
# ---------------------------------------------------------------------------

def test_permissions_are_enforced_on_clients(wb):
    ok(wb, "add_user", "bob", "pw")
    ok(wb, "add_vhost", "v1")
    assert ok(wb, "set_permissions", "-p", "v1", "bob", "^bob-", "^bob-", "") == \
        'Setting permissions for user "bob" in vhost "v1" ...\n'
    assert ok(wb, "list_permissions", "-p", "v1") == \
        'Listing permissions for vhost "v1" ...\nuser\tconfigure\twrite\tread\nbob\t^bob-\t^bob-\t\n'
    assert ok(wb, "list_user_permissions", "bob") == \
        'Listing permissions for user "bob" ...\nvhost\tconfigure\twrite\tread\nv1\t^bob-\t^bob-\t\n'
    assert ok(wb, "list_user_permissions", "--formatter", "json", "bob") == \
        '[\n{"vhost":"v1","configure":"^bob-","write":"^bob-","read":""}\n]\n'
    conn = login(wb, "bob", "pw", vhost="v1")
    ch = conn.channel()
    ch.queue_declare("bob-q")
    with pytest.raises(pika.exceptions.ChannelClosedByBroker) as e:
        ch.queue_declare("alice-q")
    assert e.value.reply_code == 403
    assert e.value.reply_text == \
        "ACCESS_REFUSED - access to queue 'alice-q' in vhost 'v1' refused for user 'bob'"
    ch = conn.channel()
    with pytest.raises(pika.exceptions.ChannelClosedByBroker) as e:
        ch.basic_get("bob-q")  # read is ""
    assert e.value.reply_text == \
        "ACCESS_REFUSED - access to queue 'bob-q' in vhost 'v1' refused for user 'bob'"
    conn.close()
    # no permissions on '/': the vhost is refused
    with pytest.raises(pika.exceptions.ProbableAccessDeniedError) as e:
        login(wb, "bob", "pw", vhost="/")
    assert "NOT_ALLOWED - access to vhost '/' refused for user 'bob'" in str(e.value)
    assert ok(wb, "clear_permissions", "-p", "v1", "bob") == \
        'Clearing permissions for user "bob" in vhost "v1" ...\n'
    with pytest.raises(pika.exceptions.ProbableAccessDeniedError):
        login(wb, "bob", "pw", vhost="v1")
    r = ctl(wb, "set_permissions", "-p", "nope", "bob", ".*", ".*", ".*")
    assert (r.rc, r.err) == (69, "Error:\nVirtual host nope does not exist\n")
    r = ctl(wb, "set_permissions", "-p", "v1", "bob", "(", ".*", ".*")
    assert r.rc == 69 and r.err.startswith("Error:\n{:invalid_regexp, '(', ")


def test_vhosts_add_list_delete(wb):
    assert ok(wb, "add_vhost", "v2") == 'Adding vhost "v2" ...\n'
    assert ok(wb, "add_vhost", "v2") == 'Adding vhost "v2" ...\n'  # idempotent, as RabbitMQ
    assert ok(wb, "list_vhosts") == "Listing vhosts ...\nname\n/\nv2\n"
    assert ok(wb, "list_vhosts", "--formatter", "json", "name", "tracing") == \
        '[\n{"name":"/","tracing":false}\n,{"name":"v2","tracing":false}\n]\n'
    ok(wb, "set_permissions", "-p", "v2", "guest", ".*", ".*", ".*")
    conn = wb.connect(vhost="v2")
    conn.channel().queue_declare("dq", durable=True)
    assert ok(wb, "delete_vhost", "v2") == 'Deleting vhost "v2" ...\n'
    assert closed_by_broker(conn) == (320, "CONNECTION_FORCED - vhost 'v2' is deleted")
    assert ok(wb, "list_vhosts", "-s") == "/\n"
    r = ctl(wb, "delete_vhost", "v2")
    assert (r.rc, r.err) == (65, "Virtual host 'v2' does not exist\n")
    r = ctl(wb, "list_permissions", "-p", "v2")
    assert (r.rc, r.err) == (65, "Virtual host 'v2' does not exist\n")
    # gone for good: not back after a restart, nor its permissions
    wb.process.restart()
    assert ok(wb, "list_vhosts", "-s") == "/\n"
    defs = json.loads(ok(wb, "export_definitions", "-"))
    assert [p["vhost"] for p in defs["permissions"]] == ["/"]


def test_definitions_changes_survive_restart(wb):
    ok(wb, "add_user", "erin", "pw")
    ok(wb, "set_user_tags", "erin", "monitoring")
    ok(wb, "add_vhost", "v3")
    ok(wb, "set_permissions", "-p", "v3", "erin", "^e", ".*", ".*")
    wb.process.restart()
    assert "erin\t[monitoring]\n" in ok(wb, "list_users")
    assert ok(wb, "list_permissions", "-p", "v3", "-s") == "erin\t^e\t.*\t.*\n"
    login(wb, "erin", "pw", vhost="v3").close()


# ---------------------------------------------------------------------------
# Queues, exchanges, bindings, connections, channels, consumers
# ---------------------------------------------------------------------------

def test_list_queues_type(wb):
    conn = wb.connect()
    ch = conn.channel()
    ch.queue_declare("qq", durable=True, arguments={"x-queue-type": "quorum"})
    ch.queue_declare("cq")
    conn.close()
    lines = ok(wb, "list_queues", "-q", "name", "type").splitlines()
    assert "qq\tquorum" in lines and "cq\tclassic" in lines


def test_list_queues_shows_what_pika_did(wb):
    conn = wb.connect()
    ch = conn.channel()
    ch.queue_declare("q1", durable=True, arguments={"x-message-ttl": 100000,
                                                    "x-dead-letter-exchange": "dlx"})
    ch.queue_declare("q2", auto_delete=True)
    excl = ch.queue_declare("", exclusive=True).method.queue
    ch.confirm_delivery()
    for i in range(5):
        ch.basic_publish("", "q1", b"m%d" % i)
    consumer = conn.channel()
    consumer.basic_qos(prefetch_count=2)
    consumer.basic_consume("q1", lambda *a: None, consumer_tag="ctag1")
    cols = ["name", "messages", "messages_ready", "messages_unacknowledged", "consumers",
            "durable", "auto_delete", "exclusive", "arguments", "state"]

    def q1_line():
        conn.process_data_events(time_limit=0.05)
        out = ok(wb, "list_queues", "-q", *cols)
        return [line for line in out.splitlines() if line.startswith("q1\t")]
    line = wait_until(lambda: q1_line() if q1_line() == [
        'q1\t5\t3\t2\t1\ttrue\tfalse\tfalse\t'
        '[{"x-message-ttl",100000},{"x-dead-letter-exchange","dlx"}]\trunning'] else None)
    assert line
    out = ok(wb, "list_queues", *cols)
    lines = out.splitlines()
    assert lines[:3] == ["Timeout: 60.0 seconds ...", "Listing queues for vhost / ...",
                         "\t".join(cols)]
    assert "q2\t0\t0\t0\t0\tfalse\ttrue\tfalse\t[]\trunning" in lines
    assert "%s\t0\t0\t0\t0\tfalse\tfalse\ttrue\t[]\trunning" % excl in lines
    js = json.loads(ok(wb, "list_queues", "--formatter", "json", "name", "messages_ready",
                       "messages_unacknowledged", "arguments", "durable"))
    q1 = [q for q in js if q["name"] == "q1"][0]
    assert q1 == {"name": "q1", "messages_ready": 3, "messages_unacknowledged": 2,
                  "arguments": [["x-message-ttl", "signedint", 100000],
                                ["x-dead-letter-exchange", "longstr", "dlx"]],
                  "durable": True}
    # default columns, -s, other vhost (missing vhost: an empty list, as rabbitmqctl)
    assert "q1\t5\n" in ok(wb, "list_queues", "-s")
    assert ok(wb, "list_queues", "-p", "nope") == \
        "Timeout: 60.0 seconds ...\nListing queues for vhost nope ...\n"
    assert ok(wb, "list_queues", "-p", "nope", "--formatter", "json") == "[\n]\n"
    owner = ok(wb, "list_queues", "-s", "name", "owner_pid")
    pid = ok(wb, "list_connections", "-s", "pid").strip()
    assert "%s\t%s\n" % (excl, pid) in owner
    conn.close()


def test_purge_and_delete_queue(wb):
    conn = wb.connect()
    ch = conn.channel()
    ch.confirm_delivery()
    ch.queue_declare("pq")
    for _ in range(3):
        ch.basic_publish("", "pq", b"x")
    assert ok(wb, "purge_queue", "pq") == "Purging queue 'pq' in vhost '/' ...\n"
    assert ch.queue_declare("pq", passive=True).method.message_count == 0
    r = ctl(wb, "purge_queue", "nope")
    assert (r.rc, r.err) == (69, "Error:\nnot_found\n")
    ch.basic_publish("", "pq", b"x")
    r = ctl(wb, "delete_queue", "pq", "--if-empty")
    assert r.out == "Deleting queue 'pq' on vhost '/' if queue is empty ...\n"
    assert (r.rc, r.err) == (64, "Error:\nQueue is not empty\n")
    ch.basic_consume("pq", lambda *a: None)
    r = ctl(wb, "delete_queue", "pq", "--if-unused")
    assert (r.rc, r.err) == (64, "Error:\nQueue is in use\n")
    cancelled = []
    ch.add_on_cancel_callback(lambda frame: cancelled.append(frame))
    r = ctl(wb, "delete_queue", "pq")
    assert r.rc == 0
    assert r.out in ("Deleting queue 'pq' on vhost '/' ...\n"
                     "Queue was successfully deleted with %d ready messages\n" % n for n in (0, 1))
    wait_until(lambda: conn.process_data_events(time_limit=0.05) or cancelled)
    with pytest.raises(pika.exceptions.ChannelClosedByBroker) as e:
        conn.channel().queue_declare("pq", passive=True)
    assert e.value.reply_code == 404
    r = ctl(wb, "delete_queue", "-p", "nope", "pq")
    assert (r.rc, r.err) == (64, "Error:\nQueue not found\n")
    conn.close()


def test_list_exchanges_and_bindings(wb):
    conn = wb.connect()
    ch = conn.channel()
    ch.exchange_declare("x1", "topic", durable=True, arguments={"alternate-exchange": "ae"})
    ch.exchange_declare("x2", "fanout", durable=True)
    ch.queue_declare("bq", durable=True)
    ch.exchange_bind("x2", "x1", "a.#")
    ch.queue_bind("bq", "x1", "k.*", arguments={"foo": "bar", "n": 5})
    ch.queue_bind("bq", "x2")
    assert ok(wb, "list_exchanges") == (
        "Listing exchanges for vhost / ...\nname\ttype\n\tdirect\namq.direct\tdirect\n"
        "amq.fanout\tfanout\namq.headers\theaders\namq.match\theaders\n"
        "amq.rabbitmq.trace\ttopic\namq.topic\ttopic\nx1\ttopic\nx2\tfanout\n")
    out = ok(wb, "list_exchanges", "-s", "name", "type", "durable", "auto_delete", "internal",
             "arguments")
    assert 'x1\ttopic\ttrue\tfalse\tfalse\t[{"alternate-exchange","ae"}]\n' in out
    assert "amq.rabbitmq.trace\ttopic\ttrue\tfalse\ttrue\t[]\n" in out
    assert ok(wb, "list_bindings") == (
        "Listing bindings for vhost /...\n"
        "source_name\tsource_kind\tdestination_name\tdestination_kind\trouting_key\targuments\n"
        "\texchange\tbq\tqueue\tbq\t[]\n"
        "x1\texchange\tx2\texchange\ta.#\t[]\n"
        'x1\texchange\tbq\tqueue\tk.*\t[{"foo","bar"},{"n",5}]\n'
        "x2\texchange\tbq\tqueue\tbq\t[]\n")  # pika binds with the queue's name
    js = json.loads(ok(wb, "list_bindings", "--formatter", "json"))
    assert js[2] == {"source_name": "x1", "source_kind": "exchange", "destination_name": "bq",
                     "destination_kind": "queue", "routing_key": "k.*",
                     "arguments": [["foo", "longstr", "bar"], ["n", "signedint", 5]]}
    conn.close()


def test_list_connections_channels_and_consumers(wb):
    conn = wb.connect(client_properties={"connection_name": "myconn"})
    ch1 = conn.channel()
    ch1.confirm_delivery()
    ch2 = conn.channel()
    ch2.queue_declare("cq")
    ch2.basic_qos(prefetch_count=7)
    ch2.basic_consume("cq", lambda *a: None, consumer_tag="ctag1", arguments={"x-priority": 3})
    ch3 = conn.channel()
    ch3.tx_select()
    local_port = conn._impl._transport._sock.getsockname()[1]
    out = ok(wb, "list_connections")
    assert out == ("Listing connections ...\nuser\tpeer_host\tpeer_port\tstate\n"
                   "guest\t127.0.0.1\t%d\trunning\n" % local_port)
    name = "127.0.0.1:%d -> 127.0.0.1:%d" % (local_port, wb.port)
    row = ok(wb, "list_connections", "-s", "name", "user", "vhost", "channels", "protocol",
             "auth_mechanism", "ssl", "timeout", "frame_max", "channel_max", "port")
    assert row == "%s\tguest\t/\t3\t{0,9,1}\tPLAIN\tfalse\t60\t131072\t2047\t%d\n" % (name, wb.port)
    props = ok(wb, "list_connections", "-s", "client_properties")
    assert '{"product","Pika Python Client Library"}' in props
    assert '{"capabilities",[{"authentication_failure_close",true}' in props
    assert '{"connection_name","myconn"}' in props
    cols = ["connection", "name", "number", "user", "vhost", "consumer_count",
            "messages_unacknowledged", "prefetch_count", "confirm", "transactional"]
    pid = ok(wb, "list_connections", "-s", "pid").strip()
    assert ok(wb, "list_channels", "-s", *cols) == (
        "%s\t%s (1)\t1\tguest\t/\t0\t0\t0\ttrue\tfalse\n"
        "%s\t%s (2)\t2\tguest\t/\t1\t0\t7\tfalse\tfalse\n"
        "%s\t%s (3)\t3\tguest\t/\t0\t0\t0\tfalse\ttrue\n" % (pid, name, pid, name, pid, name))
    chan_pids = ok(wb, "list_channels", "-s", "pid").split()
    assert len(chan_pids) == 3 and len(set(chan_pids)) == 3
    assert ok(wb, "list_consumers") == (
        "Listing consumers in vhost / ...\n"
        "queue_name\tchannel_pid\tconsumer_tag\tack_required\tprefetch_count\tactive\targuments\n"
        'cq\t%s\tctag1\ttrue\t7\ttrue\t[{"x-priority",3}]\n' % chan_pids[1])
    assert ok(wb, "list_consumers", "-p", "other") == "Listing consumers in vhost other ...\n"
    assert json.loads(ok(wb, "list_channels", "--formatter", "json", "number", "confirm")) == [
        {"number": 1, "confirm": True}, {"number": 2, "confirm": False},
        {"number": 3, "confirm": False}]
    conn.close()
    wait_until(lambda: ok(wb, "list_connections", "-s") == "")


def test_close_connection_by_name_and_by_pid(wb):
    a = wb.connect()
    b = wb.connect()
    port_a = a._impl._transport._sock.getsockname()[1]
    name = "127.0.0.1:%d -> 127.0.0.1:%d" % (port_a, wb.port)
    assert ok(wb, "close_connection", name, "go away") == \
        "Closing connection %s, reason: go away...\n" % name
    assert closed_by_broker(a) == (320, "CONNECTION_FORCED - go away")
    assert b.is_open
    wait_until(lambda: len(ok(wb, "list_connections", "-s", "pid").split()) == 1)
    pid = ok(wb, "list_connections", "-s", "pid").strip()
    ok(wb, "close_connection", pid, "maintenance")
    assert closed_by_broker(b) == (320, "CONNECTION_FORCED - maintenance")
    r = ctl(wb, "close_connection", "nope", "x")
    assert (r.rc, r.err) == (69, 'Error:\nError:\n{:invalid_pid_syntax, "nope"}\n')


# ---------------------------------------------------------------------------
# Definitions
# ---------------------------------------------------------------------------

def rabbitmq_310_export(password):
    """Shaped exactly as rabbitmqctl 3.10.8's export_definitions output (keys sorted,
    rabbit_version, vhost metadata, queue type), with a user whose password is known."""
    return {
        "bindings": [
            {"arguments": {}, "destination": "imp-x2", "destination_type": "exchange",
             "routing_key": "a.#", "source": "imp-x1", "vhost": "imp"},
            {"arguments": {"foo": "bar"}, "destination": "imp-q", "destination_type": "queue",
             "routing_key": "k.*", "source": "imp-x1", "vhost": "imp"},
            {"arguments": {}, "destination": "imp-q", "destination_type": "queue",
             "routing_key": "", "source": "imp-x2", "vhost": "imp"}],
        "exchanges": [
            {"arguments": {}, "auto_delete": False, "durable": True, "name": "imp-x1",
             "type": "topic", "vhost": "imp"},
            {"arguments": {"alternate-exchange": "ae"}, "auto_delete": False, "durable": True,
             "name": "imp-x2", "type": "fanout", "vhost": "imp"}],
        "global_parameters": [],
        "parameters": [],
        "permissions": [
            {"configure": "^imp", "read": ".*", "user": "importer", "vhost": "imp",
             "write": ".*"},
            {"configure": ".*", "read": ".*", "user": "guest", "vhost": "/", "write": ".*"}],
        "policies": [],
        "queues": [
            {"arguments": {"x-dead-letter-exchange": "dlx", "x-message-ttl": 100000},
             "auto_delete": False, "durable": True, "name": "imp-q", "type": "classic",
             "vhost": "imp"}],
        "rabbit_version": "3.10.8",
        "rabbitmq_version": "3.10.8",
        "topic_permissions": [],
        "users": [
            {"hashing_algorithm": "rabbit_password_hashing_sha256", "limits": {},
             "name": "importer", "password_hash": rabbit_password_hash(password),
             "tags": ["monitoring", "management"]},
            {"hashing_algorithm": "rabbit_password_hashing_sha256", "limits": {},
             "name": "guest", "password_hash": rabbit_password_hash("guest"),
             "tags": ["administrator"]}],
        "vhosts": [
            {"limits": [], "metadata": {"description": "Default virtual host", "tags": []},
             "name": "/"},
            {"limits": [], "metadata": {"description": "", "tags": ""}, "name": "imp"}],
    }


def test_import_of_a_rabbitmq_export(wb, tmp_path):
    path = tmp_path / "defs.json"
    path.write_text(json.dumps(rabbitmq_310_export("imp-pw")))
    r = ctl(wb, "import_definitions", path)
    assert r.rc == 0, r
    assert r.out == ('Importing definitions in JSON from a file at "%s" ...\n'
                     "Successfully imported definitions.\n" % path)
    assert "importer\t[monitoring, management]\n" in ok(wb, "list_users")
    assert ok(wb, "list_queues", "-p", "imp", "-s", "name", "durable", "arguments") == \
        'imp-q\ttrue\t[{"x-dead-letter-exchange","dlx"},{"x-message-ttl",100000}]\n'
    assert "imp-x1\texchange\timp-x2\texchange\ta.#\t[]\n" in ok(wb, "list_bindings", "-p", "imp")
    # the imported user logs in with its password and routes through the e2e binding
    conn = login(wb, "importer", "imp-pw", vhost="imp")
    ch = conn.channel()
    ch.confirm_delivery()
    ch.basic_publish("imp-x1", "a.b", b"via-e2e")
    method, _, body = ch.basic_get("imp-q", auto_ack=True)
    assert body == b"via-e2e"
    conn.close()
    with pytest.raises(pika.exceptions.ProbableAccessDeniedError):
        login(wb, "importer", "imp-pw", vhost="/")
    # imported definitions are durable
    wb.process.restart()
    login(wb, "importer", "imp-pw", vhost="imp").close()


def test_import_errors(wb, tmp_path):
    r = ctl(wb, "import_definitions", tmp_path / "missing.json")
    assert r.rc == 65
    assert r.err.startswith("Error (argument validation): Bad argument: File %s does not exist"
                            % (tmp_path / "missing.json"))
    bad = tmp_path / "bad.json"
    bad.write_text("{bad")
    r = ctl(wb, "import_definitions", bad)
    assert r.rc == 65
    assert r.err.startswith("Error:\nFailed to deserialise input (format: JSON) (error: ")
    r = ctl(wb, "import_definitions", "-", stdin=json.dumps(
        {"users": [{"name": "x", "password_hash": "abc", "hashing_algorithm": "md5"}]}).encode())
    assert r.rc == 65 and "unsupported hashing_algorithm 'md5'" in r.err


def test_export_then_import_round_trip(wb, tmp_path):
    ok(wb, "add_user", "rt", "rt-pw")
    ok(wb, "set_user_tags", "rt", "administrator")
    ok(wb, "add_vhost", "rtv")
    ok(wb, "set_permissions", "-p", "rtv", "rt", ".*", ".*", ".*")
    conn = login(wb, "rt", "rt-pw", vhost="rtv")
    ch = conn.channel()
    ch.exchange_declare("rx", "direct", durable=True)
    ch.queue_declare("rq", durable=True, arguments={"x-max-length": 10})
    ch.queue_bind("rq", "rx", "key")
    conn.close()
    path = tmp_path / "export.json"
    assert ok(wb, "export_definitions", path) == \
        'Exporting definitions in JSON to a file at "%s" ...\n' % path
    exported = json.loads(path.read_text())
    assert json.loads(ok(wb, "export_definitions", "-")) == exported
    assert {"name": "rtv"} in [{"name": v["name"]} for v in exported["vhosts"]]
    user = [u for u in exported["users"] if u["name"] == "rt"][0]
    assert user["hashing_algorithm"] == "rabbit_password_hashing_sha256"
    assert user["tags"] == ["administrator"] and user["password_hash"]

    other = start_warren("warren-ctl-import-")
    try:
        r = ctl(other, "import_definitions", "-", stdin=path.read_bytes())
        assert r.rc == 0, r
        for cmd in (["list_users", "-s"], ["list_vhosts", "-s"],
                    ["list_permissions", "-p", "rtv", "-s"],
                    ["list_queues", "-p", "rtv", "-s", "name", "durable", "arguments"],
                    ["list_bindings", "-p", "rtv", "-s"]):
            assert ok(other, *cmd) == ok(wb, *cmd), cmd
        login(other, "rt", "rt-pw", vhost="rtv").close()
    finally:
        other.process.stop_and_clean()


# ---------------------------------------------------------------------------
# The node: status, ping, await_startup, stop
# ---------------------------------------------------------------------------

def test_status_and_ping(wb):
    out = ok(wb, "status")
    assert out.startswith("Status of node warren@")
    assert "OS PID: %d\n" % wb.process.proc.pid in out
    assert "Interface: [::], port: %d, protocol: amqp" % wb.port in out
    st = json.loads(ok(wb, "status", "--formatter", "json"))
    assert st["pid"] == wb.process.proc.pid and st["listeners"][0]["port"] == wb.port
    out = ok(wb, "ping")
    assert out.endswith("Ping succeeded\n") and out.startswith("Will ping warren@")


def test_await_startup_waits_for_the_broker(tmp_path):
    data = tmp_path / "data"
    port = WarrenProcess(tmp_path).port
    waiter = subprocess.Popen([WARRENCTL, "--data-dir", str(data), "await_startup", "-t", "20"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(0.3)
    assert waiter.poll() is None  # nothing to talk to yet
    server = subprocess.Popen([WARREN_SERVER, "--port", str(port), "--data-dir", str(data)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert waiter.wait(timeout=20) == 0
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            pass
        r = ctl_in(data, "stop")
        assert r.rc == 0, r
        assert server.wait(timeout=10) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        if waiter.poll() is None:
            waiter.kill()
            waiter.wait()
    r = ctl_in(data, "await_startup", "-t", "0.5")
    assert r.rc == 69


def test_stop_is_a_clean_shutdown(wb):
    conn = wb.connect()
    sock_path = wb.process.data_dir / "warren.sock"
    assert sock_path.is_socket()
    assert oct(sock_path.stat().st_mode & 0o777) == "0o600"
    r = ctl(wb, "stop")
    assert (r.rc, r.out) == (0, "Stopping and halting node %s ...\n" % r.out.split()[-2])
    # stop returns once the broker has exited: exit code 0, socket file removed
    proc = wb.process.proc
    assert proc.wait(timeout=10) == 0
    assert not sock_path.exists()
    assert closed_by_broker(conn)[0] == 320
    wb.process.proc = None
    wb.process._forget()
    assert ctl(wb, "ping").rc == 69
    shutil.rmtree(wb.process.workdir, ignore_errors=True)


# ---------------------------------------------------------------------------
# The control socket: stale file, second broker, other users, garbage
# ---------------------------------------------------------------------------

def test_stale_socket_is_replaced_and_a_live_one_refuses_a_second_broker(wb):
    data = wb.process.data_dir
    second = subprocess.run([WARREN_SERVER, "--port", "0", "--data-dir", str(data)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=20)
    assert second.returncode != 0
    assert b"another broker is running on this data directory" in second.stdout
    assert ok(wb, "ping", "-q") == "Ping succeeded\n"  # the first one still owns it
    wb.process.proc.send_signal(signal.SIGKILL)
    wb.process.proc.wait(timeout=10)
    wb.process.proc = None
    wb.process._forget()
    assert (data / "warren.sock").is_socket()  # left behind by kill -9
    wb.process.start()
    assert ok(wb, "list_vhosts", "-s") == "/\n"


def other_user():
    if os.geteuid() != 0:
        pytest.skip("needs root to run warrenctl as another user")
    if shutil.which("useradd") is None or shutil.which("runuser") is None:
        pytest.skip("useradd/runuser not available")
    try:
        pwd.getpwnam(OTHER_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        OTHER_USER], check=True, timeout=30)
    return OTHER_USER


def test_other_local_users_cannot_use_the_control_socket(wb):
    user = other_user()
    runas = ["runuser", "-u", user, "--"]
    # As the broker leaves it: the data directory path and the 0600 socket keep them out.
    r = ctl(wb, "list_users", prefix=runas)
    assert r.rc == 69, r
    assert "unable to perform an operation on node" in r.err
    # Even with the file opened up, the broker checks the peer's uid (SO_PEERCRED).
    sock_path = wb.process.data_dir / "warren.sock"
    dirs = [wb.process.workdir, wb.process.data_dir]
    modes = [d.stat().st_mode & 0o777 for d in dirs]
    try:
        for d in dirs:
            d.chmod(0o755)
        sock_path.chmod(0o666)
        r = ctl(wb, "add_user", "intruder", "pw", prefix=runas)
        assert r.rc == 69, r
        assert "access refused: the control socket accepts only uid 0" in r.err
    finally:
        for d, m in zip(dirs, modes):
            d.chmod(m)
        sock_path.chmod(0o600)
    assert "intruder" not in ok(wb, "list_users")
    assert "control socket: refused a client" in wb.process.log_path.read_text()


def raw_control(broker):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(str(broker.process.data_dir / "warren.sock"))
    return s


def read_line(s):
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    return buf


def test_garbage_on_the_control_socket_does_not_hurt_the_broker(wb):
    s = raw_control(wb)
    s.sendall(b"{not json\n")
    reply = json.loads(read_line(s))
    assert reply == {"ok": False, "exit_code": 64, "error": "malformed request: not JSON"}
    s.sendall(b"[1,2]\n")
    assert json.loads(read_line(s))["ok"] is False
    s.sendall(b'{"command":"no_such"}\n')
    assert json.loads(read_line(s))["error"] == "Command 'no_such' not found."
    s.sendall(b'{"command":"add_user","user":7}\n')  # wrong types are not a crash
    assert "ok" in json.loads(read_line(s))
    s.sendall(b'{"command":"ping"}\n')
    assert json.loads(read_line(s)) == {"ok": True}
    s.close()
    # binary junk, no newline, then gone
    s = raw_control(wb)
    s.sendall(os.urandom(100000))
    s.close()
    # a client that asks a lot and never reads: the broker stops reading it, others go on
    greedy = raw_control(wb)
    greedy.setblocking(False)
    request = b'{"command":"list_exchanges","items":["name","type","arguments"]}\n' * 2000
    try:
        for _ in range(200):
            greedy.send(request)
    except BlockingIOError:
        pass
    assert ok(wb, "ping", "-q") == "Ping succeeded\n"
    conn = wb.connect()
    conn.channel().queue_declare("still-fine")
    conn.close()
    silent = raw_control(wb)  # connected, says nothing
    assert ok(wb, "list_queues", "-s") == "still-fine\t0\n"
    greedy.close()
    silent.close()
    assert wb.process.proc.poll() is None
