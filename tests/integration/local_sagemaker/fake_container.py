"""A stand-in model container speaking the SageMaker contract, for the runner's tests.

`GET /ping` answers 503 until a short "model load" is over, then 200. `POST /invocations` acts on
the words in the request body:
    "bad"   -> 400 {"error": "the input is bad"}
    "boom"  -> 500 {"error": "the model blew up"}
    "crash" -> the process exits mid-request
    "slow"  -> sleeps 30 s, then answers
    else    -> 200 {"echo": <body>, "content_type": ..., "accept": ..., "pid": <pid>}
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOAD_SECONDS = 0.3
_loaded = threading.Event()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if self.path == "/ping" and _loaded.is_set():
            self._send(200, {})
        else:
            self._send(503, {"error": "loading"})

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        if "crash" in body:
            os._exit(3)
        if "slow" in body:
            time.sleep(30)
        if "bad" in body:
            self._send(400, {"error": "the input is bad"})
        elif "boom" in body:
            self._send(500, {"error": "the model blew up"})
        else:
            self._send(
                200,
                {
                    "echo": body,
                    "content_type": self.headers.get("Content-Type"),
                    "accept": self.headers.get("Accept"),
                    "custom_attributes": self.headers.get("X-Amzn-SageMaker-Custom-Attributes"),
                    "pid": os.getpid(),
                },
            )

    def _send(self, status: int, payload: dict[str, object]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    threading.Timer(LOAD_SECONDS, _loaded.set).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
