"""Run the six tutorial examples (examples/python/*) unmodified against the test broker.

The examples connect to localhost:5672; shim/sitecustomize.py (put on
PYTHONPATH here) redirects pika's default port -- and, against an external
shared RabbitMQ, the default vhost, so the tutorials' fixed names ('hello',
'task_queue', 'logs', ...) live in a throw-away vhost.
"""
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from conftest import EXTERNAL_URL, REPO_ROOT, start_warren
from support import wait_until

EXAMPLES = REPO_ROOT / "examples" / "python"
SHIM = os.path.join(os.path.dirname(os.path.abspath(__file__)), "shim")
DEADLINE = 15.0


class ExampleEnv:
    def __init__(self, broker, vhost):
        self.broker = broker
        self.vhost = vhost
        self.env = dict(os.environ)
        self.env["PYTHONPATH"] = SHIM + (os.pathsep + self.env["PYTHONPATH"] if self.env.get("PYTHONPATH") else "")
        self.env["PYTHONUNBUFFERED"] = "1"
        self.env["WARREN_EXAMPLE_PORT"] = str(broker.port)
        self.env["WARREN_EXAMPLE_VHOST"] = vhost
        if broker.username != "guest" or broker.password != "guest":
            self.env["WARREN_EXAMPLE_USER"] = broker.username
            self.env["WARREN_EXAMPLE_PASSWORD"] = broker.password
        self.procs = []

    def connect(self):
        return self.broker.connect(vhost=self.vhost)

    def run(self, folder, script, *args):
        """Run a short-lived example to completion; return its stdout lines."""
        res = subprocess.run([sys.executable, script, *args], cwd=str(EXAMPLES / folder), env=self.env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=DEADLINE)
        out = res.stdout.decode(errors="replace")
        assert res.returncode == 0, "%s %s failed (%d):\n%s" % (script, args, res.returncode, out)
        return out.splitlines()

    def start(self, folder, script, *args):
        p = Background(folder, script, args, self.env)
        self.procs.append(p)
        return p

    def stop_all(self):
        for p in self.procs:
            p.stop()
        self.procs = []

    def consumers(self, queue):
        conn = self.connect()
        try:
            return conn.channel().queue_declare(queue, passive=True).method.consumer_count
        finally:
            conn.close()

    def purge(self, *queues):
        conn = self.connect()
        try:
            ch = conn.channel()
            for q in queues:
                ch.queue_declare(q, durable=(q == "task_queue"))
                ch.queue_purge(q)
        finally:
            conn.close()


