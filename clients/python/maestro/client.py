"""Client: push definitions, start and follow instances, send signals over maestro's gRPC API."""
from __future__ import annotations

import json
import threading
import time
from typing import Any, Iterable, Iterator, Mapping

import grpc

from maestro._channel import auth_metadata, open_channel, parse_addresses
from maestro._gen.v1 import (
    actions_pb2,
    actions_pb2_grpc,
    cluster_pb2,
    cluster_pb2_grpc,
    logs_pb2,
    logs_pb2_grpc,
    permits_pb2,
    permits_pb2_grpc,
    service_pb2_grpc,
    signals_pb2,
    signals_pb2_grpc,
    instance_pb2,
    triggers_pb2,
    triggers_pb2_grpc,
    workflow_pb2,
)
from maestro.convert import message_to_python
from maestro.errors import MaestroError
from maestro.values import set_field

TERMINAL = frozenset({"SUCCEEDED", "FAILED", "STOPPED", "TIMED_OUT"})
INT64_MAX = 2**63 - 1


class Client:
    """A client of one maestro node, or of several (``"a:50051,b:50051"`` or a list): a call that
    finds its node UNAVAILABLE is sent to the next one when that is safe (reads, watches, and a
    start with a request_id, which the server deduplicates).

    Instances, changes and signals come back as dicts keyed by the proto field names, with
    statuses as bare names ("SUCCEEDED"), params and outputs as Python values and timestamps as
    datetimes. Errors raise MaestroError (code, message, field).
    """

    def __init__(
        self,
        address: str | Iterable[str],
        token: str | None = None,
        tls: bool | bytes = False,
        timeout: float = 30.0,
    ):
        self._addresses = parse_addresses(address)
        self._metadata = auth_metadata(token)
        self._tls = tls
        self._timeout = timeout
        self._lock = threading.Lock()
        self._index = 0
        self._channel: grpc.Channel | None = None
        self._open(0)

    # -- connection -------------------------------------------------------------------------

    def _open(self, index: int) -> None:
        if self._channel is not None:
            self._channel.close()
        self._index = index % len(self._addresses)
        self._channel = open_channel(self._addresses[self._index], self._tls)
        self._workflows = service_pb2_grpc.WorkflowServiceStub(self._channel)
        self._instances = service_pb2_grpc.InstanceServiceStub(self._channel)
        self._signals = signals_pb2_grpc.SignalServiceStub(self._channel)
        self._cluster = cluster_pb2_grpc.ClusterServiceStub(self._channel)
        self._steps = actions_pb2_grpc.StepServiceStub(self._channel)
        self._permits = permits_pb2_grpc.TagPermitServiceStub(self._channel)
        self._triggers = triggers_pb2_grpc.TriggerServiceStub(self._channel)
        self._logs = logs_pb2_grpc.LogServiceStub(self._channel)

    def _next_node(self, failed_index: int) -> None:
        with self._lock:
            if self._index == failed_index:  # another thread may have moved on already
                self._open(failed_index + 1)

    @property
    def address(self) -> str:
        """The node calls go to now."""
        return self._addresses[self._index]

    def close(self) -> None:
        if self._channel is not None:
            self._channel.close()
            self._channel = None

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _call(self, service: str, method: str, request: Any, retry: bool = True, timeout: float | None = None) -> Any:
        tries = len(self._addresses) if retry else 1
        for attempt in range(tries):
            index = self._index
            stub = getattr(self, service)
            try:
                return getattr(stub, method)(request, metadata=self._metadata, timeout=timeout or self._timeout)
            except grpc.RpcError as err:
                if err.code() == grpc.StatusCode.UNAVAILABLE and attempt + 1 < tries:
                    self._next_node(index)
                    continue
                raise MaestroError.from_rpc(err) from None
        raise AssertionError("unreachable")

    # -- workflows ----------------------------------------------------------------------------

    def push(self, definition: str | Mapping[str, Any]) -> dict[str, Any]:
        """Stores a new version of a workflow from Maestro's create request (JSON or YAML text,
        or a dict). Returns {"workflow": {...version...}, "warnings": [...]}."""
        text = definition if isinstance(definition, str) else json.dumps(definition)
        resp = self._call("_workflows", "CreateWorkflow", workflow_pb2.CreateWorkflowRequest(definition=text), retry=False)
        return message_to_python(resp)

    def validate(self, definition: str | Mapping[str, Any]) -> dict[str, Any]:
        """Checks a definition as push would, storing nothing: {"workflow_id", "step_ids",
        "is_active", "warnings"}; an invalid one raises MaestroError INVALID_ARGUMENT naming the field."""
        text = definition if isinstance(definition, str) else json.dumps(definition)
        return message_to_python(self._call("_workflows", "ValidateWorkflow", workflow_pb2.ValidateWorkflowRequest(definition=text)))

    def get_workflow(self, workflow_id: str, version: int = 0) -> dict[str, Any]:
        """A stored version (0: the active one, else the latest), definition_json included."""
        resp = self._call("_workflows", "GetWorkflow", workflow_pb2.GetWorkflowRequest(workflow_id=workflow_id, version=version))
        return message_to_python(resp.workflow)

    def list_workflows(self) -> list[dict[str, Any]]:
        resp = self._call("_workflows", "ListWorkflows", workflow_pb2.ListWorkflowsRequest())
        return [message_to_python(w) for w in resp.workflows]

    def activate(self, workflow_id: str, version: int) -> dict[str, Any]:
        """Makes `version` the one starts use by default; returns that version."""
        resp = self._call("_workflows", "ActivateWorkflow", workflow_pb2.ActivateWorkflowRequest(workflow_id=workflow_id, version=version), retry=False)
        return message_to_python(resp.workflow)

    def deactivate(self, workflow_id: str) -> int:
        """Leaves the workflow with no active version (starts must then name one); returns the
        version that was active (0 when none was)."""
        resp = self._call("_workflows", "DeactivateWorkflow", workflow_pb2.DeactivateWorkflowRequest(workflow_id=workflow_id), retry=False)
        return resp.deactivated_version

    def delete(self, workflow_id: str) -> None:
        """Deletes every version of the workflow; its instances stay readable."""
        self._call("_workflows", "DeleteWorkflow", workflow_pb2.DeleteWorkflowRequest(workflow_id=workflow_id), retry=False)

    # -- instances ----------------------------------------------------------------------------

    def start(
        self,
        workflow_id: str,
        params: Mapping[str, Any] | None = None,
        request_id: str | None = None,
        version: int = 0,
    ) -> dict[str, Any]:
        """Starts a run (version 0: the active one). With a request_id a repeated start returns
        the same instance (and is retried on another node when this one is unavailable)."""
        req = instance_pb2.StartWorkflowRequest(workflow_id=workflow_id, version=version, request_id=request_id or "")
        set_field(req, "params", params)
        resp = self._call("_instances", "StartWorkflow", req, retry=bool(request_id))
        return message_to_python(resp.instance)

    def get(self, workflow_id: str, instance_id: int) -> dict[str, Any]:
        resp = self._call("_instances", "GetInstance", instance_pb2.GetInstanceRequest(workflow_id=workflow_id, instance_id=instance_id))
        return message_to_python(resp.instance)

    def list(self, workflow_id: str, status: str | None = None, page_size: int = 0) -> Iterator[dict[str, Any]]:
        """Every instance summary of a workflow (pages fetched as needed); status e.g. "FAILED"."""
        status_num = instance_pb2.WorkflowStatus.Value(f"WORKFLOW_STATUS_{status}") if status else 0
        token = ""
        while True:
            req = instance_pb2.ListInstancesRequest(workflow_id=workflow_id, status=status_num, page_size=page_size, page_token=token)
            resp = self._call("_instances", "ListInstances", req)
            for s in resp.instances:
                yield message_to_python(s)
            token = resp.next_page_token
            if not token:
                return

    def stop(self, workflow_id: str, instance_id: int) -> dict[str, Any]:
        resp = self._call("_instances", "StopInstance", instance_pb2.StopInstanceRequest(workflow_id=workflow_id, instance_id=instance_id))
        return message_to_python(resp.instance)

    def kill(self, workflow_id: str, instance_id: int) -> dict[str, Any]:
        resp = self._call("_instances", "KillInstance", instance_pb2.KillInstanceRequest(workflow_id=workflow_id, instance_id=instance_id))
        return message_to_python(resp.instance)

    def restart(self, workflow_id: str, instance_id: int, policy: str = "FROM_INCOMPLETE", from_step: str | None = None) -> dict[str, Any]:
        """Restarts an instance: policy "FROM_INCOMPLETE" (Maestro's default) or "FROM_BEGINNING";
        from_step: restart from that step (RESTART_FROM_SPECIFIC; a new attempt while the instance
        runs, else a new run). Returns the instance."""
        req = instance_pb2.RestartInstanceRequest(
            workflow_id=workflow_id, instance_id=instance_id, policy=_enum(instance_pb2.RestartPolicy, "RESTART_POLICY_", policy, "policy"), restart_from_step=from_step or ""
        )
        return message_to_python(self._call("_instances", "RestartInstance", req, retry=False).instance)

    def unblock(self, workflow_id: str, instance_id: int) -> dict[str, Any]:
        """Unblocks a FAILED instance of a STRICT_SEQUENTIAL workflow (its successors may start)."""
        req = instance_pb2.UnblockInstanceRequest(workflow_id=workflow_id, instance_id=instance_id)
        return message_to_python(self._call("_instances", "UnblockInstance", req, retry=False).instance)

    def unblock_workflow(self, workflow_id: str) -> int:
        """Unblocks every blocking FAILED instance of the workflow; returns how many."""
        return self._call("_instances", "UnblockWorkflow", instance_pb2.UnblockWorkflowRequest(workflow_id=workflow_id), retry=False).unblocked

    def terminate_workflow(self, workflow_id: str, action: str = "STOP", reason: str | None = None) -> dict[str, Any]:
        """Stops ("STOP") or kills ("KILL") every unfinished instance of the workflow:
        {"ended": n, "terminating": n}."""
        req = instance_pb2.TerminateWorkflowRequest(
            workflow_id=workflow_id, action=_enum(instance_pb2.TerminateAction, "TERMINATE_ACTION_", action, "action"), reason=reason or ""
        )
        return message_to_python(self._call("_instances", "TerminateWorkflow", req, retry=False))

    def put_step_outputs(self, workflow_id: str, instance_id: int, step_id: str, outputs: Mapping[str, Any]) -> dict[str, Any]:
        """A RUNNING step reports output params (Python values); returns the instance."""
        req = instance_pb2.PutStepOutputsRequest(workflow_id=workflow_id, instance_id=instance_id, step_id=step_id)
        set_field(req, "outputs", outputs)
        return message_to_python(self._call("_instances", "PutStepOutputs", req, retry=False).instance)

    # -- step actions and breakpoints -----------------------------------------------------------

    def step_action(self, workflow_id: str, instance_id: int, step_id: str, action: str, reason: str | None = None) -> dict[str, Any]:
        """A step action: "STOP", "KILL", "SKIP", "BYPASS_STEP_DEPENDENCIES" or "RESTART". One not
        allowed in the step's status raises MaestroError FAILED_PRECONDITION naming it."""
        req = actions_pb2.StepActionRequest(
            workflow_id=workflow_id, instance_id=instance_id, step_id=step_id, action=_enum(actions_pb2.StepAction, "STEP_ACTION_", action, "action"), reason=reason or ""
        )
        return message_to_python(self._call("_steps", "StepAction", req, retry=False).instance)

    def create_breakpoint(self, workflow_id: str, step_id: str) -> dict[str, Any]:
        """Every later attempt of the step (any version, instance, run) pauses before it runs."""
        req = actions_pb2.CreateBreakpointRequest(workflow_id=workflow_id, step_id=step_id)
        return message_to_python(self._call("_steps", "CreateBreakpoint", req, retry=False).breakpoint)

    def list_breakpoints(self, workflow_id: str | None = None, step_id: str | None = None) -> list[dict[str, Any]]:
        req = actions_pb2.ListBreakpointsRequest(workflow_id=workflow_id or "", step_id=step_id or "")
        return [message_to_python(b) for b in self._call("_steps", "ListBreakpoints", req).breakpoints]

    def list_paused_attempts(self, workflow_id: str, step_id: str) -> list[dict[str, Any]]:
        req = actions_pb2.ListPausedAttemptsRequest(workflow_id=workflow_id, step_id=step_id)
        return [message_to_python(a) for a in self._call("_steps", "ListPausedAttempts", req).attempts]

    def resume(self, workflow_id: str, instance_id: int, step_id: str, attempt: int = 0) -> dict[str, Any]:
        """Resumes one paused attempt (0: the step's current one); the breakpoint stays."""
        req = actions_pb2.ResumeAttemptRequest(workflow_id=workflow_id, instance_id=instance_id, step_id=step_id, attempt=attempt)
        return message_to_python(self._call("_steps", "ResumeAttempt", req, retry=False).instance)

    def delete_breakpoint(self, workflow_id: str, step_id: str, resume: bool = False) -> int:
        """Deletes the breakpoint (resume=True: every attempt paused at it goes on); returns how
        many attempts were resumed."""
        req = actions_pb2.DeleteBreakpointRequest(workflow_id=workflow_id, step_id=step_id, resume=resume)
        return self._call("_steps", "DeleteBreakpoint", req, retry=False).resumed

    # -- logs ---------------------------------------------------------------------------------

    def logs(self, workflow_id: str, instance_id: int, step_id: str, attempt: int = 0, follow: bool = False, timeout: float | None = None) -> Iterator[dict[str, Any]]:
        """A step attempt's stdout/stderr as LogChunk dicts {"attempt", "attempt_id", "stream",
        "text", "end", "status", "truncated"} (attempt 0: the latest). follow=True streams live
        output until the attempt ends (the last chunk has "end" and the attempt's status)."""
        req = logs_pb2.StreamStepLogsRequest(workflow_id=workflow_id, instance_id=instance_id, step_id=step_id, attempt=attempt, follow=follow)
        return self._stream(self._logs.StreamStepLogs, req, timeout)

    def watch(
        self,
        workflow_id: str,
        instance_id: int | None = None,
        timeout: float | None = None,
        request_id: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """The instance's changes (by instance_id, or by the request_id of its start): first a
        snapshot (message "snapshot", the whole instance in "snapshot"), then each change as it
        happens; ends after a terminal workflow status. Raises MaestroError (UNAVAILABLE when the
        node shuts down: watch again; DEADLINE_EXCEEDED past `timeout` seconds)."""
        if instance_id is None and not request_id:
            raise ValueError("instance_id: give an instance_id or a request_id")
        req = instance_pb2.WatchInstanceRequest(workflow_id=workflow_id, instance_id=instance_id or 0, request_id=request_id or "")
        return self._stream(self._instances.WatchInstance, req, timeout)

    def start_and_watch(
        self,
        workflow_id: str,
        params: Mapping[str, Any] | None = None,
        request_id: str | None = None,
        version: int = 0,
        timeout: float | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Starts a run and follows it in one call: the snapshot right after the start, then
        every change until the run ends (see watch)."""
        req = instance_pb2.StartWorkflowRequest(workflow_id=workflow_id, version=version, request_id=request_id or "")
        set_field(req, "params", params)
        return self._stream(self._instances.StartAndWatch, req, timeout)

    def _stream(self, method: Any, req: Any, timeout: float | None) -> Iterator[dict[str, Any]]:
        stream = method(req, metadata=self._metadata, timeout=timeout)
        try:
            for change in stream:
                yield message_to_python(change)
        except grpc.RpcError as err:
            raise MaestroError.from_rpc(err) from None
        finally:
            stream.cancel()

    def run(
        self,
        workflow_id: str,
        params: Mapping[str, Any] | None = None,
        request_id: str | None = None,
        version: int = 0,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """start, then wait: returns the ended instance."""
        inst = self.start(workflow_id, params=params, request_id=request_id, version=version)
        return self.wait(workflow_id, inst["instance_id"], timeout=timeout)

    def wait(self, workflow_id: str, instance_id: int, timeout: float | None = None) -> dict[str, Any]:
        """Blocks until the instance's status is terminal and returns the instance. Follows the
        instance with a watch; a node that goes away is replaced by the next address. Raises
        TimeoutError after `timeout` seconds (None: no limit)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        backoff = 0.05
        while True:
            index = self._index
            try:
                inst = self.get(workflow_id, instance_id)
                if inst["status"] in TERMINAL:
                    return inst
                remaining = None if deadline is None else max(0.001, deadline - time.monotonic())
                for change in self.watch(workflow_id, instance_id, timeout=remaining):
                    if not change["step_id"] and change["status"] in TERMINAL:
                        break
                backoff = 0.05
            except MaestroError as err:
                if err.code == "DEADLINE_EXCEEDED":
                    raise TimeoutError(f"{workflow_id}/{instance_id} did not end within {timeout} s") from None
                if err.code != "UNAVAILABLE":
                    raise
                self._next_node(index)
                time.sleep(backoff)
                backoff = min(backoff * 2, 1.0)
            if deadline is not None and time.monotonic() >= deadline:
                inst = self.get(workflow_id, instance_id)
                if inst["status"] in TERMINAL:
                    return inst
                raise TimeoutError(f"{workflow_id}/{instance_id} did not end within {timeout} s (status {inst['status']})")

    # -- signals and cluster ------------------------------------------------------------------

    def send_signal(
        self,
        name: str,
        params: Mapping[str, int | str] | None = None,
        payload: Mapping[str, Any] | None = None,
        request_id: str | None = None,
    ) -> dict[str, Any]:
        """Announces a signal. params: ints and strs only (Maestro matches on them); payload: any
        JSON-like dict. Returns the stored signal instance (with its seq_id)."""
        req = signals_pb2.SendSignalRequest(name=name, request_id=request_id or "")
        for key, v in (params or {}).items():
            if isinstance(v, bool) or not isinstance(v, (int, str)):
                raise ValueError(f"params.{key}: a signal param is an int or a str, got {type(v).__name__}")
            if isinstance(v, int):
                if abs(v) > INT64_MAX:
                    raise ValueError(f"params.{key}: {v} does not fit in a 64-bit integer")
                req.params[key].long_value = v
            else:
                req.params[key].string_value = v
        set_field(req, "payload", payload)
        resp = self._call("_signals", "SendSignal", req, retry=bool(request_id))
        return message_to_python(resp.instance)

    def get_signal(self, name: str, seq_id: int = 0) -> dict[str, Any]:
        """A stored signal instance by its seq_id (0: the latest)."""
        return message_to_python(self._call("_signals", "GetSignal", signals_pb2.GetSignalRequest(name=name, seq_id=seq_id)).instance)

    def list_signals(self, name: str, after_seq: int = 0, limit: int = 0) -> dict[str, Any]:
        """Signal instances of `name` with seq_id > after_seq (at most `limit`; 0: the server's
        default): {"instances": [...], "latest_seq": n}."""
        return message_to_python(self._call("_signals", "ListSignals", signals_pb2.ListSignalsRequest(name=name, after_seq=after_seq, limit=limit)))

    # -- tag permits and triggers ---------------------------------------------------------------

    def set_tag_permit(self, tag: str, max_allowed: int) -> dict[str, Any]:
        """At most `max_allowed` steps carrying `tag` run at once, across the cluster."""
        req = permits_pb2.SetTagPermitRequest(tag=tag, max_allowed=max_allowed)
        return message_to_python(self._call("_permits", "SetTagPermit", req, retry=False).permit)

    def get_tag_permit(self, tag: str) -> dict[str, Any]:
        return message_to_python(self._call("_permits", "GetTagPermit", permits_pb2.GetTagPermitRequest(tag=tag)).permit)

    def delete_tag_permit(self, tag: str) -> dict[str, Any]:
        """Removes the tag's limit; returns the permit as it was."""
        return message_to_python(self._call("_permits", "DeleteTagPermit", permits_pb2.DeleteTagPermitRequest(tag=tag), retry=False).permit)

    def list_tag_permits(self) -> list[dict[str, Any]]:
        return [message_to_python(p) for p in self._call("_permits", "ListTagPermits", permits_pb2.ListTagPermitsRequest()).permits]

    def get_triggers(self, workflow_id: str, upcoming: int | None = None) -> dict[str, Any]:
        """The workflow's time triggers (with their next `upcoming` fire times) and signal triggers."""
        req = triggers_pb2.GetTriggersRequest(workflow_id=workflow_id)
        if upcoming is not None:
            req.upcoming = upcoming
        return message_to_python(self._call("_triggers", "GetTriggers", req))

    def sync_time_triggers(self, workflow_id: str) -> dict[str, Any]:
        """Re-subscribes the active version's time triggers: {"subscribed": bool, "fired": n}."""
        return message_to_python(self._call("_triggers", "SyncTimeTriggers", triggers_pb2.SyncTimeTriggersRequest(workflow_id=workflow_id), retry=False))

    def cluster_info(self) -> dict[str, Any]:
        return message_to_python(self._call("_cluster", "GetClusterInfo", cluster_pb2.GetClusterInfoRequest()))


def _enum(enum_type: Any, prefix: str, name: str, arg: str) -> int:
    """An enum value by its bare name ("FROM_BEGINNING" for RESTART_POLICY_FROM_BEGINNING, any case)."""
    full = prefix + str(name).upper()
    if full not in enum_type.keys() or full.endswith("_UNSPECIFIED"):
        allowed = ", ".join(k[len(prefix):] for k in enum_type.keys() if not k.endswith("_UNSPECIFIED"))
        raise ValueError(f"{arg}: {name!r} is not one of {allowed}")
    return enum_type.Value(full)
