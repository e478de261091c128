"""Fixtures for the Warren Python integration tests.

Two modes:

* ``WARREN_TEST_URL`` set (e.g. ``amqp://guest:guest@127.0.0.1:5673/%2F``): every
  test talks to that external broker (this is how the suite is validated against
  the reference RabbitMQ 3.10).  ``WARREN_TEST_RABBITMQCTL`` (a command prefix,
  shell-split, e.g. ``bash -c '. /tmp/rmq/env.sh; rabbitmqctl -n refrmq@localhost "$@"' _``)
  is used to create users/vhosts on it.
* otherwise the real broker binary is started: ``$WARREN_SERVER`` (default
  ``<repo>/build/warren-server``) with ``--port <free> --data-dir <tmp>
  --log-level info``; at teardown it gets SIGTERM and must exit 0 within 10 s.
"""
import base64
import hashlib
import json
import os
import random
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
from pathlib import Path

import pika
import pytest

from support import RawClient, uname

REPO_ROOT = Path(__file__).resolve().parents[3]
EXTERNAL_URL = os.environ.get("WARREN_TEST_URL", "").strip() or None
RABBITMQCTL = os.environ.get("WARREN_TEST_RABBITMQCTL", "").strip() or None
WARREN_SERVER = os.environ.get("WARREN_SERVER") or str(REPO_ROOT / "build" / "warren-server")

# Generous: recovery after kill -9 on a loaded machine was seen to take over 10 s; a broker
# that never listens still fails the test within this.
START_DEADLINE = 30.0
STOP_DEADLINE = 10.0

requires_own_broker = pytest.mark.skipif(
    EXTERNAL_URL is not None,
    reason="needs a broker process of its own (restart/shutdown); not possible against an external broker")


# ---------------------------------------------------------------------------
# Broker description (what tests get)
# ---------------------------------------------------------------------------

class Broker:
    """Where a broker listens and how to connect to it."""

    def __init__(self, host, port, vhost="/", username="guest", password="guest",
                 external=False, process=None):
        self.host = host
        self.port = port
        self.vhost = vhost
        self.username = username
        self.password = password
        self.external = external
        self.process = process

    @property
    def url(self):
        return "amqp://%s:%s@%s:%d/%s" % (
            urllib.parse.quote(self.username, safe=""), urllib.parse.quote(self.password, safe=""),
            self.host, self.port, urllib.parse.quote(self.vhost, safe=""))

    def params(self, username=None, password=None, vhost=None, **overrides):
        """pika.ConnectionParameters with timeouts so that nothing hangs."""
        kw = dict(
            host=self.host, port=self.port,
            virtual_host=self.vhost if vhost is None else vhost,
            credentials=pika.PlainCredentials(username or self.username,
                                              self.password if password is None else password,
                                              erase_on_connect=False),
            socket_timeout=5, blocked_connection_timeout=10, stack_timeout=10,
            connection_attempts=1, retry_delay=0,
        )
        kw.update(overrides)
        return pika.ConnectionParameters(**kw)

    def connect(self, **kw):
        return pika.BlockingConnection(self.params(**kw))

    def raw(self, timeout=5.0):
        return RawClient(self.host, self.port, timeout=timeout)

    def __repr__(self):
        return "<Broker %s:%d vhost=%r external=%s>" % (self.host, self.port, self.vhost, self.external)


# ---------------------------------------------------------------------------
# Warren process management
# ---------------------------------------------------------------------------

_LIVE_PROCESSES = []


