"""Vetting and fetching audio URLs: the SSRF guard, including DNS rebinding."""
from __future__ import annotations

import http.server
import io
import threading
from collections.abc import Iterator

import pytest

from chalicelib.fetch import DownloadError, check_url, download
from hark_core.errors import InvalidAudioUrl


def resolver(*addresses: str):  # type: ignore[no-untyped-def]
    return lambda host, port: list(addresses)


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.0.0.8", "172.16.3.4", "192.168.1.1", "169.254.169.254", "::1", "fd00:ec2::254", "::ffff:127.0.0.1", "0.0.0.0", "100.64.0.1", "224.0.0.1"],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    with pytest.raises(InvalidAudioUrl, match="private"):
        check_url("https://audio.example.com/a.wav", resolve=resolver(address))


def test_one_private_answer_among_public_ones_is_refused() -> None:
    with pytest.raises(InvalidAudioUrl):
        check_url("https://audio.example.com/a.wav", resolve=resolver("93.184.216.34", "127.0.0.1"))


def test_public_address_is_pinned_for_the_download() -> None:
    target = check_url("https://audio.example.com:8443/a.wav?x=1", resolve=resolver("93.184.216.34"))
    assert (target.host, target.port, target.path, target.address) == ("audio.example.com", 8443, "/a.wav?x=1", "93.184.216.34")


@pytest.mark.parametrize("url", ["file:///etc/passwd", "gopher://x/", "https://user:pw@example.com/a", "http://[::1", "https://"])
def test_malformed_or_unsafe_urls_are_refused(url: str) -> None:
    with pytest.raises(InvalidAudioUrl):
        check_url(url, resolve=resolver("93.184.216.34"))


def test_unresolvable_host_is_refused() -> None:
    with pytest.raises(InvalidAudioUrl, match="could not be resolved"):
        check_url("https://no-such-host.invalid/a.wav", resolve=resolver())


@pytest.fixture()
def server() -> Iterator[str]:
    """A real HTTP server on loopback: /audio serves bytes, /redirect-to-metadata redirects."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            if self.path == "/audio":
                body = b"RIFF" + b"\0" * 1000
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            elif self.path == "/redirect-to-metadata":
                self.send_response(302)
                self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
                self.end_headers()
            else:
                self.send_response(404)
                self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def collect(url: str, max_bytes: int = 10_000, allow_private: bool = True) -> bytes:
    sink = io.BytesIO()
    download(url, lambda stream: sink.write(b"".join(iter(stream))), max_bytes, allow_private)
    return sink.getvalue()


def test_download_streams_the_body(server: str) -> None:
    assert collect(f"{server}/audio") == b"RIFF" + b"\0" * 1000


def test_download_refuses_loopback_unless_allowed(server: str) -> None:
    with pytest.raises(InvalidAudioUrl):
        collect(f"{server}/audio", allow_private=False)


def test_redirects_are_vetted_hop_by_hop(server: str) -> None:
    # Even with loopback allowed for this test server, the metadata service is refused.
    with pytest.raises(InvalidAudioUrl, match="metadata"):
        collect(f"{server}/redirect-to-metadata", allow_private=True)


@pytest.mark.parametrize("address", ["169.254.169.254", "fd00:ec2::254", "fe80::1"])
def test_metadata_and_link_local_stay_refused_where_private_is_allowed(address: str) -> None:
    with pytest.raises(InvalidAudioUrl):
        check_url("http://example.com/a.wav", allow_private=True, resolve=resolver(address))


def test_http_errors_and_size_limits_are_reported(server: str) -> None:
    with pytest.raises(DownloadError, match="HTTP 404"):
        collect(f"{server}/missing")
    with pytest.raises(DownloadError, match="larger than"):
        collect(f"{server}/audio", max_bytes=10)
