"""The config file (rabbitmq.conf's `key = value` format): each key takes effect as a client
sees it, flags override the file, and a bad file stops the broker with FILE:LINE. Also the
security rules that depend on it: loopback_users, failed logins in the log, no password in
the log. These need Warren's own process."""
import re
import socket
import subprocess
import time

import pika
import pytest
from pika import spec

from conftest import WARREN_SERVER, WarrenProcess, _tmpdir, free_port, requires_own_broker
from support import LOGIN_REFUSED, RawClient, uname

pytestmark = requires_own_broker


class ConfiguredWarren(WarrenProcess):
    """warren-server whose settings come from a config file: port and data dir included,
    so only what the file says (and `flags`) is in effect."""

    def __init__(self, conf_text, flags=(), explicit=True):
        super().__init__(_tmpdir("warren-conf-"))
        self.conf_path = self.workdir / "warren.conf"
        self.conf_path.write_text(
            "# written by test_config_file.py\n"
            "listeners.tcp.default = %d\n"
            "data_dir = %s\n" % (self.port, self.data_dir) + conf_text)
        self.flags = list(flags)
        self.explicit = explicit

    def command(self):
        # Without --config the broker must find ./warren.conf (its cwd is the work dir).
        conf = ["--config", str(self.conf_path)] if self.explicit else []
        return [WARREN_SERVER] + conf + self.flags

    def log_text(self):
        return self.log_path.read_text(errors="replace")

    def params(self, user="guest", password="guest", vhost="/", host="127.0.0.1", **kw):
        return pika.ConnectionParameters(
            host=host, port=self.port, virtual_host=vhost,
            credentials=pika.PlainCredentials(user, password), socket_timeout=5,
            blocked_connection_timeout=10, stack_timeout=10, connection_attempts=1, **kw)

    def connect(self, **kw):
        return pika.BlockingConnection(self.params(**kw))


@pytest.fixture
def configured():
    """Factory: configured(conf_text, flags=(), explicit=True) -> a started ConfiguredWarren."""
    procs = []

    def _start(conf_text, flags=(), explicit=True):
        p = ConfiguredWarren(conf_text, flags, explicit).start()
        procs.append(p)
        return p
    yield _start
    for p in procs:
        p.stop_and_clean()


def run_with_config(tmp_path, text, *flags):
    conf = tmp_path / "bad.conf"
    conf.write_text(text)
    return subprocess.run([WARREN_SERVER, "--config", str(conf), "--port", str(free_port()),
                           "--data-dir", str(tmp_path / "data"), *flags],
                          capture_output=True, text=True, timeout=10), conf


def tune_of(port):
    with RawClient("127.0.0.1", port) as c:
        c.handshake()
        return c.tune


def non_loopback_ipv4():
    """An IPv4 address of this host that is not loopback, or None."""
    try:
        out = subprocess.run(["ip", "-o", "-4", "addr", "show", "scope", "global"],
                             capture_output=True, text=True, timeout=5).stdout
        m = re.search(r"inet (\d+\.\d+\.\d+\.\d+)/", out)
        if m:
            return m.group(1)
    except (OSError, subprocess.TimeoutExpired):
        pass
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # no packet is sent; picks the outgoing address
            addr = s.getsockname()[0]
        except OSError:
            return None
    return None if addr.startswith("127.") else addr


