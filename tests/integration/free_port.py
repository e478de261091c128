#!/usr/bin/env python3
"""Prints a TCP port nothing listens on, below the kernel's ephemeral range (a port from
bind(0) comes from that range, where any outgoing connection can take it before the broker
binds it). For the shell suites; conftest.py and node/helpers.js do the same."""
import random
import socket

try:
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        LOW = int(f.read().split()[0])
except (OSError, ValueError, IndexError):
    LOW = 32768

ports = list(range(10000, max(LOW, 10001)))
start = random.randrange(len(ports))
for i in range(len(ports)):
    port = ports[(start + i) % len(ports)]
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
    print(port)
    break
else:
    raise SystemExit("no free port below the ephemeral range")
