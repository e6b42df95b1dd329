"""Starting and stopping the whole local stack in this process (plus one inference
worker process per endpoint instance)."""
from __future__ import annotations

import json
import logging
import os
import sys
import threading
from dataclasses import dataclass, field
from typing import Any, Optional

import boto3
import httpx
from chalice.local import ChaliceRequestHandler, ForbiddenError, LocalGatewayException

from devstack.pollers import QueuePoller, bindings
from devstack.provision import Provisioner, Stack

log = logging.getLogger(__name__)
REGION = "us-east-1"
# The local SageMaker runner is one CPU instance taking InvocationsPerInstance (8) at once, so that
# is the endpoint's capacity here (the template's default assumes 4 instances). On a CPU a batch
# takes time in proportion to its size and cannot be interrupted, so a tenant holds at most 4 of
# the 8 places: another tenant's file is admitted at once, decoded ahead of the backlog
# (first_of_tenant), and waits only for the batch that is running, which is short. Measured on
# this 2-core machine, behind a burst of 100 clips, against 0.9-1.2 s idle (best of three each
# time): 1.1-1.9 s at 4 places, 1.4-2.8 s at 6 (and once 2.8 s against 0.9 s idle, past the
# test's 3x bound), 2.0-3.2 s at 7, 5.7 s at 8 (the whole endpoint, so no place is free). A
# tenant alone pays for it in throughput (bench.throughput, service/raw: 1.01-1.10 at 4, 1.01-1.07
# at 6, 1.19-1.28 with no admission at all, same session). One developer, whose tests and
# benchmarks submit hundreds of jobs in seconds, is not rate-limited by default; a tenant's own
# limit (`make key ... --requests-per-second`) still applies.
POLLERS_PER_QUEUE = 5
LOCAL_STREAMS = 8
LOCAL_PARAMETERS = {"AdmissionCapacity": "8", "TenantConcurrency": "4", "TenantRequestsPerSecond": "1000"}


