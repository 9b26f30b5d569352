"""Django settings for the test run: the real settings module, pointed at a throw-away folder.

The environment is set before the real settings are imported, as a deployment would.
"""

import os
import tempfile

os.environ.setdefault("REMPART_DATA_DIR", tempfile.mkdtemp(prefix="rempart-test-"))
os.environ.setdefault("REMPART_FAST_HASHES", "1")
os.environ.setdefault("REMPART_LAB", "1")
os.environ.setdefault("REMPART_RESOLVER", "127.53.0.1:53")

from rempart.web.settings import *  # noqa: F403
