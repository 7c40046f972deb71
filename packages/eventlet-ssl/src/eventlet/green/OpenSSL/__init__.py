"""A drop-in ``OpenSSL`` package (pyOpenSSL) whose ``SSL.Connection`` is green.

``from eventlet.green.OpenSSL import SSL`` gives pyOpenSSL's ``SSL`` module with
:class:`~eventlet.green.OpenSSL.SSL.Connection` replaced by a cooperative one; ``crypto`` and
``version`` are pyOpenSSL's own modules (nothing in them waits), under the names upstream eventlet
gives them.  (Upstream's ``tsafe`` wraps ``OpenSSL.tsafe``, which pyOpenSSL removed in version 20;
this distribution needs pyOpenSSL 24 or later, so there is none.)  Needs the extra
``eventlet-ssl[pyopenssl]``.
"""

from eventlet.green.OpenSSL import SSL, crypto, version
from eventlet.green.OpenSSL.version import __version__

__all__ = ["SSL", "__version__", "crypto", "version"]
