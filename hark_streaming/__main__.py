"""``python -m hark_streaming --port 8001``: the streaming service on its own (the
container's entrypoint on AWS; the local stack runs it inside `make serve` instead)."""
from __future__ import annotations

import argparse
import asyncio
import logging
import os

from hark_streaming import access
from hark_streaming.server import DEFAULT_MAX_STREAMS, StreamingService, start
from sagemaker_jobs.asr.engines import SpeechEngines
from sagemaker_jobs.asr.layout import one_decode_per_core


async def _serve(service: StreamingService, host: str, port: int) -> None:
    server = await start(service, host, port)
    await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m hark_streaming")
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    logging.basicConfig(level=os.environ.get("HARK_LOG_LEVEL", "INFO"), format="%(asctime)s %(name)s %(levelname)s %(message)s")
    records = access.from_stack(access.StreamingSettings.from_env(os.environ))
    environ = one_decode_per_core(os.environ)
    engines = SpeechEngines.from_env(environ)
    service = StreamingService(engines, records, int(os.environ.get("HARK_STREAMS_PER_TASK", DEFAULT_MAX_STREAMS)))
    asyncio.run(_serve(service, args.host, args.port))


if __name__ == "__main__":
    main()
