"""Reaching customer URLs (audio to fetch, webhooks to call) without becoming a proxy into
private networks.

A URL is allowed only when every address its host resolves to is public. The download
then connects to the very address that was checked (not a fresh DNS answer), so a host
that rebinds to 127.0.0.1 or the instance metadata service between check and use gains
nothing. Redirects are followed by hand and each hop is checked the same way.
"""
from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from typing import BinaryIO, Callable, Iterator
from urllib.parse import urljoin, urlsplit

from hark_core.errors import BadRequest, InvalidAudioUrl

# The instance metadata services of AWS (IPv4 and IPv6, Nitro) and others.
METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
MAX_REDIRECTS = 5
TIMEOUT_S = 30
CHUNK = 1 << 20


class DownloadError(Exception):
    """The audio could not be fetched; the message is meant for the API's user."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str


def _forbidden(address: ipaddress.IPv4Address | ipaddress.IPv6Address, allow_private: bool) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    # Link-local holds the instance metadata service: refused even where private is allowed.
    if address.is_link_local or address in METADATA or address.is_multicast or address.is_unspecified:
        return True
    if allow_private and (address.is_loopback or address.is_private):
        return False
    return not address.is_global


def check_url(
    url: str,
    allow_private: bool = False,
    resolve: Callable[[str, int], list[str]] | None = None,
    field: str = "audio_url",
    error: type[BadRequest] = InvalidAudioUrl,
) -> Target:
    """Parses and vets ``url``; raises ``error`` with a reason the user can act on, naming
    the request ``field`` the URL came from."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as e:
        raise error(f"{field} is not a valid URL: {e}") from e
    if parts.scheme not in ("http", "https") or not parts.hostname:
        hint = " or an upload_url from /v2/upload" if field == "audio_url" else ""
        raise error(f"{field} must be an http(s) URL{hint}")
    if parts.username or parts.password:
        raise error(f"{field} must not contain credentials")
    port = port or (443 if parts.scheme == "https" else 80)
    addresses = (resolve or _resolve)(parts.hostname, port)
    if not addresses:
        raise error(f"{field} host '{parts.hostname}' could not be resolved")
    for a in addresses:
        if _forbidden(ipaddress.ip_address(a.split("%")[0]), allow_private):
            raise error(f"{field} points to a private, loopback, link-local or metadata address, which is not allowed")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, parts.hostname, port, path, addresses[0])


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return []
    return [str(info[4][0]) for info in infos]


class _PinnedHTTPS(http.client.HTTPSConnection):
    """Connects to a vetted address while verifying the certificate for the URL's host."""

    def __init__(self, target: Target) -> None:
        super().__init__(target.host, target.port, timeout=TIMEOUT_S, context=ssl.create_default_context())
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, target: Target) -> None:
        super().__init__(target.host, target.port, timeout=TIMEOUT_S)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def download(url: str, sink: Callable[[BinaryIO], None], max_bytes: int, allow_private: bool = False) -> None:
    """Streams the body at ``url`` into ``sink`` (e.g. an S3 upload), at most ``max_bytes``."""
    for _ in range(MAX_REDIRECTS + 1):
        target = check_url(url, allow_private)
        conn = (_PinnedHTTPS if target.scheme == "https" else _PinnedHTTP)(target)
        try:
            conn.request("GET", target.path, headers={"User-Agent": "Hark/1.0", "Accept": "*/*"})
            response = conn.getresponse()
            if response.status in (301, 302, 303, 307, 308) and response.getheader("Location"):
                url = urljoin(url, response.getheader("Location", ""))
                continue
            if response.status != 200:
                raise DownloadError(f"Download error, unable to download {url}: the server answered HTTP {response.status}")
            length = response.getheader("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise DownloadError(f"Download error: the file at {url} is larger than {max_bytes} bytes")
            sink(_Limited(response, max_bytes, url))
            return
        except (OSError, http.client.HTTPException) as e:
            raise DownloadError(f"Download error, unable to download {url}: {e}") from e
        finally:
            conn.close()
    raise DownloadError(f"Download error, unable to download {url}: too many redirects")


def post(target: Target, body: bytes, headers: dict[str, str], timeout_s: float = 10) -> int:
    """POSTs ``body`` to a vetted ``target`` (see `check_url`) and returns the HTTP status.
    Redirects are not followed: a webhook receiver answers for itself. Raises OSError or
    http.client.HTTPException when the receiver cannot be reached."""
    conn = (_PinnedHTTPS if target.scheme == "https" else _PinnedHTTP)(target)
    conn.timeout = timeout_s
    try:
        conn.request("POST", target.path, body=body, headers=headers)
        response = conn.getresponse()
        response.read(64 * 1024)  # the receiver's answer is not used; read a little to finish cleanly
        return response.status
    finally:
        conn.close()


class _Limited:
    """A read-only stream that fails once more than ``limit`` bytes went through."""

    def __init__(self, raw: http.client.HTTPResponse, limit: int, url: str) -> None:
        self._raw, self._left, self._url = raw, limit, url

    def read(self, size: int = -1) -> bytes:
        chunk = self._raw.read(CHUNK if size is None or size < 0 else size)
        self._left -= len(chunk)
        if self._left < 0:
            raise DownloadError(f"Download error: the file at {self._url} is too large")
        return chunk

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.read(CHUNK):
            yield chunk
