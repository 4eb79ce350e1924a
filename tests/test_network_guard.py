"""The test suite cannot reach the network: the guard is installed and refuses before connecting."""

from __future__ import annotations

import socket

import pytest

import network_guard


def test_guard_is_installed():
    assert network_guard.installed()


def test_remote_connections_and_lookups_are_refused():
    assert network_guard.installed()  # so the calls below can never leave the machine
    with pytest.raises(network_guard.NetworkBlockedError, match="connection to"):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.connect(("192.0.2.1", 80))  # TEST-NET-1, and refused before any packet
    with pytest.raises(network_guard.NetworkBlockedError, match="name lookup of 'query1.finance.yahoo.com'"):
        socket.getaddrinfo("query1.finance.yahoo.com", 443)
    with pytest.raises(network_guard.NetworkBlockedError):
        socket.create_connection(("fc.yahoo.com", 443), timeout=1)


def test_yfinance_is_stopped_by_the_guard(tmp_path, caplog):
    """yfinance swallows errors and returns an empty frame; the reason it logs is the guard's."""
    import yfinance as yf

    assert network_guard.installed()
    yf.set_tz_cache_location(str(tmp_path))
    frame = yf.download("FB", start="2018-08-01", end="2018-08-10", progress=False, threads=False)
    assert frame.empty
    assert "NetworkBlockedError('tests may not use the network: curl_cffi request refused')" in caplog.text


@pytest.mark.parametrize("host,local", [("127.0.0.1", True), ("::1", True), ("localhost", True),
                                         ("10.0.0.1", False), ("8.8.8.8", False), ("example.com", False)])
def test_address_classification(host, local):
    assert network_guard.is_local(host) is local


def test_urllib_downloads_go_through_the_guard():
    """Kenneth French's zip files are fetched with urllib, which uses socket: refused too."""
    import urllib.request

    with pytest.raises(network_guard.NetworkBlockedError, match="mba.tuck.dartmouth.edu"):
        urllib.request.urlopen("https://mba.tuck.dartmouth.edu/pages/faculty/ken.french/ftp/", timeout=1)


def test_importing_the_package_touches_neither_yfinance_nor_the_calendar():
    import subprocess
    import sys

    code = "import sys, eventstudy, eventstudy.data.sources, eventstudy.data.french, eventstudy.cli.app; " \
           "print(sorted(m for m in ('yfinance', 'exchange_calendars', 'curl_cffi') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
