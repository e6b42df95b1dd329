"""Container processes standing in for an endpoint's instances, and the queue that feeds them.

Each worker runs the model container command on its own loopback port and speaks the SageMaker
container contract to it (`GET /ping`, `POST /invocations`). A worker that dies or hangs is killed
and started again, as SageMaker replaces an unhealthy instance; the request it was serving fails.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

PORT_PLACEHOLDER = "{port}"
_PING_INTERVAL_S = 0.1
_RESTART_BACKOFF_S = 2.0
_STOP_GRACE_S = 5.0


@dataclass(frozen=True)
class ContainerSpec:
    """How to start one model container.

    `command` is an argv list; every "{port}" in it is replaced by the port the worker must listen
    on (on 127.0.0.1). `env` is added to this process's environment for the container.
    """

    command: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    startup_timeout_s: float = 120.0

    def argv(self, port: int) -> list[str]:
        return [part.replace(PORT_PLACEHOLDER, str(port)) for part in self.command]


@dataclass(frozen=True)
class ContainerRequest:
    body: bytes
    content_type: str
    accept: str | None
    custom_attributes: str | None
    timeout_s: float


@dataclass(frozen=True)
class ContainerReply:
    status: int
    body: bytes
    content_type: str

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class WorkerDiedError(Exception):
    """The container process died (or dropped the connection) while serving the request."""


class WorkerTimeoutError(Exception):
    """The request ran past its invocation timeout; the container was killed."""


class RunnerStoppingError(Exception):
    """The runner is stopping; the request was abandoned, not failed."""


class WorkerStartupError(RuntimeError):
    """The container did not answer `GET /ping` with 200 in time, or exited first."""


Invoke = Callable[[ContainerRequest], ContainerReply]
Job = Callable[[Invoke], None]


def _free_port() -> int:
    # The port is released before the container binds it; on loopback the window is harmless.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _kill_group(process: subprocess.Popen[bytes], sig: int) -> None:
    # Containers may fork (model servers often do); the whole session goes with the worker.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


class Worker:
    """One container process; `invoke` is safe to call from several threads at once."""

    def __init__(self, spec: ContainerSpec, name: str, stopping: threading.Event) -> None:
        self._spec = spec
        self._name = name
        self._stopping = stopping
        # Held while (re)starting so concurrent callers wait for the new process, not race it.
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._port = 0
        self._generation = 0

    @property
    def name(self) -> str:
        return self._name

    def start(self) -> None:
        with self._lock:
            self._launch()

    def stop(self) -> None:
        with self._lock:
            self._terminate()

    def invoke(self, request: ContainerRequest) -> ContainerReply:
        port, generation = self._running_port()
        timed_out = threading.Event()
        watchdog = threading.Timer(
            request.timeout_s, self._kill_on_timeout, args=(generation, timed_out)
        )
        watchdog.daemon = True
        connection = http.client.HTTPConnection("127.0.0.1", port)
        headers = {"Content-Type": request.content_type}
        if request.accept:
            headers["Accept"] = request.accept
        if request.custom_attributes:
            headers["X-Amzn-SageMaker-Custom-Attributes"] = request.custom_attributes
        watchdog.start()
        try:
            connection.request("POST", "/invocations", body=request.body, headers=headers)
            response = connection.getresponse()
            reply = ContainerReply(
                status=response.status,
                body=response.read(),
                content_type=response.getheader("Content-Type", "application/octet-stream"),
            )
        except (OSError, http.client.HTTPException) as exc:
            raise self._recover(generation, timed_out, str(exc) or type(exc).__name__) from exc
        finally:
            watchdog.cancel()
            connection.close()
        if timed_out.is_set():
            # The reply raced the watchdog, which has already killed the process.
            raise self._recover(generation, timed_out, "reply arrived after the timeout")
        return reply

    def _recover(self, generation: int, timed_out: threading.Event, detail: str) -> Exception:
        """Restart the container after a failed request; returns what the request should raise."""
        if self._stopping.is_set():
            return RunnerStoppingError(self._name)
        if timed_out.is_set():
            log.warning("%s: invocation timed out; restarting the container", self._name)
            self._replace(generation)
            return WorkerTimeoutError(self._name)
        log.error("%s: container failed mid-request (%s); restarting it", self._name, detail)
        self._replace(generation)
        return WorkerDiedError(self._name)

    def _running_port(self) -> tuple[int, int]:
        with self._lock:
            if self._stopping.is_set():
                raise RunnerStoppingError(self._name)
            if self._process is None or self._process.poll() is not None:
                # Died while idle: start a new one before giving it work, as no request was lost.
                log.warning("%s: container exited while idle; restarting it", self._name)
                self._relaunch_until_up()
            return self._port, self._generation

    def _kill_on_timeout(self, generation: int, timed_out: threading.Event) -> None:
        with self._lock:
            if generation != self._generation or self._process is None:
                return
            timed_out.set()
            _kill_group(self._process, signal.SIGKILL)

    def _replace(self, failed_generation: int) -> None:
        with self._lock:
            # Several requests on one container fail together; only the first restarts it.
            if failed_generation == self._generation:
                self._relaunch_until_up()

    def _relaunch_until_up(self) -> None:
        self._terminate()
        while True:
            if self._stopping.is_set():
                raise RunnerStoppingError(self._name)
            try:
                self._launch()
                return
            except WorkerStartupError:
                log.exception("%s: container restart failed; retrying", self._name)
                self._stopping.wait(_RESTART_BACKOFF_S)

    def _launch(self) -> None:
        port = _free_port()
        argv = self._spec.argv(port)
        log.info("%s: starting container on port %d: %s", self._name, port, " ".join(argv))
        process = subprocess.Popen(
            [sys.executable, "-m", "devstack.sagemaker.orphan_guard", str(os.getpid()), *argv],
            env={**os.environ, **self._spec.env},
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        self._process, self._port = process, port
        self._generation += 1
        try:
            self._wait_for_ping(process, port)
        except BaseException:
            self._terminate()
            raise
        log.info("%s: container ready (pid %d)", self._name, process.pid)

    def _wait_for_ping(self, process: subprocess.Popen[bytes], port: int) -> None:
        deadline = time.monotonic() + self._spec.startup_timeout_s
        while time.monotonic() < deadline:
            if self._stopping.is_set():
                raise RunnerStoppingError(self._name)
            if process.poll() is not None:
                raise WorkerStartupError(
                    f"{self._name}: container exited with code {process.returncode} "
                    "before answering /ping"
                )
            if _ping(port):
                return
            time.sleep(_PING_INTERVAL_S)
        raise WorkerStartupError(
            f"{self._name}: /ping did not return 200 within {self._spec.startup_timeout_s:g} s"
        )

    def _terminate(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is not None:
            # The container's main process is gone; anything it forked must not outlive it.
            _kill_group(process, signal.SIGKILL)
            return
        _kill_group(process, signal.SIGTERM)
        try:
            process.wait(_STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            _kill_group(process, signal.SIGKILL)
            process.wait()


def _ping(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2.0)
    try:
        connection.request("GET", "/ping")
        response = connection.getresponse()
        response.read()
        return response.status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


class WorkerPool:
    """An endpoint's instances plus the queue async requests wait in, as on SageMaker.

    `instance_count` containers each serve up to `concurrency_per_instance` requests at a time;
    one dispatcher thread per slot takes the next job from the shared queue.
    """

    def __init__(
        self,
        spec: ContainerSpec,
        instance_count: int,
        concurrency_per_instance: int,
        name: str,
    ) -> None:
        self._stopping = threading.Event()
        self._workers = [
            Worker(spec, f"{name}/worker-{index}", self._stopping)
            for index in range(instance_count)
        ]
        self._concurrency_per_instance = concurrency_per_instance
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Start every container (in parallel: model loading dominates) and the dispatchers."""
        errors: list[BaseException] = []

        def start_one(worker: Worker) -> None:
            try:
                worker.start()
            except BaseException as exc:  # reported below, from the caller's thread
                errors.append(exc)

        starters = [threading.Thread(target=start_one, args=(w,)) for w in self._workers]
        for starter in starters:
            starter.start()
        for starter in starters:
            starter.join()
        if errors:
            self.stop()
            raise errors[0]
        for worker in self._workers:
            for slot in range(self._concurrency_per_instance):
                thread = threading.Thread(
                    target=self._dispatch, args=(worker,), name=f"{worker.name}/slot-{slot}"
                )
                thread.daemon = True
                thread.start()
                self._threads.append(thread)

    def submit(self, job: Job) -> None:
        self._queue.put(job)

    def stop(self) -> None:
        self._stopping.set()
        for _ in self._threads:
            self._queue.put(None)
        for worker in self._workers:
            worker.stop()
        for thread in self._threads:
            thread.join()
        self._threads.clear()

    def _dispatch(self, worker: Worker) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            try:
                job(worker.invoke)
            except RunnerStoppingError:
                log.info("%s: request abandoned because the runner is stopping", worker.name)
            except Exception:
                log.exception("%s: request handling failed", worker.name)
