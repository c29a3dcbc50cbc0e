"""Worker: serves step types over WorkerService.Connect (see proto/maestro/v1/worker.proto).

One stream to one node at a time. The node pushes tasks within the credit (``concurrency``);
each runs ``handler(task)`` in a thread pool and its result goes back on the same stream:

- the handler returns a dict (or None): SUCCEEDED with those outputs;
- it raises FatalError: FATALLY_FAILED; PlatformError: PLATFORM_FAILED; any other exception:
  USER_FAILED (retried per the step's retry policy). The message is the attempt's error and the
  traceback goes to its stderr.

A CancelTask sets ``task.cancelled`` (a threading.Event the handler may check); its result is
still sent, which returns the credit. When the stream drops (node died, shut down, network) the
tasks it gave are cancelled too (the server has given them to another worker, or gives them
again), and the worker reconnects to the next address with backoff (0.1 s doubling to 5 s).
"""
from __future__ import annotations

import logging
import os
import re
import queue
import socket
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Iterator, Mapping

import grpc

from maestro import __version__
from maestro._channel import auth_metadata, open_channel, parse_addresses
from maestro._gen.v1 import worker_pb2, worker_pb2_grpc
from maestro.errors import FatalError, MaestroError, PlatformError
from maestro.values import from_value_map, to_value_map

log = logging.getLogger("maestro.worker")

LOG_LIMIT = 64 * 1024  # the server keeps the last 64 KiB of each log
LOG_BATCH_S = 0.1  # task.log() lines go to the node at most this long after they are logged
LOG_BATCH_CHARS = 16 * 1024  # ...or at once when this much is pending
BACKOFF_MIN = 0.1
BACKOFF_MAX = 5.0
DEFAULT_HEARTBEAT_S = 1.0
TYPE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9._-]*$")
# Refusals of the hello that no retry fixes: run() raises them.
_FATAL_CODES = frozenset({grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED})


