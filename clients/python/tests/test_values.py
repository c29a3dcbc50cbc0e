"""Unit tests of the pure parts: Value conversion and message -> dict. Run:
PYTHONPATH=clients/python /usr/bin/python3 -m unittest discover -s clients/python/tests
"""
import unittest
from datetime import datetime, timezone

from google.protobuf import struct_pb2

from maestro._gen.v1 import instance_pb2, signals_pb2, value_pb2, worker_pb2
from maestro.convert import message_to_python
from maestro.values import from_value, set_field, to_value, to_value_map


class ValueConversion(unittest.TestCase):
    def test_kinds(self):
        self.assertEqual(to_value(7).WhichOneof("kind"), "long_value")
        self.assertEqual(to_value(7.0).WhichOneof("kind"), "double_value")
        self.assertEqual(to_value(True).WhichOneof("kind"), "bool_value")  # not long_value
        self.assertEqual(to_value(False).bool_value, False)
        self.assertEqual(to_value("x").WhichOneof("kind"), "string_value")
        self.assertEqual(to_value(None).WhichOneof("kind"), "null_value")
        self.assertEqual(to_value({}).WhichOneof("kind"), "map_value")
        self.assertEqual(to_value([]).WhichOneof("kind"), "list_value")
        self.assertEqual(to_value((1, 2)).WhichOneof("kind"), "list_value")

    def test_round_trip_keeps_types(self):
        py = {"n": 2**62, "neg": -5, "d": 3.0, "b": True, "s": "20", "z": None, "l": [1, 1.5, "a", [False]], "m": {"k": {"x": 1}}, "e": {}, "el": []}
        back = from_value(value_pb2.Value.FromString(to_value(py).SerializeToString()))
        self.assertEqual(back, py)
        self.assertIs(type(back["n"]), int)
        self.assertIs(type(back["d"]), float)
        self.assertIs(type(back["b"]), bool)

    def test_errors_name_the_path(self):
        with self.assertRaisesRegex(ValueError, r"^params\.a\.b\[1\]: cannot send a set"):
            to_value_map({"a": {"b": [1, {1, 2}]}}, "params")
        with self.assertRaisesRegex(ValueError, r"^value: .* does not fit in a 64-bit integer"):
            to_value(2**63)
        with self.assertRaisesRegex(ValueError, r"^value: map keys must be strings"):
            to_value({1: "a"})
        to_value(2**63 - 1)
        to_value(-(2**63))

    def test_unset_value_is_none(self):
        self.assertIsNone(from_value(value_pb2.Value()))


class SetField(unittest.TestCase):
    def test_value_map(self):
        r = worker_pb2.TaskResult()
        set_field(r, "outputs", {"rows": 5, "ok": True})
        self.assertEqual(r.outputs["rows"].long_value, 5)
        self.assertTrue(r.outputs["ok"].bool_value)

    def test_start_params(self):
        req = instance_pb2.StartWorkflowRequest()
        set_field(req, "params", {"n": 3, "s": "x", "l": [1, "a"]})
        self.assertEqual(req.params["n"].long_value, 3)
        self.assertEqual(message_to_python(req)["params"], {"n": 3, "s": "x", "l": [1, "a"]})

    def test_struct_refuses_what_a_double_loses(self):
        with self.assertRaisesRegex(ValueError, r"^struct_value\.n: .* beyond 2\^53"):
            set_field(struct_pb2.Value(), "struct_value", {"n": 2**60})

    def test_struct(self):
        # a google.protobuf.Struct field (google.protobuf.Value.struct_value: the API's own
        # Struct fields moved to maestro.v1.Value maps)
        v = struct_pb2.Value()
        set_field(v, "struct_value", {"a": [1, {"b": None}]})
        self.assertIsInstance(v.struct_value, struct_pb2.Struct)
        self.assertEqual(message_to_python(v), {"a": [1, {"b": None}]})

    def test_signal_payload(self):
        # a Struct before the typed-values change, a map of maestro.v1.Value after: both work
        req = signals_pb2.SendSignalRequest()
        set_field(req, "payload", {"a": [1, {"b": None}]})
        self.assertEqual(message_to_python(req)["payload"], {"a": [1, {"b": None}]})

    def test_none_leaves_it_unset(self):
        req = worker_pb2.TaskResult()
        set_field(req, "outputs", None)
        self.assertEqual(len(req.outputs), 0)
        v = struct_pb2.Value()
        set_field(v, "struct_value", None)
        self.assertIsNone(v.WhichOneof("kind"))

    def test_not_a_dict(self):
        with self.assertRaisesRegex(ValueError, r"^outputs: must be a dict"):
            set_field(worker_pb2.TaskResult(), "outputs", [1])


class MessageToPython(unittest.TestCase):
    def test_instance(self):
        inst = instance_pb2.Instance(workflow_id="wf", instance_id=2**40, status=instance_pb2.WORKFLOW_STATUS_SUCCEEDED)
        inst.created_at.FromDatetime(datetime(2026, 1, 2, 3, 4, 5, 6000))
        step = inst.steps.add(step_id="a", status=instance_pb2.STEP_STATUS_USER_FAILED)
        step.attempts.add(attempt=1)
        d = message_to_python(inst)
        self.assertEqual(d["status"], "SUCCEEDED")
        self.assertEqual(d["instance_id"], 2**40)
        self.assertEqual(d["created_at"], datetime(2026, 1, 2, 3, 4, 5, 6000, tzinfo=timezone.utc))
        self.assertIsNone(d["ended_at"])
        self.assertEqual(d["steps"][0]["status"], "USER_FAILED")
        self.assertEqual(d["steps"][0]["attempts"][0]["attempt"], 1)
        self.assertEqual(d["run_policy"], "UNSPECIFIED")

    def test_oneof_and_signal_params(self):
        s = signals_pb2.SignalInstance(name="n")
        s.params["i"].long_value = 3
        s.params["t"].string_value = "x"
        self.assertEqual(message_to_python(s)["params"], {"i": 3, "t": "x"})
        cmd = worker_pb2.WorkerCommand(cancel=worker_pb2.CancelTask(attempt_id="a", reason="stopped"))
        self.assertEqual(message_to_python(cmd), {"cancel": {"attempt_id": "a", "reason": "stopped"}})


if __name__ == "__main__":
    unittest.main()
