"""pyOpenSSL's ``OpenSSL.version`` under its upstream-eventlet name (the version of pyOpenSSL).

Needs the extra ``eventlet-ssl[pyopenssl]``.
"""

from OpenSSL.version import (
    __author__,
    __copyright__,
    __email__,
    __license__,
    __summary__,
    __title__,
    __uri__,
    __version__,
)

__all__ = [
    "__author__",
    "__copyright__",
    "__email__",
    "__license__",
    "__summary__",
    "__title__",
    "__uri__",
    "__version__",
]