def _ports_below_ephemeral_range():
    """Ports the kernel never hands to outgoing connections. A port from bind(0) comes from the
    ephemeral range, where a client connection elsewhere in the suite can take it in the moment
    before the broker binds it (seen once in CI as a broker that failed to start)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    return range(10000, max(low, 10001))


_PORTS = _ports_below_ephemeral_range()
_next_port = [random.randrange(len(_PORTS))]


def free_port():
    """A port nothing listens on, never the same twice in one session."""
    for _ in range(len(_PORTS)):
        port = _PORTS[_next_port[0] % len(_PORTS)]
        _next_port[0] += 1
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port below the ephemeral range")


def port_open(host, port):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class WarrenProcess:
    """A warren-server child process with its own data dir and log file."""

    def __init__(self, workdir, extra_args=()):
        self.workdir = Path(workdir)
        self.data_dir = self.workdir / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.workdir / "warren.log"
        self.extra_args = list(extra_args)
        self.wrapper = []  # a command to run the server under, e.g. prlimit
        self.port = free_port()
        self.proc = None
        self._log = None

    def command(self):
        """The command line; a subclass may take its settings from a config file instead."""
        return self.wrapper + [WARREN_SERVER, "--port", str(self.port), "--data-dir",
                               str(self.data_dir), "--log-level", "info"] + self.extra_args

    def start(self):
        if not os.path.exists(WARREN_SERVER):
            pytest.fail("warren-server binary not found at %s (build it, or set WARREN_SERVER, "
                        "or WARREN_TEST_URL for an external broker)" % WARREN_SERVER, pytrace=False)
        cmd = self.command()
        self._log = open(self.log_path, "ab")
        self._log.write(("\n==== starting: %s\n" % " ".join(cmd)).encode())
        self._log.flush()
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=str(self.workdir))
        _LIVE_PROCESSES.append(self)
        deadline = time.monotonic() + START_DEADLINE
        while not port_open("127.0.0.1", self.port):
            if self.proc.poll() is not None:
                self._forget()
                pytest.fail("warren-server exited with %s before listening on %d\n%s"
                            % (self.proc.returncode, self.port, self.log_tail()), pytrace=False)
            if time.monotonic() > deadline:
                self.kill()
                pytest.fail("warren-server did not accept TCP on port %d within %.0fs\n%s"
                            % (self.port, START_DEADLINE, self.log_tail()), pytrace=False)
            time.sleep(0.05)
        return self

    def stop(self):
        """SIGTERM and require a clean exit (code 0) within STOP_DEADLINE."""
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=STOP_DEADLINE)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
            self._forget()
            pytest.fail("warren-server did not exit within %.0fs of SIGTERM (killed with SIGKILL)\n%s"
                        % (STOP_DEADLINE, self.log_tail()), pytrace=False)
        self._forget()
        if rc != 0:
            pytest.fail("warren-server exited with code %s after SIGTERM (expected 0)\n%s"
                        % (rc, self.log_tail()), pytrace=False)

    def restart(self):
        self.stop()
        return self.start()

    def stop_and_clean(self):
        """stop() (which fails the test on an unclean exit, keeping the directory
        for inspection); on success remove the work directory unless WARREN_KEEP_TMP is set."""
        self.stop()
        if not os.environ.get("WARREN_KEEP_TMP"):
            shutil.rmtree(self.workdir, ignore_errors=True)

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None
        self._forget()

    def _forget(self):
        if self in _LIVE_PROCESSES:
            _LIVE_PROCESSES.remove(self)
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines=40):
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "---- tail of %s ----\n%s" % (self.log_path, "\n".join(text[-lines:]))


def _tmpdir(prefix):
    return tempfile.mkdtemp(prefix=prefix)


def _external_broker():
    p = pika.URLParameters(EXTERNAL_URL)
    return Broker(p.host, p.port, vhost=p.virtual_host, username=p.credentials.username,
                  password=p.credentials.password, external=True)


def start_warren(prefix="warren-", extra_args=()):
    proc = WarrenProcess(_tmpdir(prefix), extra_args).start()
    return Broker("127.0.0.1", proc.port, external=False, process=proc)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On failure, attach the tail of every running broker's log to the report."""
    outcome = yield
    report = outcome.get_result()
    if report.failed and _LIVE_PROCESSES:
        for proc in list(_LIVE_PROCESSES):
            # Short tails: the traceback above them must stay within a CI log's last page.
            report.sections.append(("warren log (port %d)" % proc.port, proc.log_tail(15)))


# ---------------------------------------------------------------------------
# Core fixtures
# ---------------------------------------------------------------------------

@pytest.fixture(scope="session")
def broker():
    if EXTERNAL_URL:
        yield _external_broker()
        return
    b = start_warren("warren-session-")
    yield b
    b.process.stop_and_clean()


