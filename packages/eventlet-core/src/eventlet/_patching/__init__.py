"""The patcher's private modules (:mod:`eventlet.patcher` is the public face).

* :mod:`~eventlet._patching.green`: which green module replaces which standard module, and the
  ``monkey_patch()`` keywords.
* :mod:`~eventlet._patching.imports`: fresh imports of a module with some of its imports answered
  by given modules, and the guard on eventlet's own imports after patching.
* :mod:`~eventlet._patching.originals`: the unpatched standard modules (shadows and originals).
* :mod:`~eventlet._patching.leftovers`: references taken before patching (rebound, or warned about).
* :mod:`~eventlet._patching.locks`: greening the locks that exist when ``_thread`` is patched.
* :mod:`~eventlet._patching.psycopg`: the PostgreSQL drivers' wait hooks.

Nothing here is public API: import from :mod:`eventlet.patcher`.
"""
