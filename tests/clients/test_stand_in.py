"""The ``clients-openstack`` environment holds the stand-in for upstream eventlet, never upstream.

oslo.messaging, oslo.service and nameko require the distribution ``eventlet``.  That environment
installs them by the migration guide's recipe (``docs/migrating/eventlet-shim``): a distribution
named ``eventlet`` without files, depending on ``eventlet-core``.  Were upstream installed instead
(a wrongly built environment), their tests would pass on upstream and prove nothing: this checks
that the ``eventlet`` distribution is the stand-in and the ``eventlet`` package is ours.  Elsewhere
(no ``eventlet`` distribution installed) it skips.
"""

from __future__ import annotations

from importlib import metadata

from tests.clients.conftest import missing

try:
    STAND_IN = metadata.distribution("eventlet")
except metadata.PackageNotFoundError:
    missing("no 'eventlet' distribution (the stand-in) is installed here (tox -e clients-openstack)")


def test_the_eventlet_distribution_is_the_stand_in() -> None:
    assert STAND_IN.metadata["Summary"].startswith("Stands in for upstream eventlet")
    assert STAND_IN.requires == ["eventlet-core"]
    # It installs no file outside its own metadata folder.
    assert STAND_IN.files is not None
    assert {path.parts[0] for path in STAND_IN.files} == {f"eventlet-{STAND_IN.version}.dist-info"}


def test_the_eventlet_package_is_ours() -> None:
    # Upstream has no eventlet.httpd, and ours refuses to import when upstream's files are mixed in
    # (eventlet._coinstall), so this import succeeds only on our packages alone.
    import eventlet.httpd

    assert eventlet.httpd.Server.__module__.startswith("eventlet.httpd")