@pytest.fixture
def fresh_broker(broker):
    """A broker process of its own (Warren); the external broker otherwise."""
    if EXTERNAL_URL:
        yield broker
        return
    b = start_warren("warren-fresh-")
    yield b
    b.process.stop_and_clean()


def _close_quietly(conn):
    try:
        if conn.is_open:
            conn.close()
    except Exception:  # noqa: BLE001 - teardown must not mask the test result
        pass


@pytest.fixture
def connection(broker):
    conn = broker.connect()
    yield conn
    _close_quietly(conn)


@pytest.fixture
def channel(connection):
    """A channel in publisher-confirm mode: basic_publish returns only once the
    broker has routed (and enqueued) the message, so a test may inspect queues
    right after publishing. (RabbitMQ hands publishes to queues asynchronously:
    without confirms a basic.get or a declare-ok message_count issued right
    after a publish may not see it yet.)"""
    ch = connection.channel()
    ch.confirm_delivery()
    return ch


@pytest.fixture
def plain_channel(connection):
    """A channel without publisher confirms (for tx, confirm and basic.return tests,
    and for publishes whose error arrives as an asynchronous channel.close)."""
    return connection.channel()


@pytest.fixture
def connect(broker):
    """Factory for extra connections, all closed at teardown."""
    conns = []

    def _connect(**kw):
        c = broker.connect(**kw)
        conns.append(c)
        return c
    yield _connect
    for c in conns:
        _close_quietly(c)


@pytest.fixture
def raw(broker):
    """Factory for RawClient sockets, all closed at teardown."""
    clients = []

    def _raw(timeout=5.0):
        c = broker.raw(timeout)
        clients.append(c)
        return c
    yield _raw
    for c in clients:
        c.close()


class Resources:
    """Unique queue/exchange names that are deleted at teardown."""

    def __init__(self, broker):
        self.broker = broker
        self.queues = []
        self.exchanges = []

    def queue(self, prefix="wt-q"):
        name = uname(prefix)
        self.queues.append(name)
        return name

    def exchange(self, prefix="wt-x"):
        name = uname(prefix)
        self.exchanges.append(name)
        return name

    def cleanup(self):
        if not (self.queues or self.exchanges):
            return
        try:
            conn = self.broker.connect()
        except Exception:  # noqa: BLE001
            return
        try:
            for kind, names in (("q", self.queues), ("x", self.exchanges)):
                for name in names:
                    try:
                        ch = conn.channel()
                        if kind == "q":
                            ch.queue_delete(name)
                        else:
                            ch.exchange_delete(name)
                        ch.close()
                    except Exception:  # noqa: BLE001
                        if not conn.is_open:
                            conn = self.broker.connect()
        finally:
            _close_quietly(conn)


@pytest.fixture
def res(broker):
    r = Resources(broker)
    yield r
    r.cleanup()


# ---------------------------------------------------------------------------
# Admin command for the external broker
# ---------------------------------------------------------------------------

def rabbitmqctl(*args, check=True):
    if not RABBITMQCTL:
        pytest.skip("WARREN_TEST_RABBITMQCTL is not set; cannot manage users/vhosts on the external broker")
    cmd = shlex.split(RABBITMQCTL) + [str(a) for a in args]
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    if check and res.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (cmd, res.returncode, res.stdout.decode(errors="replace")))
    return res.stdout.decode(errors="replace")


@pytest.fixture(scope="session")
def admin_vhost(broker):
    """Factory creating a vhost (guest gets full permissions); removed at session end.

    Warren: a vhost needs definitions at start-up, so this is only for the
    external broker; Warren tests use '/' of a dedicated broker instead."""
    created = []

    def _make(prefix="wt-vh"):
        name = uname(prefix)
        rabbitmqctl("add_vhost", name)
        created.append(name)
        rabbitmqctl("set_permissions", "-p", name, broker.username, ".*", ".*", ".*")
        return name
    yield _make
    for name in created:
        rabbitmqctl("delete_vhost", name, check=False)


# ---------------------------------------------------------------------------
# Users / vhosts / permissions
# ---------------------------------------------------------------------------

