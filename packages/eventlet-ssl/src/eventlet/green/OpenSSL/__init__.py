"""A drop-in ``OpenSSL`` package (pyOpenSSL) whose ``SSL.Connection`` is green.

``from eventlet.green.OpenSSL import SSL`` gives pyOpenSSL's ``SSL`` module with
:class:`~eventlet.green.OpenSSL.SSL.Connection` replaced by a cooperative one; ``crypto`` and the
version attributes are pyOpenSSL's own.  Needs the extra ``eventlet-ssl[pyopenssl]``.
"""

from eventlet.green.OpenSSL import SSL
from OpenSSL import crypto
from OpenSSL.version import __version__

__all__ = ["SSL", "__version__", "crypto"]
