"""Green ``_thread`` under its standard name: the same module as :mod:`eventlet.green.thread`."""

import sys

from eventlet.green import thread as _impl

sys.modules[__name__] = _impl