def rabbit_password_hash(password, salt=None):
    """RabbitMQ's rabbit_password_hashing_sha256: base64(salt4 + sha256(salt4 + password))."""
    salt = os.urandom(4) if salt is None else salt
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()


class UsersEnv:
    """A broker with a fixed set of users:

    * ``noperm``  -- valid login, no permissions in any vhost;
    * ``alice``   -- on ``vhost``: configure/write/read ``^alice-.*`` only;
    * ``writer``  -- on ``vhost``: configure ``.*``, write ``.*``, read ``^$`` (no read);
    * guest       -- full permissions on '/' and on ``vhost``.
    Passwords are in ``passwords``."""

    def __init__(self, broker, vhost, users, passwords):
        self.broker = broker
        self.vhost = vhost
        self.noperm = users["noperm"]
        self.alice = users["alice"]
        self.writer = users["writer"]
        self.guest = broker.username
        self.passwords = dict(passwords)
        self.passwords.setdefault(broker.username, broker.password)

    def params(self, user, vhost=None, password=None, **kw):
        return self.broker.params(username=user,
                                  password=self.passwords.get(user, "") if password is None else password,
                                  vhost=self.vhost if vhost is None else vhost, **kw)

    def connect(self, user, vhost=None, password=None, **kw):
        return pika.BlockingConnection(self.params(user, vhost, password, **kw))


def users_definitions(vhost, users, passwords, guest_password="guest"):
    """Definitions file (RabbitMQ export format) describing UsersEnv."""
    def user(name, password, tags=()):
        return {"name": name, "password_hash": rabbit_password_hash(password),
                "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": list(tags)}

    def perm(u, vh, c, w, r):
        return {"user": u, "vhost": vh, "configure": c, "write": w, "read": r}
    return {
        "users": [user("guest", guest_password, ["administrator"]),
                  user(users["noperm"], passwords[users["noperm"]]),
                  user(users["alice"], passwords[users["alice"]]),
                  user(users["writer"], passwords[users["writer"]])],
        "vhosts": [{"name": "/"}, {"name": vhost}],
        "permissions": [perm("guest", "/", ".*", ".*", ".*"),
                        perm("guest", vhost, ".*", ".*", ".*"),
                        perm(users["alice"], vhost, "^alice-.*", "^alice-.*", "^alice-.*"),
                        perm(users["writer"], vhost, ".*", ".*", "^$")],
    }


@pytest.fixture(scope="session")
def users_broker(broker):
    tag = uname("")[1:]
    users = {"noperm": "wt-noperm-" + tag, "alice": "alice-" + tag, "writer": "wt-writer-" + tag}
    passwords = {name: "pw-" + name for name in users.values()}
    vhost = "wt-vhost-" + tag
    if EXTERNAL_URL:
        created_users, created_vhost = [], False
        try:
            rabbitmqctl("add_vhost", vhost)
            created_vhost = True
            for name in users.values():
                rabbitmqctl("add_user", name, passwords[name])
                created_users.append(name)
            rabbitmqctl("set_permissions", "-p", vhost, broker.username, ".*", ".*", ".*")
            rabbitmqctl("set_permissions", "-p", vhost, users["alice"], "^alice-.*", "^alice-.*", "^alice-.*")
            rabbitmqctl("set_permissions", "-p", vhost, users["writer"], ".*", ".*", "^$")
            yield UsersEnv(broker, vhost, users, passwords)
        finally:
            for name in created_users:
                rabbitmqctl("delete_user", name, check=False)
            if created_vhost:
                rabbitmqctl("delete_vhost", vhost, check=False)
        return
    workdir = _tmpdir("warren-users-")
    defs_path = os.path.join(workdir, "defs.json")
    with open(defs_path, "w") as f:
        json.dump(users_definitions(vhost, users, passwords), f, indent=2)
    proc = WarrenProcess(workdir, ["--load-definitions", defs_path]).start()
    b = Broker("127.0.0.1", proc.port, external=False, process=proc)
    yield UsersEnv(b, vhost, users, passwords)
    proc.stop_and_clean()
