"""Refuse every network connection from the test process and from notebook kernels.

Installed by ``conftest.py`` for the pytest process and, through an IPython startup file,
for every kernel the notebook tests start. Only Unix sockets and loopback addresses are
allowed (Jupyter kernels talk to their client over loopback); any other ``connect`` or name
lookup raises :class:`NetworkBlockedError` before a packet leaves the machine.

Python's :mod:`socket` does not see connections made in C: yfinance talks to Yahoo through
curl_cffi (libcurl), so its ``Curl.perform`` -- the one call through which every curl_cffi
request goes -- is refused as well.
"""

from __future__ import annotations

import ipaddress
import socket

_ORIGINAL = {
    "connect": socket.socket.connect,
    "connect_ex": socket.socket.connect_ex,
    "getaddrinfo": socket.getaddrinfo,
}


class NetworkBlockedError(RuntimeError):
    """A test tried to reach the network."""


def is_local(host: object) -> bool:
    """True for loopback addresses and the name ``localhost``."""
    if isinstance(host, bytes):
        host = host.decode()
    if not isinstance(host, str):
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _check_address(sock: socket.socket, address: object) -> None:
    if sock.family == getattr(socket, "AF_UNIX", None):
        return
    host = address[0] if isinstance(address, tuple) else address
    if not is_local(host):
        raise NetworkBlockedError(f"tests may not use the network: connection to {address!r} refused")


def _connect(self: socket.socket, address: object) -> None:
    _check_address(self, address)
    return _ORIGINAL["connect"](self, address)


def _connect_ex(self: socket.socket, address: object) -> int:
    _check_address(self, address)
    return _ORIGINAL["connect_ex"](self, address)


def _getaddrinfo(host, *args, **kwargs):  # type: ignore[no-untyped-def]
    if host is not None and not is_local(host):
        raise NetworkBlockedError(f"tests may not use the network: name lookup of {host!r} refused")
    return _ORIGINAL["getaddrinfo"](host, *args, **kwargs)


def _curl_perform(self, *args, **kwargs):  # type: ignore[no-untyped-def]
    raise NetworkBlockedError("tests may not use the network: curl_cffi request refused")


def install() -> None:
    """Patch :mod:`socket` and curl_cffi so non-local connections and lookups raise."""
    socket.socket.connect = _connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = _getaddrinfo
    try:
        from curl_cffi.curl import Curl
    except ImportError:  # curl_cffi is not installed: nothing of it to guard
        return
    Curl.perform = _curl_perform  # type: ignore[method-assign]


def installed() -> bool:
    from curl_cffi.curl import Curl

    return (
        socket.socket.connect is _connect
        and socket.getaddrinfo is _getaddrinfo
        and Curl.perform is _curl_perform
    )
