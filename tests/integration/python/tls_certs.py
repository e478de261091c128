"""Test certificates made with the openssl CLI: two CAs ("ca" and an unrelated "other"), a
server certificate for localhost / 127.0.0.1 signed by "ca", a client certificate signed by
"ca" and one signed by "other". Used by test_tls.py (and the same recipe by the node and
shell suites)."""
import subprocess
from pathlib import Path

LEAF_EXT = """basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


def openssl(cwd, *args):
    res = subprocess.run(["openssl", *args], cwd=str(cwd), capture_output=True, text=True,
                         timeout=30)
    if res.returncode != 0:
        raise RuntimeError("openssl %s failed: %s" % (" ".join(args), res.stderr))


def _key(cwd, name):
    openssl(cwd, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-out", name + ".key")


def make_ca(cwd, name):
    _key(cwd, name)
    openssl(cwd, "req", "-x509", "-new", "-key", name + ".key", "-out", name + ".pem",
            "-days", "2", "-subj", "/CN=Warren test CA %s" % name,
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")


def make_leaf(cwd, name, ca, cn, usage, san=None):
    _key(cwd, name)
    openssl(cwd, "req", "-new", "-key", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + cn)
    ext = LEAF_EXT + "extendedKeyUsage = %s\n" % usage
    if san:
        ext += "subjectAltName = %s\n" % san
    Path(cwd, name + ".ext").write_text(ext)
    openssl(cwd, "x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key",
            "-CAcreateserial", "-out", name + ".pem", "-days", "2", "-extfile", name + ".ext")


class Certs:
    def __init__(self, directory):
        d = Path(directory)
        make_ca(d, "ca")
        make_ca(d, "other")
        make_leaf(d, "server", "ca", "localhost", "serverAuth",
                  "DNS:localhost,IP:127.0.0.1")
        make_leaf(d, "client", "ca", "warren-test-client", "clientAuth")
        make_leaf(d, "stranger", "other", "warren-test-stranger", "clientAuth")
        self.dir = d
        self.ca = d / "ca.pem"
        self.other_ca = d / "other.pem"
        self.server_cert, self.server_key = d / "server.pem", d / "server.key"
        self.client_cert, self.client_key = d / "client.pem", d / "client.key"
        self.stranger_cert, self.stranger_key = d / "stranger.pem", d / "stranger.key"