def local_parameters(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The template parameters of the local stack: `LOCAL_PARAMETERS`, with any overridden by
    HARK_LOCAL_PARAMETERS (JSON, e.g. '{"TenantConcurrency": "8"}'), so a benchmark can compare
    settings on the same code."""
    raw = (os.environ if environ is None else environ).get("HARK_LOCAL_PARAMETERS", "")
    extra = json.loads(raw) if raw.strip() else {}
    if not isinstance(extra, dict):
        raise ValueError("HARK_LOCAL_PARAMETERS must be a JSON object of template parameters")
    return {**LOCAL_PARAMETERS, **{str(k): str(v) for k, v in extra.items()}}


@dataclass(frozen=True)
class StackOptions:
    api_port: int = 8000
    moto_port: int = 4566
    runner_port: int = 0
    host: str = "127.0.0.1"
    stack_name: str = "hark-local"
    # Unlike API Gateway, the local server has no 10 MB body limit to respect.
    max_upload_bytes: int = 200_000_000
    streaming_port: int = 8001
    extra_env: dict[str, str] = field(default_factory=dict)


def aws_environment(moto_port: int) -> dict[str, str]:
    """What points boto3 (ours, the app's and the workers') at moto."""
    return {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{moto_port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        # moto's Step Functions interpreter calls the other services at localhost:$MOTO_PORT.
        "MOTO_PORT": str(moto_port),
    }


def client(service: str) -> Any:
    return boto3.session.Session(region_name=REGION).client(service)


class _QuietRequestHandler(ChaliceRequestHandler):
    """Chalice's request handler without its access log line per request, answering what no
    route takes as the deployed API does (its gateway responses, deploy/package.py): 404 with
    the API's `{"error"}` body, not API Gateway's 403 "Missing Authentication Token" or, for
    methods Chalice does not serve (TRACE, CONNECT), http.server's 501 HTML page."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send_error_response(self, error: LocalGatewayException) -> None:
        if isinstance(error, ForbiddenError):
            self._no_such_route()
        else:
            message = json.loads(error.body or b"{}").get("message") or "the request failed"
            self._send_http_response(error.CODE, dict(error.headers or {}), json.dumps({"error": message}))

    def _no_such_route(self) -> None:
        body = json.dumps({"error": f"no such route: {self.command} {self.path.split('?')[0]}"})
        self._send_http_response(404, {"Content-Type": "application/json"}, body)

    do_TRACE = do_CONNECT = _no_such_route


class LocalStack:
    def __init__(self, options: StackOptions) -> None:
        self.options = options
        self.stack: Optional[Stack] = None
        self._moto: Any = None
        self._runner: Any = None
        self._training: Any = None
        self._api: Any = None
        self._pollers: list[QueuePoller] = []
        self._streaming: Any = None

    @property
    def api_url(self) -> str:
        return f"http://{self.options.host}:{self.options.api_port}"

    @property
    def streaming_url(self) -> str:
        return f"ws://{self.options.host}:{self._streaming.port if self._streaming else self.options.streaming_port}"

    def start(self) -> "LocalStack":
        from moto.server import ThreadedMotoServer

        from devstack import moto_fixes

        moto_fixes.apply()
        # werkzeug logs every moto request at INFO unless told otherwise.
        logging.getLogger("werkzeug").setLevel(max(logging.WARNING, logging.getLogger().level))
        os.environ.update(aws_environment(self.options.moto_port))
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=self.options.moto_port, verbose=False)
        self._moto.start()
        httpx.post(
            f"http://127.0.0.1:{self.options.moto_port}/moto-api/config",
            json={"stepfunctions": {"execute_state_machine": True}},
        ).raise_for_status()
        self.stack = Provisioner(client, self.options.stack_name, REGION).create(local_parameters())
        os.environ.update(self.stack.environment())
        os.environ.setdefault("HARK_MAX_UPLOAD_BYTES", str(self.options.max_upload_bytes))
        # Development receivers run on this machine; metadata addresses stay refused regardless.
        os.environ.setdefault("HARK_ALLOW_PRIVATE_WEBHOOK_URLS", "true")
        # CloudWatch's embedded metrics mean nothing on this machine: off unless asked for.
        os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
        # The app's JSON logs follow the local stack's log level (quiet unless asked).
        os.environ.setdefault("POWERTOOLS_LOG_LEVEL", logging.getLevelName(logging.getLogger().getEffectiveLevel()))
        os.environ.update(self.options.extra_env)
        self._start_runner()
        self._start_app()
        self._start_streaming()
        log.info("local stack up: API %s, AWS (moto) http://127.0.0.1:%d", self.api_url, self.options.moto_port)
        return self

    def _start_runner(self) -> None:
        from devstack.sagemaker.clients import make_aws_clients
        from devstack.sagemaker.runner import LocalEndpoint, LocalSageMakerRunner
        from devstack.sagemaker.training import LocalTrainingRunner
        from devstack.sagemaker.workers import ContainerSpec

        assert self.stack is not None
        container = ContainerSpec(
            command=(sys.executable, "-m", "sagemaker_jobs.inference.serve", "--host", "127.0.0.1", "--port", "{port}"),
            env={
                **{k: v for k, v in os.environ.items() if k.startswith(("AWS_", "HARK_"))},
                "HARK_LOG_LEVEL": logging.getLevelName(logging.getLogger().getEffectiveLevel()),
                "OPENBLAS_NUM_THREADS": "1",  # as the inference image sets it (see its Dockerfile)
            },
        )
        endpoint = LocalEndpoint(self.stack.outputs["InferenceEndpoint"], container)
        self._runner = LocalSageMakerRunner(
            [endpoint], make_aws_clients(os.environ["AWS_ENDPOINT_URL"], REGION), port=self.options.runner_port
        )
        self._runner.start()
        os.environ["AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME"] = self._runner.endpoint_url
        self._training = LocalTrainingRunner(client("sagemaker"), client("s3"), client("events"))
        self._training.start()

    def _start_app(self) -> None:
        from chalice.config import Config
        from chalice.local import CustomLocalChalice, LocalChalice, LocalDevServer

        from chalicelib import wiring

        wiring.reset()  # settings and clients are read from the environment set above
        import app as hark_app

        sqs = client("sqs")
        for binding in bindings(hark_app.app):
            # Lambda polls a queue with several concurrent batches (five pollers to start with),
            # so one slow message never holds up the rest of its queue.
            for index in range(POLLERS_PER_QUEUE):
                poller = QueuePoller(sqs, binding, REGION, index)
                poller.start()
                self._pollers.append(poller)
        # What chalice.local.create_local_server does before serving: its server runs each
        # request on a thread of its own, and only LocalChalice keeps app.current_request
        # per thread (without it, concurrent requests read each other's headers and bodies).
        CustomLocalChalice.__bases__ = (LocalChalice, type(hark_app.app))
        hark_app.app.__class__ = CustomLocalChalice
        handler = ChaliceRequestHandler if log.isEnabledFor(logging.INFO) else _QuietRequestHandler
        self._api = LocalDevServer(
            hark_app.app, Config(chalice_stage="local"), self.options.host, self.options.api_port, handler_cls=handler
        )
        threading.Thread(target=self._api.serve_forever, name="api", daemon=True).start()

    def _start_streaming(self) -> None:
        """The real-time service in this process, with its own copy of the engine (on AWS it
        is a container of its own; see infra/streaming.yaml)."""
        from hark_streaming import access
        from hark_streaming.server import BackgroundServer, StreamingService
        from sagemaker_jobs.asr.engines import SpeechEngines
        from sagemaker_jobs.asr.layout import one_decode_per_core

        records = access.from_stack(access.StreamingSettings.from_env(os.environ))
        environ = one_decode_per_core(os.environ)
        engines = SpeechEngines.from_env(environ)
        # Tests and demos open a few streams at once; load is bench.streaming's to measure.
        service = StreamingService(engines, records, int(os.environ.get("HARK_STREAMS_PER_TASK", LOCAL_STREAMS)))
        self._streaming = BackgroundServer(service, self.options.host, self.options.streaming_port).start()

    def stop(self) -> None:
        if self._streaming is not None:
            self._streaming.stop()
        for poller in self._pollers:
            poller.stop()
        if self._api is not None:
            self._api.server.shutdown()
        if self._training is not None:
            self._training.stop()
        if self._runner is not None:
            self._runner.stop()
        if self._moto is not None:
            self._moto.stop()
