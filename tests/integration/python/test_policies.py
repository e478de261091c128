"""Policies and operator policies: set_policy / clear_policy / list_policies and their
operator twins, driven through warrenctl (or, against RabbitMQ, WARREN_TEST_RABBITMQCTL),
their effect on queues and exchanges seen by a pika client, and their durability.

Outputs, texts and exit codes are rabbitmqctl 3.10.8's, captured from Debian's
rabbitmq-server. Each test uses names of its own and anchored patterns, so policies never
touch another test's queues, and removes what it set.
"""
import json
import os
import shlex
import subprocess
import time
from pathlib import Path

import pika
import pytest

from conftest import EXTERNAL_URL, RABBITMQCTL, WARREN_SERVER, requires_own_broker, start_warren
from support import queue_depth, uname, wait_until

WARRENCTL = os.environ.get("WARRENCTL") or str(Path(WARREN_SERVER).parent / "warrenctl")
CTL_TIMEOUT = 60


class Ctl:
    def __init__(self, proc):
        self.rc, self.out, self.err = (proc.returncode, proc.stdout.decode(errors="replace"),
                                       proc.stderr.decode(errors="replace"))

    def __repr__(self):
        return "<rc=%d out=%r err=%r>" % (self.rc, self.out, self.err)


def run_ctl(broker, *args):
    """rabbitmqctl for the broker under test: warrenctl on Warren's data directory, the
    WARREN_TEST_RABBITMQCTL prefix on an external RabbitMQ."""
    if EXTERNAL_URL:
        if not RABBITMQCTL:
            pytest.skip("WARREN_TEST_RABBITMQCTL is not set; cannot set policies on the "
                        "external broker")
        cmd = shlex.split(RABBITMQCTL)
    else:
        cmd = [WARRENCTL, "--data-dir", str(broker.process.data_dir)]
    proc = subprocess.run(cmd + [str(a) for a in args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=CTL_TIMEOUT)
    return Ctl(proc)


class Policies:
    """Sets policies on a broker and clears them at teardown."""

    def __init__(self, broker):
        self.broker = broker
        self.set_ = []

    def ctl(self, *args):
        return run_ctl(self.broker, *args)

    def ok(self, *args):
        r = self.ctl(*args)
        assert r.rc == 0, r
        return r.out

    def set(self, name, pattern, definition, *options, operator=False):
        command = "set_operator_policy" if operator else "set_policy"
        if not isinstance(definition, str):
            definition = json.dumps(definition)
        out = self.ok(command, *options, name, pattern, definition)
        vhost = options[options.index("-p") + 1] if "-p" in options else "/"
        self.set_.append(("clear_operator_policy" if operator else "clear_policy", vhost, name))
        return out

    def cleanup(self):
        for command, vhost, name in reversed(self.set_):
            self.ctl(command, "-p", vhost, name)

    def rows(self, command="list_policies", vhost="/"):
        out = self.ok(command, "-q", "-p", vhost, "--formatter", "json")
        return json.loads(out)


@pytest.fixture
def pol(broker):
    if not EXTERNAL_URL and not os.path.exists(WARRENCTL):
        pytest.fail("warrenctl not found at %s" % WARRENCTL, pytrace=False)
    p = Policies(broker)
    yield p
    p.cleanup()


@pytest.fixture
def ch(connection):
    c = connection.channel()
    c.confirm_delivery()
    return c


def depth_becomes(ch, queue, n, timeout=5.0):
    wait_until(lambda: queue_depth(ch, queue) == n, timeout=timeout,
               message="queue %s never held %d message(s) (has %d)"
                       % (queue, n, queue_depth(ch, queue)))


def queue_policy(pol, queue):
    out = pol.ok("list_queues", "-q", "--formatter", "json", "name", "policy")
    return {r["name"]: r["policy"] for r in json.loads(out)}.get(queue)


# ---------------------------------------------------------------------------
# Commands: output and listing
# ---------------------------------------------------------------------------

def test_set_list_and_clear_policy_print_as_rabbitmqctl(pol):
    name = uname("pol")
    out = pol.set(name, "^%s$" % name, '{"message-ttl":1000, "max-length":5}',
                  "--priority", "3", "--apply-to", "queues")
    assert out == ('Setting policy "%s" for pattern "^%s$" to "{"message-ttl":1000, '
                   '"max-length":5}" with priority "3" for vhost "/" ...\n' % (name, name))
    rows = [r for r in pol.rows() if r["name"] == name]
    # The definition comes back re-encoded: compact, keys sorted.
    assert rows == [{"vhost": "/", "name": name, "pattern": "^%s$" % name, "apply-to": "queues",
                     "definition": '{"max-length":5,"message-ttl":1000}', "priority": 3}]
    table = pol.ok("list_policies")
    assert table.startswith('Listing policies for vhost "/" ...\n'
                            "vhost\tname\tpattern\tapply-to\tdefinition\tpriority\n")
    assert ('/\t%s\t^%s$\tqueues\t{"max-length":5,"message-ttl":1000}\t3\n' % (name, name)) in table
    r = pol.ctl("clear_policy", name)
    assert (r.rc, r.out, r.err) == (0, 'Clearing policy "%s" on vhost "/" ...\n' % name, "")
    assert [r for r in pol.rows() if r["name"] == name] == []


def test_operator_policy_commands_print_as_rabbitmqctl(pol):
    name = uname("op")
    out = pol.set(name, "^%s$" % name, '{"max-length":10}', operator=True)
    assert out == ('Setting operator policy override "%s" for pattern "^%s$" to '
                   '"{"max-length":10}" with priority "0" for vhost "/" ...\n' % (name, name))
    assert [r for r in pol.rows("list_operator_policies") if r["name"] == name] == [
        {"vhost": "/", "name": name, "pattern": "^%s$" % name, "apply-to": "all",
         "definition": '{"max-length":10}', "priority": 0}]
    assert pol.ok("list_operator_policies").startswith(
        'Listing operator policy overrides for vhost "/" ...\n')
    assert name not in json.dumps(pol.rows("list_policies"))
    r = pol.ctl("clear_operator_policy", name)
    assert (r.rc, r.out) == (0, 'Clearing operator policy "%s" on vhost "/" ...\n' % name)


def test_policies_sort_by_priority(pol):
    tag = uname("prio")
    pol.set(tag + "-b", "^%s$" % tag, '{"max-length":1}', "--priority", "7")
    pol.set(tag + "-a", "^%s$" % tag, '{"max-length":1}', "--priority", "-5")
    pol.set(tag + "-c", "^%s$" % tag, '{"max-length":1}', "--priority", "99999999999")
    mine = [(r["name"], r["priority"]) for r in pol.rows() if r["name"].startswith(tag)]
    assert mine == [(tag + "-a", -5), (tag + "-b", 7), (tag + "-c", 99999999999)]


# ---------------------------------------------------------------------------
# Validation: RabbitMQ's texts and exit codes
# ---------------------------------------------------------------------------

def failed(text):
    return "Error:\nValidation failed\n\n%s\n\n" % text


@pytest.mark.parametrize("definition, problem", [
    ('{"foo":1}', '[{<<"foo">>,1}] are not recognised policy settings'),
    ('{"foo":1,"bar":2}', '[{<<"bar">>,2},{<<"foo">>,1}] are not recognised policy settings'),
    ('{"max-length":"x"}', '<<"x">> is not a valid maximum length'),
    ('{"max-length":-1}', "-1 is not a valid maximum length"),
    ('{"message-ttl":1.5}', "1.5 is not a valid message TTL"),
    ('{"expires":0}', "0 is not a valid queue expiry"),
    ('{"overflow":"foo"}', '<<"foo">> is not a valid overflow value'),
    ('{"dead-letter-exchange":1}', "1 is not a valid dead letter exchange name"),
    ('{"alternate-exchange":3}', "3 is not a valid alternate exchange name"),
    ('{"delivery-limit":-1}', "-1 is not a valid delivery limit"),
    ('{"queue-mode":"bogus"}', '<<"bogus">> is not a valid queue-mode value'),
    ('{"consumer-timeout":1000}',
     '[{<<"consumer-timeout">>,1000}] are not recognised policy settings'),
    ('{"ha-mode":"exactly"}', 'ha-mode="exactly" takes an integer, none given'),
    ('{"ha-sync-mode":"automatic"}',
     "ha-mode must be specified to specify ha-params, ha-sync-mode or ha-promote-on-shutdown"),
    ('{"foo":1,"max-length":"x"}', '<<"x">> is not a valid maximum length'),
    ("{}", "no policy provided"),
])
def test_invalid_definitions_are_refused_with_rabbitmqs_text(pol, definition, problem):
    r = pol.ctl("set_policy", uname("bad"), "^nothing-matches$", definition)
    assert (r.rc, r.err) == (69, failed(problem)), r


def test_every_problem_is_reported_definition_first(pol):
    r = pol.ctl("set_policy", "--apply-to", "bogus", uname("bad"), "(", '{"foo":1}')
    assert r.rc == 69
    assert r.err == failed(
        '[{<<"foo">>,1}] are not recognised policy settings\n'
        "apply-to 'bogus' unrecognised; should be 'queues', 'exchanges' or 'all'\n"
        'pattern should be regular expression but is invalid: {"missing )",1}')


def test_bad_json_missing_policy_and_missing_vhost(pol):
    r = pol.ctl("set_policy", uname("bad"), "^x$", '{"max-length":1,')
    assert (r.rc, r.err) == (69, "Error:\nJSON decoding error. Reason: badarg\n")
    r = pol.ctl("clear_policy", uname("none"))
    assert (r.rc, r.err) == (69, "Error:\nParameter does not exist\n")
    r = pol.ctl("clear_operator_policy", uname("none"))
    assert (r.rc, r.err) == (69, "Error:\nParameter does not exist\n")
    vhost = uname("novhost")
    r = pol.ctl("set_policy", "-p", vhost, uname("p"), "^x$", '{"max-length":1}')
    assert (r.rc, r.err) == (65, "Virtual host '%s' does not exist\n" % vhost)
    r = pol.ctl("list_policies", "-p", vhost)
    assert (r.rc, r.err) == (65, "Virtual host '%s' does not exist\n" % vhost)


def test_operator_policies_take_only_the_limit_keys(pol):
    r = pol.ctl("set_operator_policy", uname("op"), "^x$", '{"dead-letter-exchange":"x"}')
    assert (r.rc, r.err) == (69, failed(
        '[{<<"dead-letter-exchange">>,<<"x">>}] are not recognised policy settings'))
    r = pol.ctl("set_operator_policy", uname("op"), "^x$", '{"message-ttl":-1}')
    assert (r.rc, r.err) == (69, failed("-1 is not a valid message TTL"))


def test_keys_without_effect_on_one_node_are_accepted(pol):
    # Scripts written for clusters keep working (docs/compatibility.md lists these).
    name = uname("ha")
    pol.set(name, "^%s$" % name, {"ha-mode": "all", "ha-sync-mode": "automatic",
                                  "queue-mode": "lazy", "queue-master-locator": "min-masters"})


def test_priority_must_be_an_integer(pol):
    if EXTERNAL_URL:
        pytest.skip("the usage text names the tool")
    r = pol.ctl("set_policy", "--priority", "x", "p", "^q", '{"max-length":1}')
    assert r.rc == 64
    assert r.err.startswith("Error (argument validation): Invalid options for this command:\n"
                            "--priority : x\n")


# ---------------------------------------------------------------------------
# Effects on queues
# ---------------------------------------------------------------------------

def test_max_length_policy_trims_existing_queue_and_applies_to_new_ones(pol, ch):
    q, dlq = uname("len"), uname("len-dlq")
    ch.queue_declare(q)
    ch.queue_declare(dlq)
    try:
        for i in range(10):
            ch.basic_publish("", q, str(i).encode())
        pol.set(uname("len"), "^%s" % q, {"max-length": 3, "dead-letter-exchange": "",
                                          "dead-letter-routing-key": dlq})
        depth_becomes(ch, q, 3)
        depth_becomes(ch, dlq, 7)
        assert ch.basic_get(q, auto_ack=True)[2] == b"7"
        assert queue_policy(pol, q) == pol.set_[-1][2]
        # A queue declared later gets it at declare.
        q2 = q + "-later"
        ch.queue_declare(q2)
        for i in range(5):
            ch.basic_publish("", q2, str(i).encode())
        depth_becomes(ch, q2, 3)
        ch.queue_delete(q2)
        # Cleared: no limit any more.
        command, vhost, name = pol.set_.pop()
        pol.ok(command, name)
        for i in range(5):
            ch.basic_publish("", q, b"more")
        depth_becomes(ch, q, 7)
        assert queue_policy(pol, q) == ""
    finally:
        ch.queue_delete(q)
        ch.queue_delete(dlq)


def test_message_ttl_policy_applies_to_messages_published_after_it(pol, ch):
    # As RabbitMQ 3.10: messages already queued keep the expiry they were given, and TTL
    # drops messages only at the head of the queue.
    q = uname("ttl")
    ch.queue_declare(q)
    try:
        ch.basic_publish("", q, b"old")
        pol.set(uname("ttl"), "^%s$" % q, {"message-ttl": 100})
        ch.basic_publish("", q, b"new")
        time.sleep(0.4)
        assert queue_depth(ch, q) == 2
        assert ch.basic_get(q, auto_ack=True)[2] == b"old"
        assert ch.basic_get(q, auto_ack=True)[0] is None
        ch.basic_publish("", q, b"newer")
        depth_becomes(ch, q, 0)
    finally:
        ch.queue_delete(q)


def test_highest_priority_policy_wins(pol, ch):
    q = uname("prio")
    pol.set(q + "-low", "^%s$" % q, {"max-length": 1}, "--priority", "1")
    pol.set(q + "-high", "^%s$" % q, {"max-length": 4}, "--priority", "2")
    ch.queue_declare(q)
    try:
        for i in range(6):
            ch.basic_publish("", q, b"x")
        depth_becomes(ch, q, 4)
        assert queue_policy(pol, q) == q + "-high"
    finally:
        ch.queue_delete(q)


def test_arguments_and_policies_combine_as_rabbitmq(pol, ch):
    # The lower of argument and policy wins for limits; the argument wins otherwise.
    low_arg, low_pol = uname("comb"), uname("comb")
    pol.set(uname("comb"), "^(%s|%s)$" % (low_arg, low_pol), {"max-length": 4})
    ch.queue_declare(low_arg, arguments={"x-max-length": 2})
    ch.queue_declare(low_pol, arguments={"x-max-length": 10})
    try:
        for i in range(6):
            ch.basic_publish("", low_arg, b"x")
            ch.basic_publish("", low_pol, b"x")
        depth_becomes(ch, low_arg, 2)
        depth_becomes(ch, low_pol, 4)
    finally:
        ch.queue_delete(low_arg)
        ch.queue_delete(low_pol)


def test_operator_policy_caps_the_policy(pol, ch):
    q = uname("opcap")
    pol.set(uname("pol"), "^%s$" % q, {"max-length": 5})
    ch.queue_declare(q)
    try:
        for i in range(8):
            ch.basic_publish("", q, b"x")
        depth_becomes(ch, q, 5)
        pol.set(uname("op"), "^%s$" % q, {"max-length": 2}, operator=True)
        depth_becomes(ch, q, 2)
        # An operator policy alone applies too; the policy column names the policy only.
        command, vhost, name = pol.set_.pop(0)
        pol.ok(command, name)
        for i in range(3):
            ch.basic_publish("", q, b"x")
        depth_becomes(ch, q, 2)
        assert queue_policy(pol, q) == ""
    finally:
        ch.queue_delete(q)


def test_apply_to_exchanges_leaves_queues_alone(pol, ch):
    q = uname("scope")
    pol.set(uname("x-only"), "^%s$" % q, {"max-length": 1}, "--apply-to", "exchanges")
    ch.queue_declare(q)
    ch.exchange_declare(q, "fanout")
    try:
        for i in range(3):
            ch.basic_publish("", q, b"x")
        assert queue_depth(ch, q) == 3
        assert queue_policy(pol, q) == ""
        out = pol.ok("list_exchanges", "-q", "--formatter", "json", "name", "policy")
        assert {r["name"]: r["policy"] for r in json.loads(out)}[q] == pol.set_[-1][2]
    finally:
        ch.queue_delete(q)
        ch.exchange_delete(q)


def test_expires_policy_deletes_an_unused_queue(pol, ch):
    q = uname("exp")
    ch.queue_declare(q)
    pol.set(uname("exp"), "^%s$" % q, {"expires": 200})

    # A passive declare counts as use (it renews the lease), so poll less often than it.
    def gone():
        probe = ch.connection.channel()
        try:
            probe.queue_declare(q, passive=True)
            probe.close()
            return False
        except pika.exceptions.ChannelClosedByBroker:
            return True
    wait_until(gone, timeout=10.0, interval=0.5, message="queue %s never expired" % q)


# ---------------------------------------------------------------------------
# Warren's own broker: durability, definitions, vhost deletion, extensions
# ---------------------------------------------------------------------------

@pytest.fixture
def own():
    if not os.path.exists(WARRENCTL):
        pytest.fail("warrenctl not found at %s" % WARRENCTL, pytrace=False)
    b = start_warren("warren-policies-")
    yield b
    if b.process.proc is not None:
        b.process.stop_and_clean()


def own_ok(broker, *args):
    r = run_ctl(broker, *args)
    assert r.rc == 0, r
    return r.out


def policy_rows(broker, command="list_policies", vhost="/"):
    return json.loads(own_ok(broker, command, "-q", "-p", vhost, "--formatter", "json"))


@requires_own_broker
@pytest.mark.parametrize("how", ["sigterm", "sigkill"])
def test_policies_survive_a_restart(own, how):
    own_ok(own, "set_policy", "--priority", "2", "--apply-to", "queues", "lim", "^lim",
           '{"max-length":2}')
    own_ok(own, "set_operator_policy", "cap", "^lim", '{"message-ttl":60000}')
    before = (policy_rows(own), policy_rows(own, "list_operator_policies"))
    if how == "sigkill":
        # set_policy returned: the policies are on disk already.
        own.process.kill()
        own.process.start()
    else:
        own.process.restart()
    assert (policy_rows(own), policy_rows(own, "list_operator_policies")) == before
    conn = own.connect()
    try:
        c = conn.channel()
        c.confirm_delivery()
        c.queue_declare("lim-q")
        for i in range(5):
            c.basic_publish("", "lim-q", b"x")
        assert queue_depth(c, "lim-q") == 2
    finally:
        conn.close()


@requires_own_broker
def test_policies_are_exported_and_imported_in_rabbitmqs_format(own, tmp_path):
    own_ok(own, "set_policy", "--apply-to", "exchanges", "ae", "^main$",
           '{"alternate-exchange":"spill"}')
    own_ok(own, "set_operator_policy", "cap", "^q", '{"max-length":10,"message-ttl":500}')
    defs = json.loads(own_ok(own, "export_definitions", "-"))
    assert defs["policies"] == [{"vhost": "/", "name": "ae", "pattern": "^main$",
                                 "apply-to": "exchanges",
                                 "definition": {"alternate-exchange": "spill"}, "priority": 0}]
    assert defs["parameters"] == [{"vhost": "/", "component": "operator_policy", "name": "cap",
                                   "value": {"pattern": "^q", "apply-to": "all", "priority": 0,
                                             "definition": [["max-length", 10],
                                                            ["message-ttl", 500]]}}]
    # A RabbitMQ export (its key order and shapes) imports into a fresh broker.
    fresh = start_warren("warren-policies-import-")
    try:
        path = tmp_path / "defs.json"
        path.write_text(json.dumps({
            "rabbit_version": "3.10.8",
            "vhosts": [{"name": "/"}, {"name": "other"}],
            "policies": [{"apply-to": "all", "definition": {"max-length": 50},
                          "name": "p1", "pattern": "^q", "priority": 1, "vhost": "other"}],
            "parameters": [{"component": "operator_policy", "name": "op4",
                            "value": {"apply-to": "all", "definition": [["delivery-limit", 3]],
                                      "pattern": "^q", "priority": 0}, "vhost": "/"}]}))
        own_ok(fresh, "import_definitions", str(path))
        assert policy_rows(fresh, vhost="other") == [
            {"vhost": "other", "name": "p1", "pattern": "^q", "apply-to": "all",
             "definition": '{"max-length":50}', "priority": 1}]
        assert [r["name"] for r in policy_rows(fresh, "list_operator_policies")] == ["op4"]
    finally:
        fresh.process.stop_and_clean()


@requires_own_broker
def test_deleting_a_vhost_deletes_its_policies(own):
    own_ok(own, "add_vhost", "v1")
    own_ok(own, "set_policy", "-p", "v1", "p", "^q", '{"max-length":1}')
    own_ok(own, "delete_vhost", "v1")
    own_ok(own, "add_vhost", "v1")
    assert policy_rows(own, vhost="v1") == []


@requires_own_broker
def test_max_priority_policy_is_a_warren_extension_for_new_queues(own):
    # RabbitMQ 3.10 refuses max-priority in a policy; Warren makes queues declared while
    # the policy is in force priority queues (a queue's kind never changes afterwards).
    own_ok(own, "set_policy", "prio", "^prio", '{"max-priority":5}')
    conn = own.connect()
    try:
        c = conn.channel()
        c.confirm_delivery()
        c.queue_declare("prio-q")
        for p in (1, 5, 3):
            c.basic_publish("", "prio-q", str(p).encode(), pika.BasicProperties(priority=p))
        got = [c.basic_get("prio-q", auto_ack=True)[2] for _ in range(3)]
        assert got == [b"5", b"3", b"1"]
    finally:
        conn.close()