@dataclass
class Task:
    """One attempt of a step, as the handler sees it."""

    attempt_id: str
    type: str
    sub_type: str
    workflow_id: str
    instance_id: int
    run_id: int
    step_id: str
    attempt: int
    params: dict[str, Any]
    started_at: datetime | None
    timeout_ms: int
    # The dispatching owner's partition and fencing epoch (informational: the node fences).
    partition: int = 0
    epoch: int = 0
    # Set when the server cancels the attempt (stopped, killed, timed out, redispatched) or the
    # stream that brought it dropped: stop working on it.
    cancelled: threading.Event = field(default_factory=threading.Event)
    cancel_reason: str = ""
    _stdout: list[str] = field(default_factory=list, repr=False)
    _stdout_len: int = field(default=0, repr=False)
    # Live lines: sent (as TaskLog) by `_send` in batches; the lock also orders them before the result.
    _send: Callable[[str], None] | None = field(default=None, repr=False)
    _pending: list[str] = field(default_factory=list, repr=False)
    _pending_len: int = field(default=0, repr=False)
    _timer: threading.Timer | None = field(default=None, repr=False)
    _live_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def log(self, *parts: Any) -> None:
        """A line for the attempt's stdout (only the last 64 KiB are kept), also sent to the node
        live within LOG_BATCH_S (`maestro logs -f` shows it as the step runs)."""
        line = " ".join(str(p) for p in parts) + "\n"
        self._stdout.append(line)
        self._stdout_len += len(line)
        while self._stdout_len > 2 * LOG_LIMIT and len(self._stdout) > 1:
            self._stdout_len -= len(self._stdout.pop(0))
        with self._live_lock:
            if self._send is None:
                return
            self._pending.append(line)
            self._pending_len += len(line)
            if self._pending_len >= LOG_BATCH_CHARS:
                self._flush_locked()
            elif self._timer is None:
                self._timer = threading.Timer(LOG_BATCH_S, self.flush_logs)
                self._timer.daemon = True
                self._timer.start()

    def flush_logs(self, final: bool = False) -> None:
        """Sends the pending lines now; `final`: later lines are not sent live."""
        with self._live_lock:
            self._flush_locked()
            if final:
                self._send = None

    def _flush_locked(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._pending and self._send is not None:
            self._send("".join(self._pending))
        self._pending = []
        self._pending_len = 0

    def stdout(self) -> str:
        return _tail("".join(self._stdout))


def _tail(s: str) -> str:
    return s if len(s) <= LOG_LIMIT else s[-LOG_LIMIT:]


def _task_from_proto(t: worker_pb2.Task) -> Task:
    started = None
    if t.HasField("started_at"):
        started = datetime.fromtimestamp(t.started_at.seconds, tz=timezone.utc).replace(microsecond=t.started_at.nanos // 1000)
    return Task(
        attempt_id=t.attempt_id,
        type=t.type,
        sub_type=t.sub_type,
        workflow_id=t.workflow_id,
        instance_id=t.instance_id,
        run_id=t.run_id,
        step_id=t.step_id,
        attempt=t.attempt,
        params=from_value_map(t.params),
        started_at=started,
        timeout_ms=t.timeout_ms,
        partition=t.partition,
        epoch=t.epoch,
    )


class _Stream:
    """One Connect call: its outgoing queue, the tasks it gave, and its heartbeat clock."""

    _CLOSE = object()

    def __init__(self, hello: worker_pb2.WorkerMessage):
        self.out: queue.Queue[Any] = queue.Queue()
        self.out.put(hello)
        self.tasks: dict[str, Task] = {}
        self.lock = threading.Lock()
        self.heartbeat_s = DEFAULT_HEARTBEAT_S
        self.closed = False
        self.call: Any = None

    def requests(self) -> Iterator[worker_pb2.WorkerMessage]:
        """What gRPC sends: queued messages, and a heartbeat whenever one is due."""
        last_beat = time.monotonic()
        while True:
            wait = last_beat + self.heartbeat_s - time.monotonic()
            try:
                item = self.out.get(timeout=max(0.0, wait)) if wait > 0 else None
            except queue.Empty:
                item = None
            if item is self._CLOSE:
                return
            if item is None:
                with self.lock:
                    running = list(self.tasks)
                last_beat = time.monotonic()
                yield worker_pb2.WorkerMessage(heartbeat=worker_pb2.WorkerHeartbeat(attempt_ids=running))
                continue
            yield item

    def send(self, msg: worker_pb2.WorkerMessage) -> bool:
        with self.lock:
            if self.closed:
                return False
            self.out.put(msg)
            return True

    def close(self, reason: str) -> None:
        with self.lock:
            if self.closed:
                return
            self.closed = True
            tasks = list(self.tasks.values())
            self.tasks.clear()
        self.out.put(self._CLOSE)
        for t in tasks:
            t.cancel_reason = t.cancel_reason or reason
            t.cancelled.set()


Handler = Callable[[Task], "Mapping[str, Any] | None"]


class Worker:
    """Runs `handler(task)` for steps of the given `types`.

    address: "host:port", "a:1,b:2" or a list: the worker connects to one and moves to the next
    when the stream drops. concurrency: tasks held at once (the credit, 1..10000). worker_id:
    shown in the server's logs (default "<hostname>-<pid>"). on_connect(node_id, address): called
    after each welcome (for logs and tests).
    """

    def __init__(
        self,
        address: str | Iterable[str],
        types: Iterable[str] | str,
        handler: Handler,
        concurrency: int = 4,
        worker_id: str | None = None,
        token: str | None = None,
        tls: bool | bytes = False,
        on_connect: Callable[[str, str], None] | None = None,
    ):
        self.addresses = parse_addresses(address)
        self.types = [types] if isinstance(types, str) else list(types)
        if not self.types:
            raise ValueError("types: at least one step type is needed")
        for i, t in enumerate(self.types):
            if not isinstance(t, str) or not TYPE_RE.match(t):
                raise ValueError(f"types[{i}]: {t!r} is not a step type (letters, digits, '.', '-', '_', starting with a letter)")
        if not isinstance(concurrency, int) or not 1 <= concurrency <= 10_000:
            raise ValueError(f"concurrency: must be an int in 1..10000, got {concurrency!r}")
        self.handler = handler
        self.concurrency = concurrency
        self.worker_id = worker_id or f"{socket.gethostname()}-{os.getpid()}"
        self._metadata = auth_metadata(token)
        self._tls = tls
        self._on_connect = on_connect
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="maestro-task")
        self._stopping = threading.Event()
        self._stream: _Stream | None = None
        self._channel: grpc.Channel | None = None
        self.node_id: str | None = None  # the node of the current stream, once welcomed

    # -- lifecycle ----------------------------------------------------------------------------

    def run(self) -> None:
        """Connects and serves until stop(). Moves to the next address whenever a stream ends.
        Raises MaestroError when a node refuses the hello itself (INVALID_ARGUMENT,
        UNAUTHENTICATED, PERMISSION_DENIED): retrying would not help."""
        index = 0
        backoff = BACKOFF_MIN
        try:
            while not self._stopping.is_set():
                address = self.addresses[index % len(self.addresses)]
                welcomed = self._serve(address)
                if self._stopping.is_set():
                    break
                index += 1
                if welcomed:
                    backoff = BACKOFF_MIN
                    continue  # a stream that worked: try the next node at once
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)
        finally:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def stop(self) -> None:
        """Ends run(): closes the stream (its tasks are cancelled and re-dispatched elsewhere)."""
        self._stopping.set()
        stream = self._stream
        if stream is not None:
            stream.close("worker stopped")
            if stream.call is not None:
                stream.call.cancel()

    # -- one stream ---------------------------------------------------------------------------

    def _serve(self, address: str) -> bool:
        """One Connect stream to `address`; returns whether it was welcomed."""
        hello = worker_pb2.WorkerMessage(
            hello=worker_pb2.WorkerHello(
                worker_id=self.worker_id, types=self.types, capacity=self.concurrency, sdk=f"maestro-python/{__version__}"
            )
        )
        stream = _Stream(hello)
        channel = open_channel(address, self._tls)
        welcomed = False
        try:
            stub = worker_pb2_grpc.WorkerServiceStub(channel)
            stream.call = stub.Connect(stream.requests(), metadata=self._metadata)
            self._stream = stream
            if self._stopping.is_set():
                return False
            for cmd in stream.call:
                kind = cmd.WhichOneof("msg")
                if kind == "welcome":
                    welcomed = True
                    w = cmd.welcome
                    if w.heartbeat_interval_ms > 0:
                        # well inside the interval: a silent stream is closed after 3 of them
                        stream.heartbeat_s = w.heartbeat_interval_ms / 1000.0 / 2
                    self.node_id = w.node_id
                    log.info("connected to node %s at %s as %s", w.node_id, address, w.worker_id)
                    if self._on_connect is not None:
                        try:
                            self._on_connect(w.node_id, address)
                        except Exception:  # noqa: BLE001 - a failing callback must not drop the stream
                            log.exception("on_connect callback failed")
                elif kind == "tasks":
                    for t in cmd.tasks.tasks:
                        self._accept(stream, t)
                elif kind == "cancel":
                    with stream.lock:
                        task = stream.tasks.get(cmd.cancel.attempt_id)
                    if task is not None:
                        task.cancel_reason = cmd.cancel.reason
                        task.cancelled.set()
                        log.info("attempt %s cancelled: %s", task.attempt_id, cmd.cancel.reason)
            log.warning("stream to %s ended by the server", address)
        except grpc.RpcError as err:
            if not welcomed and err.code() in _FATAL_CODES:
                raise MaestroError.from_rpc(err) from None
            if not self._stopping.is_set():
                log.warning("stream to %s failed: %s %s", address, err.code().name, err.details())
        finally:
            stream.close(f"stream to {address} closed")
            if stream.call is not None:
                stream.call.cancel()
            channel.close()
            self.node_id = None
        return welcomed

    def _accept(self, stream: _Stream, proto: worker_pb2.Task) -> None:
        with stream.lock:
            if proto.attempt_id in stream.tasks:
                return  # already running here (a redelivery): its one result answers both
            try:
                task = _task_from_proto(proto)
            except Exception as err:  # noqa: BLE001 - a task we cannot read fails, it does not kill the stream
                log.error("task %s unreadable: %s", proto.attempt_id, err)
                stream.out.put(_result(proto.attempt_id, worker_pb2.TASK_STATUS_PLATFORM_FAILED, error=f"worker could not read the task: {err}"))
                return
            stream.tasks[task.attempt_id] = task
            task._send = lambda text, a=task.attempt_id: stream.out.put(
                worker_pb2.WorkerMessage(log=worker_pb2.TaskLog(attempt_id=a, stream="stdout", text=text))
            )
        try:
            self._pool.submit(self._run_task, stream, task)
        except RuntimeError:  # the pool is shut down: stop() is under way, the stream closes
            with stream.lock:
                stream.tasks.pop(task.attempt_id, None)
            log.info("attempt %s not started: the worker is stopping", task.attempt_id)

    def _run_task(self, stream: _Stream, task: Task) -> None:
        status = worker_pb2.TASK_STATUS_SUCCEEDED
        outputs: Mapping[str, Any] | None = None
        error = ""
        stderr = ""
        try:
            outputs = self.handler(task)
            if outputs is not None and not isinstance(outputs, Mapping):
                raise TypeError(f"the handler returned a {type(outputs).__name__}; return a dict of outputs or None")
        except FatalError as err:
            status, error, stderr = worker_pb2.TASK_STATUS_FATALLY_FAILED, _message(err), traceback.format_exc()
        except PlatformError as err:
            status, error, stderr = worker_pb2.TASK_STATUS_PLATFORM_FAILED, _message(err), traceback.format_exc()
        except Exception as err:  # noqa: BLE001 - the step's failure, reported as USER_FAILED
            status, error, stderr = worker_pb2.TASK_STATUS_USER_FAILED, _message(err), traceback.format_exc()
        try:
            out_values = to_value_map(outputs, "outputs") if outputs else {}
        except ValueError as err:
            status, error, out_values = worker_pb2.TASK_STATUS_USER_FAILED, f"bad outputs: {err}", {}
        task.flush_logs(final=True)  # the live lines go before the result
        msg = _result(task.attempt_id, status, out_values, error, task.stdout(), _tail(stderr))
        with stream.lock:
            mine = stream.tasks.pop(task.attempt_id, None) is task
            if mine and not stream.closed:
                stream.out.put(msg)
                return
        # The stream that gave the task is gone: the server re-dispatches the attempt.
        log.info("attempt %s finished after its stream closed; result dropped", task.attempt_id)


def _message(err: BaseException) -> str:
    return str(err) or type(err).__name__


def _result(attempt_id: str, status: int, outputs: Mapping[str, Any] | None = None, error: str = "", stdout: str = "", stderr: str = "") -> worker_pb2.WorkerMessage:
    r = worker_pb2.TaskResult(attempt_id=attempt_id, status=status, error=error, stdout=stdout, stderr=stderr)
    for k, v in (outputs or {}).items():
        r.outputs[k].CopyFrom(v)
    return worker_pb2.WorkerMessage(result=r)
