"""Test shim: point the unmodified tutorial examples at the test broker.

The examples in examples/python/ hard-code ``pika.ConnectionParameters(host='localhost')``
and therefore RabbitMQ's default port 5672.  When this directory is on
PYTHONPATH, Python imports this module at start-up (``site`` imports
``sitecustomize``), and, if ``WARREN_EXAMPLE_PORT`` is set, it changes pika's
*defaults* -- the example files themselves stay untouched:

* ``WARREN_EXAMPLE_PORT``     -> default port of pika.ConnectionParameters
* ``WARREN_EXAMPLE_VHOST``    -> default virtual host (optional)
* ``WARREN_EXAMPLE_USER`` / ``WARREN_EXAMPLE_PASSWORD`` -> default credentials (optional)

(This shadows Debian's own sitecustomize, which only installs apport's hook.)
"""
import os

_port = os.environ.get("WARREN_EXAMPLE_PORT")
if _port:
    import pika.connection
    import pika.credentials

    _params = pika.connection.Parameters
    _params.DEFAULT_PORT = int(_port)
    _vhost = os.environ.get("WARREN_EXAMPLE_VHOST")
    if _vhost:
        _params.DEFAULT_VIRTUAL_HOST = _vhost
    _user = os.environ.get("WARREN_EXAMPLE_USER")
    if _user:
        _params.DEFAULT_USERNAME = _user
        _params.DEFAULT_PASSWORD = os.environ.get("WARREN_EXAMPLE_PASSWORD", "")
        _params.DEFAULT_CREDENTIALS = pika.credentials.PlainCredentials(
            _params.DEFAULT_USERNAME, _params.DEFAULT_PASSWORD)