class Background:
    """A long-running example (a consumer) whose output is collected line by line."""

    def __init__(self, folder, script, args, env):
        self.name = "%s/%s %s" % (folder, script, " ".join(args))
        self.proc = subprocess.Popen([sys.executable, script, *args], cwd=str(EXAMPLES / folder), env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.lines = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            self.lines.append(raw.decode(errors="replace").rstrip("\n"))

    def output(self):
        return "\n".join(self.lines)

    def wait_for(self, line, count=1, timeout=DEADLINE):
        def seen():
            if self.proc.poll() is not None and self.lines.count(line) < count:
                time.sleep(0.1)  # let the reader thread catch up
                if self.lines.count(line) < count:
                    raise AssertionError("%s exited (%s) before printing %r:\n%s"
                                         % (self.name, self.proc.returncode, line, self.output()))
            return self.lines.count(line) >= count
        wait_until(seen, timeout=timeout,
                   message="%s did not print %r (x%d) within %.0fs; output:\n%s"
                           % (self.name, line, count, timeout, self.output()))

    def received(self, prefix=" [x] Received "):
        return [line[len(prefix):] for line in self.lines if line.startswith(prefix)]

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self._reader.join(timeout=2)


@pytest.fixture(scope="module")
def examples_broker(broker, request):
    if EXTERNAL_URL:
        if broker.host not in ("127.0.0.1", "localhost", "::1"):
            pytest.skip("the examples connect to 'localhost'; the external broker is elsewhere")
        vhost = request.getfixturevalue("admin_vhost")("wt-examples")
        yield broker, vhost
        return
    b = start_warren("warren-examples-")
    yield b, "/"
    b.process.stop_and_clean()


@pytest.fixture
def ex(examples_broker):
    broker, vhost = examples_broker
    e = ExampleEnv(broker, vhost)
    yield e
    e.stop_all()


# ---------------------------------------------------------------------------

def test_shim_redirects_default_port(ex):
    out = subprocess.run([sys.executable, "-c",
                          "import pika; p = pika.ConnectionParameters(host='localhost'); "
                          "print(p.port, p.virtual_host)"],
                         env=ex.env, stdout=subprocess.PIPE, timeout=DEADLINE).stdout.decode().split()
    assert out == [str(ex.broker.port), ex.vhost]


def test_1_hello_world(ex):
    # a message sent before the receiver starts waits in the queue
    assert ex.run("1_hello_world", "send.py") == [" [x] Sent 'Hello World!'"]
    receiver = ex.start("1_hello_world", "receive.py")
    receiver.wait_for(" [*] Waiting for messages. To exit press CTRL+C")
    receiver.wait_for(" [x] Received b'Hello World!'")
    assert ex.run("1_hello_world", "send.py") == [" [x] Sent 'Hello World!'"]
    receiver.wait_for(" [x] Received b'Hello World!'", count=2)
    receiver.stop(signal.SIGINT)
    assert receiver.proc.returncode == 0 and receiver.lines[-1] == "Interrupted"


def _two_workers(ex):
    ex.purge("task_queue")
    w1 = ex.start("2_work_queues", "worker.py")
    w2 = ex.start("2_work_queues", "worker.py")
    for w in (w1, w2):
        w.wait_for(" [*] Waiting for messages. To exit press CTRL+C")
    wait_until(lambda: ex.consumers("task_queue") == 2, timeout=DEADLINE, message="workers not consuming")
    return w1, w2


def test_2_work_queues_round_robin(ex):
    w1, w2 = _two_workers(ex)
    tasks = ["T1.", "T2.", "T3.", "T4."]
    for t in tasks:
        assert ex.run("2_work_queues", "new_task.py", t) == [" [x] Sent %s" % t]
    wait_until(lambda: len(w1.received()) + len(w2.received()) == 4, timeout=DEADLINE,
               message="tasks not all received:\n%s\n--\n%s" % (w1.output(), w2.output()))
    for w in (w1, w2):
        w.wait_for(" [x] Done", count=2)
    got = sorted([w1.received(), w2.received()])
    assert got == [["T1.", "T3."], ["T2.", "T4."]], got


def test_2_work_queues_fair_dispatch(ex):
    w1, w2 = _two_workers(ex)
    ex.run("2_work_queues", "new_task.py", "slow....")
    wait_until(lambda: w1.received() or w2.received(), timeout=DEADLINE)
    busy, idle = (w1, w2) if w1.received() else (w2, w1)
    for t in ("q1", "q2", "q3"):
        ex.run("2_work_queues", "new_task.py", t)
    idle.wait_for(" [x] Done", count=3)
    # prefetch_count=1: nothing more was pushed to the worker still busy with "slow...."
    assert idle.received() == ["q1", "q2", "q3"]
    busy.wait_for(" [x] Done")
    assert busy.received() == ["slow...."]


def test_2_work_queues_unacked_task_goes_to_other_worker(ex):
    ex.purge("task_queue")
    w1 = ex.start("2_work_queues", "worker.py")
    w1.wait_for(" [*] Waiting for messages. To exit press CTRL+C")
    wait_until(lambda: ex.consumers("task_queue") == 1, timeout=DEADLINE)
    ex.run("2_work_queues", "new_task.py", "long" + "." * 30)
    w1.wait_for(" [x] Received long" + "." * 30)
    w1.stop(signal.SIGKILL)                       # dies without acking
    w2 = ex.start("2_work_queues", "worker.py")
    w2.wait_for(" [x] Received long" + "." * 30)
    w2.stop(signal.SIGKILL)
    ex.purge("task_queue")


def test_3_publish_subscribe(ex):
    r1 = ex.start("3_publish_subscribe", "receive_logs.py")
    r2 = ex.start("3_publish_subscribe", "receive_logs.py")
    for r in (r1, r2):
        r.wait_for(" [*] Waiting for logs. To exit press CTRL+C")
    assert ex.run("3_publish_subscribe", "emit_log.py") == [" [x] Sent info: Hello World!"]
    assert ex.run("3_publish_subscribe", "emit_log.py", "warning:", "disk", "full") == [
        " [x] Sent warning: disk full"]
    for r in (r1, r2):
        r.wait_for(" [x] b'warning: disk full'")
        assert r.lines[1:] == [" [x] b'info: Hello World!'", " [x] b'warning: disk full'"]


def test_4_routing(ex):
    errors = ex.start("4_routing", "receive_logs_direct.py", "warning", "error")
    infos = ex.start("4_routing", "receive_logs_direct.py", "info")
    for r in (errors, infos):
        r.wait_for(" [*] Waiting for logs. To exit press CTRL+C")
    assert ex.run("4_routing", "emit_log_direct.py", "error", "Run.", "Run.", "Or", "it", "will", "explode.") == [
        " [x] Sent error:Run. Run. Or it will explode."]
    assert ex.run("4_routing", "emit_log_direct.py") == [" [x] Sent info:Hello World!"]
    assert ex.run("4_routing", "emit_log_direct.py", "warning", "careful") == [" [x] Sent warning:careful"]
    errors.wait_for(" [x] warning:b'careful'")
    infos.wait_for(" [x] info:b'Hello World!'")
    # messages are routed when published, and each queue is FIFO: once the later
    # message has arrived, an earlier wrongly routed one would have shown up too
    assert errors.lines[1:] == [" [x] error:b'Run. Run. Or it will explode.'", " [x] warning:b'careful'"]
    assert infos.lines[1:] == [" [x] info:b'Hello World!'"]


def test_4_routing_receiver_usage(ex):
    res = subprocess.run([sys.executable, "receive_logs_direct.py"], cwd=str(EXAMPLES / "4_routing"),
                         env=ex.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=DEADLINE)
    assert res.returncode == 1
    assert res.stderr.decode() == "Usage: receive_logs_direct.py [info] [warning] [error]\n"


def test_5_topics(ex):
    keys = {"all": ["#"], "kern": ["kern.*"], "critical": ["*.critical"], "both": ["kern.*", "*.critical"]}
    rs = {name: ex.start("5_topics", "receive_logs_topic.py", *k) for name, k in keys.items()}
    for r in rs.values():
        r.wait_for(" [*] Waiting for logs. To exit press CTRL+C")
    assert ex.run("5_topics", "emit_log_topic.py", "kern.critical", "A critical kernel error") == [
        " [x] Sent kern.critical:A critical kernel error"]
    assert ex.run("5_topics", "emit_log_topic.py") == [" [x] Sent anonymous.info:Hello World!"]
    assert ex.run("5_topics", "emit_log_topic.py", "cron.critical", "cron died") == [
        " [x] Sent cron.critical:cron died"]
    assert ex.run("5_topics", "emit_log_topic.py", "kern.info", "sentinel") == [" [x] Sent kern.info:sentinel"]
    crit = " [x] kern.critical:b'A critical kernel error'"
    anon = " [x] anonymous.info:b'Hello World!'"
    cron = " [x] cron.critical:b'cron died'"
    sent = " [x] kern.info:b'sentinel'"
    rs["all"].wait_for(sent)
    rs["kern"].wait_for(sent)
    rs["both"].wait_for(sent)
    rs["critical"].wait_for(cron)
    assert rs["all"].lines[1:] == [crit, anon, cron, sent]
    assert rs["kern"].lines[1:] == [crit, sent]
    assert rs["both"].lines[1:] == [crit, cron, sent]       # kern.critical matched twice, delivered once
    # '*.critical' gets no sentinel; make sure nothing else shows up meanwhile
    ex.run("5_topics", "emit_log_topic.py", "x.critical", "end")
    rs["critical"].wait_for(" [x] x.critical:b'end'")
    assert rs["critical"].lines[1:] == [crit, cron, " [x] x.critical:b'end'"]


def test_6_rpc(ex):
    server = ex.start("6_rpc", "rpc_server.py")
    server.wait_for(" [x] Awaiting RPC requests")
    wait_until(lambda: ex.consumers("rpc_queue") == 1, timeout=DEADLINE, message="rpc server not consuming")
    assert ex.run("6_rpc", "rpc_client.py") == [" [x] Requesting fib(30)", " [.] Got 832040"]
    server.wait_for(" [.] fib(30)")
    assert ex.run("6_rpc", "rpc_client.py") == [" [x] Requesting fib(30)", " [.] Got 832040"]
    server.wait_for(" [.] fib(30)", count=2)
