"""The Worker against a fake WorkerService in this process (a Python gRPC server on a free
port): hello, heartbeats, results and their statuses, cancels, and reconnecting to the next
address when a stream drops. Everything waits on queues/events with a bound, never on sleeps."""
import queue
import threading
import unittest
from concurrent import futures

import grpc

from maestro import FatalError, MaestroError, PlatformError, Worker
from maestro._gen.v1 import worker_pb2, worker_pb2_grpc

WAIT = 10.0


class FakeNode(worker_pb2_grpc.WorkerServiceServicer):
    """Records what workers send; the test pushes commands into `commands`."""

    def __init__(self, node_id, heartbeat_ms=200, refuse=None):
        self.node_id = node_id
        self.refuse = refuse
        self.heartbeat_ms = heartbeat_ms
        self.received = queue.Queue()  # every WorkerMessage, in order
        self.commands = queue.Queue()  # WorkerCommand to send, or "close" / "abort"
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        worker_pb2_grpc.add_WorkerServiceServicer_to_server(self, self.server)
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def Connect(self, request_iterator, context):
        first = next(request_iterator)
        self.received.put(first)
        if self.refuse is not None:
            context.abort(self.refuse, "hello.capacity: must be 1..10000")
        if first.WhichOneof("msg") != "hello":
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "hello: the first message must be hello")
        threading.Thread(target=self._pump, args=(request_iterator,), daemon=True).start()
        yield worker_pb2.WorkerCommand(welcome=worker_pb2.WorkerWelcome(node_id=self.node_id, heartbeat_interval_ms=self.heartbeat_ms, worker_id=first.hello.worker_id))
        while context.is_active():
            try:
                cmd = self.commands.get(timeout=0.05)
            except queue.Empty:
                continue
            if cmd == "close":
                return
            if cmd == "abort":
                context.abort(grpc.StatusCode.UNAVAILABLE, "node shutting down")
            yield cmd

    def _pump(self, it):
        try:
            for m in it:
                self.received.put(m)
        except grpc.RpcError:
            pass

    def next(self, kind, pred=lambda m: True):
        """The next message of `kind` (others are skipped) matching pred."""
        while True:
            m = self.received.get(timeout=WAIT)
            if m.WhichOneof("msg") == kind and pred(getattr(m, kind)):
                return getattr(m, kind)

    def push(self, *tasks):
        self.commands.put(worker_pb2.WorkerCommand(tasks=worker_pb2.TaskBatch(tasks=list(tasks))))

    def stop(self):
        self.server.stop(0)


def task(attempt_id, **params):
    t = worker_pb2.Task(attempt_id=attempt_id, type="py_test", workflow_id="wf", instance_id=1, run_id=1, step_id="s", attempt=1)
    for k, v in params.items():
        if isinstance(v, int):
            t.params[k].long_value = v
        else:
            t.params[k].string_value = v
    return t


