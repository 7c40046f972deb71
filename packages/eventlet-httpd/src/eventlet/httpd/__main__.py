"""``python -m eventlet.httpd module:app``: see :mod:`eventlet.httpd._cli`."""

import sys

from eventlet.httpd._cli import main

sys.exit(main())
