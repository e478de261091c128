"""warren-server's command line and process behaviour: --help, bad options, a port in use,
--detached with a pid file (the twin of rabbitmq-server -detached), SIGINT, the handshake
timeout and --max-message-size. These need Warren's own process."""
import os
import signal
import socket
import subprocess
import time

import pika
import pytest

from conftest import WARREN_SERVER, free_port, port_open, requires_own_broker, start_warren
from support import uname

pytestmark = requires_own_broker


def run(*args, timeout=10):
    return subprocess.run([WARREN_SERVER, *args], capture_output=True, text=True, timeout=timeout)


def wait_for(cond, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return False


def test_help_lists_every_option():
    out = run("--help")
    assert out.returncode == 0
    for flag in ("--port", "--bind", "--data-dir", "--log-level", "--max-message-size",
                 "--detached", "--pid-file"):
        assert flag in out.stdout


def test_unknown_option_fails_with_a_message():
    out = run("--no-such-flag")
    assert out.returncode != 0
    assert "unknown option '--no-such-flag'" in out.stderr


def test_bad_number_fails_with_a_message():
    out = run("--port", "seventy")
    assert out.returncode != 0
    assert "invalid value 'seventy' for --port" in out.stderr


def test_port_in_use_fails_with_a_message(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        out = run("--port", str(port), "--bind", "127.0.0.1", "--data-dir", str(tmp_path))
    assert out.returncode == 1
    assert "cannot listen on 127.0.0.1:%d" % port in out.stderr


def test_detached_with_pid_file(tmp_path):
    port = free_port()
    pid_file = tmp_path / "warren.pid"
    out = run("--detached", "--pid-file", str(pid_file), "--port", str(port),
              "--data-dir", str(tmp_path / "data"), "--log-level", "warning")
    assert out.returncode == 0, out.stderr
    assert port_open("127.0.0.1", port), "the parent returns once the broker listens"
    pid = int(pid_file.read_text())
    try:
        conn = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", port,
                                                                 socket_timeout=5))
        conn.channel().queue_declare(uname("wt-det"), exclusive=True)
        conn.close()
    finally:
        os.kill(pid, signal.SIGTERM)
    assert wait_for(lambda: not pid_file.exists()), "the pid file is removed on a clean stop"
    assert wait_for(lambda: not port_open("127.0.0.1", port))


def test_sigint_is_a_clean_shutdown_and_clients_hear_why():
    b = start_warren()
    conn = b.connect()
    conn.channel()
    proc = b.process.proc
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=10) == 0
    b.process._forget()
    b.process.proc = None
    with pytest.raises(pika.exceptions.ConnectionClosedByBroker) as closed:
        conn.process_data_events(time_limit=2)
    assert closed.value.reply_code == 320
    assert closed.value.reply_text.startswith("CONNECTION_FORCED - ")


def test_silent_client_is_dropped_after_the_handshake_timeout():
    b = start_warren(extra_args=("--handshake-timeout", "500"))
    try:
        with socket.create_connection(("127.0.0.1", b.port), timeout=5) as s:
            start = time.monotonic()
            assert s.recv(1) == b"", "closed without a byte (no header was sent)"
            assert time.monotonic() - start < 3
        with socket.create_connection(("127.0.0.1", b.port), timeout=5) as s:
            s.sendall(b"AMQP\x00\x00\x09\x01")  # then never answers connection.start
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            assert data.startswith(b"\x01\x00\x00"), "connection.start came first"
    finally:
        b.process.stop()


def test_max_message_size_is_enforced_with_rabbitmqs_text():
    b = start_warren(extra_args=("--max-message-size", "1000"))
    try:
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
        ch2 = conn.channel()
        assert ch2.queue_declare(q, passive=True).method.message_count == 1
        conn.close()
    finally:
        b.process.stop()