class WorkerTest(unittest.TestCase):
    def setUp(self):
        self.nodes = []
        self.workers = []

    def tearDown(self):
        for w, th in self.workers:
            w.stop()
            th.join(WAIT)
        for n in self.nodes:
            n.stop()

    def node(self, name, **kw):
        n = FakeNode(name, **kw)
        self.nodes.append(n)
        return n

    def start(self, addresses, handler, **kw):
        connected = queue.Queue()
        w = Worker(addresses, ["py_test"], handler, on_connect=lambda node, addr: connected.put(node), **kw)
        th = threading.Thread(target=w.run, daemon=True)
        th.start()
        self.workers.append((w, th))
        return w, connected

    def test_hello_results_and_statuses(self):
        n = self.node("n1")

        def handler(t):
            t.log("working on", t.attempt_id)
            mode = t.params["mode"]
            if mode == "fatal":
                raise FatalError("cannot ever work")
            if mode == "platform":
                raise PlatformError("disk gone")
            if mode == "user":
                raise RuntimeError("bad input")
            if mode == "bad":
                return {"s": {1, 2}}
            return {"rows": t.params["n"] * 2, "ratio": 0.5, "tags": ["a"], "ok": True}

        _, connected = self.start(n.address, handler, concurrency=3, worker_id="w-1")
        hello = n.next("hello")
        self.assertEqual(list(hello.types), ["py_test"])
        self.assertEqual(hello.capacity, 3)
        self.assertEqual(hello.worker_id, "w-1")
        self.assertTrue(hello.sdk.startswith("maestro-python/"))
        self.assertEqual(connected.get(timeout=WAIT), "n1")
        n.push(task("a/ok", mode="ok", n=21), task("a/fatal", mode="fatal"), task("a/user", mode="user"))
        n.push(task("a/platform", mode="platform"), task("a/bad", mode="bad"))
        results = {}
        while len(results) < 5:
            r = n.next("result")
            results[r.attempt_id] = r
        ok = results["a/ok"]
        self.assertEqual(ok.status, worker_pb2.TASK_STATUS_SUCCEEDED)
        self.assertEqual(ok.outputs["rows"].long_value, 42)
        self.assertEqual(ok.outputs["rows"].WhichOneof("kind"), "long_value")
        self.assertEqual(ok.outputs["ratio"].double_value, 0.5)
        self.assertTrue(ok.outputs["ok"].bool_value)
        self.assertIn("working on a/ok", ok.stdout)
        self.assertEqual(results["a/fatal"].status, worker_pb2.TASK_STATUS_FATALLY_FAILED)
        self.assertEqual(results["a/fatal"].error, "cannot ever work")
        self.assertIn("Traceback", results["a/fatal"].stderr)
        self.assertEqual(results["a/user"].status, worker_pb2.TASK_STATUS_USER_FAILED)
        self.assertEqual(results["a/user"].error, "bad input")
        self.assertEqual(results["a/platform"].status, worker_pb2.TASK_STATUS_PLATFORM_FAILED)
        self.assertEqual(results["a/bad"].status, worker_pb2.TASK_STATUS_USER_FAILED)
        self.assertRegex(results["a/bad"].error, r"^bad outputs: outputs\.s: cannot send a set")

    def test_heartbeats_name_running_attempts(self):
        n = self.node("n1", heartbeat_ms=100)
        release = threading.Event()
        started = queue.Queue()

        def handler(t):
            started.put(t.attempt_id)
            release.wait(WAIT)
            return None

        self.start(n.address, handler)
        n.next("hello")
        n.push(task("hb/1"))
        self.assertEqual(started.get(timeout=WAIT), "hb/1")
        beat = n.next("heartbeat", lambda h: list(h.attempt_ids) == ["hb/1"])
        self.assertEqual(list(beat.attempt_ids), ["hb/1"])
        release.set()
        self.assertEqual(n.next("result").attempt_id, "hb/1")

    def test_cancel_sets_the_event_and_the_result_still_returns_the_credit(self):
        n = self.node("n1")
        seen = queue.Queue()

        def handler(t):
            seen.put(t)
            if not t.cancelled.wait(WAIT):
                raise AssertionError("never cancelled")
            return {"stopped_early": True}

        self.start(n.address, handler)
        n.next("hello")
        n.push(task("c/1"))
        t = seen.get(timeout=WAIT)
        n.commands.put(worker_pb2.WorkerCommand(cancel=worker_pb2.CancelTask(attempt_id="c/1", reason="stopped")))
        r = n.next("result")
        self.assertEqual(r.attempt_id, "c/1")
        self.assertEqual(t.cancel_reason, "stopped")

    def test_redelivery_on_the_same_stream_runs_once(self):
        n = self.node("n1")
        release = threading.Event()
        runs = queue.Queue()

        def handler(t):
            runs.put(t.attempt_id)
            release.wait(WAIT)
            return {}

        self.start(n.address, handler)
        n.next("hello")
        n.push(task("d/1"))
        self.assertEqual(runs.get(timeout=WAIT), "d/1")
        n.push(task("d/1"), task("d/2"))
        self.assertEqual(runs.get(timeout=WAIT), "d/2")
        release.set()
        got = {n.next("result").attempt_id, n.next("result").attempt_id}
        self.assertEqual(got, {"d/1", "d/2"})
        self.assertTrue(runs.empty(), "d/1 ran once")

    def test_reconnects_to_the_next_address_and_drops_the_old_streams_results(self):
        n1, n2 = self.node("n1"), self.node("n2")
        release = threading.Event()
        seen = queue.Queue()

        def handler(t):
            seen.put(t)
            release.wait(WAIT)
            return {"node": "x"}

        w, connected = self.start([n1.address, n2.address], handler)
        self.assertEqual(connected.get(timeout=WAIT), "n1")
        n1.push(task("r/1"))
        old = seen.get(timeout=WAIT)
        n1.commands.put("abort")  # the node goes away mid-task
        self.assertEqual(connected.get(timeout=WAIT), "n2")
        self.assertTrue(old.cancelled.is_set(), "a task of a dropped stream is cancelled")
        self.assertEqual(w.node_id, "n2")
        n2.push(task("r/1"))  # re-dispatched to the same worker on its new stream
        again = seen.get(timeout=WAIT)
        self.assertIsNot(again, old)
        release.set()
        self.assertEqual(n2.next("result").attempt_id, "r/1")
        # n1 never got the result of the stream it closed
        while not n1.received.empty():
            self.assertNotEqual(n1.received.get().WhichOneof("msg"), "result")

    def test_an_unreachable_address_is_skipped(self):
        dead = self.node("dead")
        dead_address = dead.address
        dead.stop()
        n = self.node("n1")
        _, connected = self.start([dead_address, n.address], lambda t: {})
        self.assertEqual(connected.get(timeout=WAIT), "n1")

    def test_a_refused_hello_ends_run_with_the_error(self):
        n = self.node("n1", refuse=grpc.StatusCode.INVALID_ARGUMENT)
        w = Worker(n.address, ["py_test"], lambda t: {})
        with self.assertRaises(MaestroError) as ctx:
            w.run()
        self.assertEqual(ctx.exception.code, "INVALID_ARGUMENT")
        self.assertIn("hello.capacity", ctx.exception.message)

    def test_bad_arguments(self):
        with self.assertRaisesRegex(ValueError, r"^types\[1\]: '9x' is not a step type"):
            Worker("x:1", ["ok", "9x"], lambda t: None)
        with self.assertRaisesRegex(ValueError, r"^concurrency:"):
            Worker("x:1", ["t"], lambda t: None, concurrency=0)
        with self.assertRaisesRegex(ValueError, r"^types:"):
            Worker("x:1", [], lambda t: None)
        with self.assertRaisesRegex(ValueError, r"^address:"):
            Worker("", ["t"], lambda t: None)


if __name__ == "__main__":
    unittest.main()
