"""LocalSageMakerRunner: a stand-in for SageMaker asynchronous inference endpoints.

The application's `sagemaker-runtime` client is pointed at `runner.endpoint_url` (for instance
through the AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME environment variable); everything else it and the
runner touch (the endpoint definitions, S3, SNS) lives in the AWS the `AwsClients` point at.
"""

from __future__ import annotations

import atexit
import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType

from devstack.sagemaker.clients import AwsClients
from devstack.sagemaker.endpoint_config import AsyncEndpointConfig, read_async_endpoint_config
from devstack.sagemaker.invocation import accept_invocation
from devstack.sagemaker.notifications import Notifier
from devstack.sagemaker.processing import process_invocation
from devstack.sagemaker.runtime_api import (
    InvokeEndpointAsyncRequest,
    InvokeEndpointAsyncResult,
    RuntimeApiServer,
    ValidationError,
)
from devstack.sagemaker.workers import ContainerSpec, WorkerPool

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LocalEndpoint:
    """An endpoint that exists in the SageMaker API, and the container that serves it here."""

    name: str
    container: ContainerSpec


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class _Served:
    config: AsyncEndpointConfig
    pool: WorkerPool


class LocalSageMakerRunner:
    """Serves InvokeEndpointAsync for `endpoints` on http://host:port.

    `start()` reads each endpoint's async config from the SageMaker API, starts its containers
    (InitialInstanceCount of them) and waits until every one answers /ping, then starts listening.
    `port=0` picks a free port; read it back from `port` once started.
    """

    def __init__(
        self,
        endpoints: Sequence[LocalEndpoint],
        clients: AwsClients,
        host: str = "127.0.0.1",
        port: int = 0,
        now: Callable[[], datetime] = _utc_now,
    ) -> None:
        if not endpoints:
            raise ValueError("LocalSageMakerRunner needs at least one endpoint")
        self._endpoints = tuple(endpoints)
        self._clients = clients
        self._host = host
        self._requested_port = port
        self._now = now
        self._notifier = Notifier(clients.s3, clients.sns, clients.region, now)
        self._served: dict[str, _Served] = {}
        self._server: RuntimeApiServer | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("LocalSageMakerRunner is not started")
        return self._server.port

    @property
    def endpoint_url(self) -> str:
        """The value for AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME (or a client's endpoint_url)."""
        return f"http://{self._host}:{self.port}"

    def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("LocalSageMakerRunner is already started")
        # Containers run in their own sessions, so Ctrl-C does not reach them: stop them on exit.
        atexit.register(self.stop)
        try:
            for endpoint in self._endpoints:
                self._serve(endpoint)
            self._server = RuntimeApiServer(self._handle, self._host, self._requested_port)
            self._server.start()
        except BaseException:
            self.stop()
            raise
        log.info(
            "local SageMaker runtime listening on %s for %s",
            self.endpoint_url,
            ", ".join(self._served),
        )

    def stop(self) -> None:
        """Stop listening and stop every container; queued requests are dropped."""
        atexit.unregister(self.stop)
        if self._server is not None:
            self._server.stop()
            self._server = None
        for served in self._served.values():
            served.pool.stop()
        self._served.clear()

    def __enter__(self) -> LocalSageMakerRunner:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _serve(self, endpoint: LocalEndpoint) -> None:
        config = read_async_endpoint_config(self._clients.sagemaker, endpoint.name)
        if config.include_inference_response_in:
            log.warning(
                "endpoint %s: IncludeInferenceResponseIn is not emulated; notifications will "
                "not carry the inference response",
                endpoint.name,
            )
        pool = WorkerPool(
            endpoint.container,
            instance_count=config.instance_count,
            concurrency_per_instance=config.max_concurrent_invocations_per_instance,
            name=endpoint.name,
        )
        log.info(
            "starting %d container(s) for endpoint %s (%d concurrent request(s) each)",
            config.instance_count,
            endpoint.name,
            config.max_concurrent_invocations_per_instance,
        )
        pool.start()
        self._served[endpoint.name] = _Served(config, pool)

    def _handle(self, request: InvokeEndpointAsyncRequest) -> InvokeEndpointAsyncResult:
        served = self._served.get(request.endpoint_name)
        if served is None:
            # SageMaker's wording; every served endpoint lives in the same account.
            account = next(iter(self._served.values())).config.account_id
            raise ValidationError(
                f"Endpoint {request.endpoint_name} of account {account} not found."
            )
        invocation = accept_invocation(request, served.config, self._now())
        served.pool.submit(
            functools.partial(
                process_invocation,
                invocation,
                served.config,
                s3=self._clients.s3,
                notifier=self._notifier,
                now=self._now,
            )
        )
        log.info(
            "%s: queued for %s (input %s)",
            invocation.inference_id,
            invocation.endpoint_name,
            invocation.input_location,
        )
        return InvokeEndpointAsyncResult(
            inference_id=invocation.inference_id,
            output_location=str(invocation.output_location),
            failure_location=str(invocation.failure_location)
            if invocation.failure_location
            else None,
        )
