"""``python -m devstack serve|key|demo`` (what `make serve`, `make key` and `make demo` run)."""
from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from devstack.keys import DEV_TENANT, create_key
from devstack.stack import LocalStack, StackOptions
from hark_core.errors import HarkError

# Where `make serve` leaves the running stack's environment for `make key`.
STATE_FILE = Path(os.environ.get("HARK_STATE_FILE") or Path(__file__).resolve().parent.parent / ".hark" / "local-stack.json")

def serve(args: argparse.Namespace) -> None:
    stack = LocalStack(StackOptions(api_port=args.port, moto_port=args.moto_port, streaming_port=args.streaming_port)).start()
    chosen = os.environ.get("HARK_DEV_API_KEY") or None
    key = create_key(DEV_TENANT, chosen)
    print(f"Hark is serving on {stack.api_url}", flush=True)
    print(f"  tenant '{DEV_TENANT}' API key: {'(from HARK_DEV_API_KEY)' if chosen else key}", flush=True)
    print(f"  streaming (AssemblyAI v3): {stack.streaming_url}/v3/ws", flush=True)
    print(f"  more keys: make key TENANT=<name>;  AWS (moto): {os.environ['AWS_ENDPOINT_URL']}", flush=True)
    # What `make key` and the `hark` command line read to reach this stack.
    os.environ.update({"HARK_API_URL": stack.api_url, "HARK_STREAMING_URL": stack.streaming_url, "HARK_DEV_API_KEY": key})
    STATE_FILE.parent.mkdir(exist_ok=True)
    STATE_FILE.write_text(json.dumps({k: v for k, v in os.environ.items() if k.startswith(("AWS_", "HARK_"))}))
    print("READY", flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        STATE_FILE.unlink(missing_ok=True)
        stack.stop()


def key(args: argparse.Namespace) -> None:
    """Registers a new key for a new tenant on the running stack (found by its state file)."""
    if not args.tenant:
        sys.exit("usage: make key TENANT=<name>")
    try:
        os.environ.update(json.loads(STATE_FILE.read_text()))
    except FileNotFoundError:
        sys.exit("no local stack is running: start it with `make serve`")
    try:
        print(create_key(args.tenant, None, args.max_concurrent_jobs, args.requests_per_second))
    except HarkError as e:
        sys.exit(f"could not create a key: {e.message}")
    except Exception as e:  # one clear line, not a traceback
        sys.exit(f"could not reach the local stack (is `make serve` still running?): {e}")


def demo(args: argparse.Namespace) -> None:
    from devstack.demo import run

    run(args)


def main() -> None:
    logging.basicConfig(level=os.environ.get("HARK_LOG_LEVEL", "WARNING"), format="%(asctime)s %(name)s %(levelname)s %(message)s")
    parser = argparse.ArgumentParser(prog="devstack")
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("serve", help="run the local stack until interrupted")
    p.add_argument("--port", type=int, default=int(os.environ.get("HARK_API_PORT", "8000")))
    p.add_argument("--moto-port", type=int, default=int(os.environ.get("HARK_MOTO_PORT", "4566")))
    p.add_argument("--streaming-port", type=int, default=int(os.environ.get("HARK_STREAMING_PORT", "8001")))
    p.set_defaults(func=serve)
    p = commands.add_parser("key", help="print a new API key for a new tenant of the running stack")
    p.add_argument("--tenant", default="")
    p.add_argument("--max-concurrent-jobs", type=int, help="the tenant's jobs in processing at once")
    p.add_argument("--requests-per-second", type=float, help="the tenant's API request rate (429 beyond it)")
    p.set_defaults(func=key)
    p = commands.add_parser("demo", help="start the stack and run the main job end to end")
    p.add_argument("--port", type=int, default=int(os.environ.get("HARK_API_PORT", "8000")))
    p.add_argument("--moto-port", type=int, default=int(os.environ.get("HARK_MOTO_PORT", "4566")))
    p.set_defaults(func=demo)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