def wait_for_log(proc, pattern, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        m = re.search(pattern, proc.log_text())
        if m:
            return m
        if time.monotonic() > deadline:
            raise AssertionError("no log line matching %r within %.0fs\n%s"
                                 % (pattern, timeout, proc.log_tail()))
        time.sleep(0.05)


# ---------------------------------------------------------------------------
# Each key takes effect

def test_port_and_data_dir_come_from_the_file(configured):
    b = configured("")
    conn = b.connect()
    conn.channel().queue_declare("wt-conf-durable", durable=True)
    conn.close()
    assert (b.data_dir / "definitions.json").exists(), "data_dir from the file is used"
    assert "config file: %s" % b.conf_path in b.log_text()


def test_default_user_pass_and_vhost_on_a_fresh_data_dir(configured):
    secret = "pw-" + uname("")[1:]
    b = configured("default_user = ops\n"
                   "default_pass = %s\n"
                   "default_vhost = /prod\n" % secret)
    conn = b.connect(user="ops", password=secret, vhost="/prod")
    ch = conn.channel()
    q = ch.queue_declare("", exclusive=True).method.queue
    ch.basic_publish("", q, b"hi")
    conn.close()
    with pytest.raises(pika.exceptions.ProbableAuthenticationError) as refused:
        b.connect(user="guest", password="guest")
    assert LOGIN_REFUSED in str(refused.value)
    with pytest.raises(pika.exceptions.AMQPConnectionError):
        b.connect(user="ops", password=secret, vhost="/")  # "/" was not created
    text = b.log_text() + b.data_dir.joinpath("definitions.json").read_text()
    assert secret not in text, "the password from the config file is never logged or stored"


def test_heartbeat_frame_max_and_channel_max_are_offered_in_tune(configured):
    b = configured("heartbeat = 17\nframe_max = 8192\nchannel_max = 3\n")
    with RawClient("127.0.0.1", b.port) as c:
        c.handshake()
        assert (c.tune.heartbeat, c.tune.frame_max, c.tune.channel_max) == (17, 8192, 3)
        for n in (1, 2, 3):
            c.open_channel(n)
        c.send_method(4, spec.Channel.Open())
        code, text, _, _ = c.expect_close()
    assert code == 530
    assert text == ("NOT_ALLOWED - number of channels opened (3) has reached the negotiated "
                    "channel_max (3)")


def test_max_message_size_from_the_file(configured):
    b = configured("max_message_size = 1000\n")
    conn = b.connect()
    ch = conn.channel()
    q = ch.queue_declare("", exclusive=True).method.queue
    ch.basic_publish("", q, b"x" * 1000)
    with pytest.raises(pika.exceptions.ChannelClosedByBroker) as closed:
        ch.basic_publish("", q, b"x" * 1001)
        ch.queue_declare(q, passive=True)
    assert closed.value.reply_code == 406
    assert closed.value.reply_text == (
        "PRECONDITION_FAILED - message size 1001 is larger than configured max size 1000")
    conn.close()


def test_handshake_timeout_from_the_file(configured):
    b = configured("handshake_timeout = 500\n")
    with socket.create_connection(("127.0.0.1", b.port), timeout=5) as s:
        start = time.monotonic()
        assert s.recv(1) == b""
        assert time.monotonic() - start < 3


@pytest.mark.parametrize("line,reason", [
    ("vm_memory_high_watermark.absolute = 1MB", "low on memory"),
    ("vm_memory_high_watermark.relative = 0.00001", "low on memory"),
    ("disk_free_limit.absolute = 1000TB", "low on disk"),
    ("disk_free_limit.relative = 100000.0", "low on disk"),
])
def test_resource_limits_from_the_file_block_publishers(configured, line, reason):
    b = configured(line + "\n")
    events = []
    conn = b.connect()
    conn.add_on_connection_blocked_callback(lambda c, m: events.append(m.method.reason))
    ch = conn.channel()
    q = ch.queue_declare("", exclusive=True).method.queue
    ch.basic_publish("", q, b"reveals a publisher")
    deadline = time.monotonic() + 5
    while not events and time.monotonic() < deadline:
        conn.process_data_events(time_limit=0.1)
    assert events == [reason]
    # Not conn.close(): a blocked connection is not read from, as in RabbitMQ; the broker's
    # shutdown closes it.


def test_no_alarm_with_roomy_limits(configured):
    b = configured("vm_memory_high_watermark.relative = 0.9\ndisk_free_limit.absolute = 1MB\n")
    events = []
    conn = b.connect()
    conn.add_on_connection_blocked_callback(lambda c, m: events.append(m.method.reason))
    ch = conn.channel()
    q = ch.queue_declare("", exclusive=True).method.queue
    ch.basic_publish("", q, b"x")
    conn.process_data_events(time_limit=1.2)  # two alarm sweeps
    assert events == []
    conn.close()


def test_log_level_from_the_file(configured):
    b = configured("log.console.level = warning\n")
    conn = b.connect()
    conn.close()
    with pytest.raises(pika.exceptions.ProbableAuthenticationError):
        b.connect(password="wrong")
    wait_for_log(b, r"login failed for user 'guest'")
    text = b.log_text()
    assert "[info]" not in text and "listening on" not in text


def test_default_warren_conf_in_the_working_directory(configured):
    b = configured("heartbeat = 11\n", explicit=False)
    assert tune_of(b.port).heartbeat == 11
    assert "config file: warren.conf" in b.log_text()


def test_flags_override_the_file(configured):
    b = configured("heartbeat = 17\nframe_max = 8192\n", flags=["--heartbeat", "23"])
    tune = tune_of(b.port)
    assert tune.heartbeat == 23, "the flag wins"
    assert tune.frame_max == 8192, "the file still applies where no flag is given"


# ---------------------------------------------------------------------------
# Bad files stop the broker

def test_unknown_key_stops_the_broker_naming_file_and_line(tmp_path):
    out, conf = run_with_config(tmp_path, "# comment\nheartbeat = 5\nheartbeet = 5\n")
    assert out.returncode != 0
    assert "%s:3: unknown key 'heartbeet'" % conf in out.stderr
    assert not (tmp_path / "data").exists() or not any((tmp_path / "data").iterdir())


def test_every_bad_line_is_reported(tmp_path):
    out, conf = run_with_config(tmp_path, "frame_max = lots\n\nssl_options.verify = maybe\n"
                                          "loopback_users.guest = no\n")
    assert out.returncode != 0
    assert "%s:1: invalid value 'lots' for frame_max" % conf in out.stderr
    assert ("%s:3: invalid value 'maybe' for ssl_options.verify "
            "(expected verify_peer or verify_none)" % conf) in out.stderr
    assert ("%s:4: invalid value 'no' for loopback_users.guest (expected true or false)"
            % conf) in out.stderr


def test_bad_line_with_a_password_is_not_echoed(tmp_path):
    out, conf = run_with_config(tmp_path, "default_pass hunter2-secret\n")
    assert out.returncode != 0
    assert "%s:1: expected 'key = value'" % conf in out.stderr
    assert "hunter2-secret" not in out.stderr


def test_missing_explicit_config_file_is_an_error(tmp_path):
    out = subprocess.run([WARREN_SERVER, "--config", str(tmp_path / "nope.conf"),
                          "--port", str(free_port()), "--data-dir", str(tmp_path / "d")],
                         capture_output=True, text=True, timeout=10)
    assert out.returncode != 0
    assert "cannot read config file '%s'" % (tmp_path / "nope.conf") in out.stderr


def test_tls_listener_without_certificate_is_an_error(tmp_path):
    out, _ = run_with_config(tmp_path, "listeners.ssl.default = %d\n" % free_port())
    assert out.returncode != 0
    assert "needs ssl_options.certfile and ssl_options.keyfile" in out.stderr


def test_help_shows_no_password_and_names_config_keys():
    out = subprocess.run([WARREN_SERVER, "--help"], capture_output=True, text=True, timeout=10)
    assert out.returncode == 0
    assert "--config FILE" in out.stdout and "[listeners.ssl.default]" in out.stdout
    assert "loopback_users.NAME" in out.stdout


# ---------------------------------------------------------------------------
# Logins: loopback_users and the log

def test_failed_login_is_logged_with_user_and_peer_but_no_password(configured):
    b = configured("")
    with pytest.raises(pika.exceptions.ProbableAuthenticationError) as refused:
        b.connect(user="guest", password="not-the-password-42")
    assert LOGIN_REFUSED in str(refused.value), "the client hears RabbitMQ's text"
    m = wait_for_log(b, r"login failed for user 'guest' from 127\.0\.0\.1:(\d+): "
                        r"invalid credentials")
    assert 0 < int(m.group(1)) < 65536
    with pytest.raises(pika.exceptions.ProbableAuthenticationError):
        b.connect(user="nobody-" + uname("")[1:], password="x")
    wait_for_log(b, r"login failed for user 'nobody-\w+' from 127\.0\.0\.1:\d+: invalid credentials")
    assert "not-the-password-42" not in b.log_text()


@pytest.fixture
def outside_address():
    addr = non_loopback_ipv4()
    if addr is None:
        pytest.skip("this host has no non-loopback IPv4 address to connect from")
    return addr


def test_guest_is_loopback_only_by_default(configured, outside_address):
    b = configured("")
    with pytest.raises(pika.exceptions.ProbableAuthenticationError) as refused:
        b.connect(host=outside_address)
    assert LOGIN_REFUSED in str(refused.value)
    wait_for_log(b, r"login failed for user 'guest' from %s:\d+: user 'guest' can only connect "
                    r"via localhost" % re.escape(outside_address))
    b.connect().close()  # from loopback it works


def test_loopback_users_guest_false_lets_guest_in_from_outside(configured, outside_address):
    b = configured("loopback_users.guest = false\n")
    conn = b.connect(host=outside_address)
    conn.channel().queue_declare("", exclusive=True)
    conn.close()


def test_loopback_users_name_true_restricts_another_user(configured, outside_address):
    b = configured("default_user = ops\ndefault_pass = ops-pass\nloopback_users.ops = true\n")
    with pytest.raises(pika.exceptions.ProbableAuthenticationError):
        b.connect(user="ops", password="ops-pass", host=outside_address)
    b.connect(user="ops", password="ops-pass").close()


def test_loopback_users_none(configured, outside_address):
    b = configured("loopback_users = none\n")
    b.connect(host=outside_address).close()
