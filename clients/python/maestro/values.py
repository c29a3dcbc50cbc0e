"""Python values <-> protobuf: maestro.v1.Value (typed: an int stays an int) and, for fields
still declared as google.protobuf.Value / Struct, protobuf's own JSON-like mapping.

    int   <-> long_value (int64; outside that range is an error)
    float <-> double_value (3.0 stays a float)
    bool  <-> bool_value (checked before int: bool is a subclass of int in Python)
    str   <-> string_value
    dict  <-> map_value (keys must be str)
    list / tuple <-> list_value
    None  <-> null_value

A value of any other type raises ValueError naming where it was (``params.rows[2]``).
"""
from __future__ import annotations

import math
from typing import Any, Mapping

from google.protobuf import json_format
from google.protobuf.message import Message

from maestro._gen.v1 import value_pb2

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

VALUE_TYPE = "maestro.v1.Value"
STRUCT_TYPE = "google.protobuf.Struct"
PB_VALUE_TYPE = "google.protobuf.Value"
PB_LIST_TYPE = "google.protobuf.ListValue"


def to_value(py: Any, path: str = "value") -> value_pb2.Value:
    """A Python value as a maestro.v1.Value."""
    v = value_pb2.Value()
    _fill_value(v, py, path)
    return v


def _fill_value(v: value_pb2.Value, py: Any, path: str) -> None:
    if py is None:
        v.null_value = value_pb2.NULL_VALUE_UNSPECIFIED
    elif isinstance(py, bool):  # before int: True is an int too
        v.bool_value = py
    elif isinstance(py, int):
        if py < INT64_MIN or py > INT64_MAX:
            raise ValueError(f"{path}: {py} does not fit in a 64-bit integer (send it as a string)")
        v.long_value = py
    elif isinstance(py, float):
        v.double_value = py
    elif isinstance(py, str):
        v.string_value = py
    elif isinstance(py, Mapping):
        fields = v.map_value.fields  # touching map_value selects it even when the dict is empty
        v.map_value.SetInParent()
        for key, item in py.items():
            if not isinstance(key, str):
                raise ValueError(f"{path}: map keys must be strings, got {type(key).__name__} {key!r}")
            _fill_value(fields[key], item, f"{path}.{key}")
    elif isinstance(py, (list, tuple)):
        v.list_value.SetInParent()
        for i, item in enumerate(py):
            _fill_value(v.list_value.values.add(), item, f"{path}[{i}]")
    else:
        raise ValueError(f"{path}: cannot send a {type(py).__name__} (use int, float, bool, str, dict, list or None)")


def from_value(v: value_pb2.Value) -> Any:
    """A maestro.v1.Value as a Python value (an unset Value is None)."""
    kind = v.WhichOneof("kind")
    if kind is None or kind == "null_value":
        return None
    if kind == "map_value":
        return {k: from_value(item) for k, item in v.map_value.fields.items()}
    if kind == "list_value":
        return [from_value(item) for item in v.list_value.values]
    return getattr(v, kind)


def to_value_map(py: Mapping[str, Any] | None, path: str = "params") -> dict[str, value_pb2.Value]:
    """A dict of Python values as the entries of a `map<string, maestro.v1.Value>`."""
    if py is None:
        return {}
    if not isinstance(py, Mapping):
        raise ValueError(f"{path}: must be a dict, got {type(py).__name__}")
    out = {}
    for key, item in py.items():
        if not isinstance(key, str):
            raise ValueError(f"{path}: keys must be strings, got {type(key).__name__} {key!r}")
        out[key] = to_value(item, f"{path}.{key}")
    return out


def from_value_map(m: Mapping[str, value_pb2.Value]) -> dict[str, Any]:
    return {k: from_value(v) for k, v in m.items()}


def _check_json(py: Any, path: str) -> None:
    """google.protobuf.Value holds doubles: refuse what it would silently change."""
    if py is None or isinstance(py, (bool, str)):
        return
    if isinstance(py, int):
        if abs(py) > 2**53:
            raise ValueError(f"{path}: {py} is beyond 2^53 and would lose precision as a double (send it as a string)")
        return
    if isinstance(py, float):
        if math.isnan(py) or math.isinf(py):
            raise ValueError(f"{path}: {py} cannot be sent")
        return
    if isinstance(py, Mapping):
        for key, item in py.items():
            if not isinstance(key, str):
                raise ValueError(f"{path}: map keys must be strings, got {type(key).__name__} {key!r}")
            _check_json(item, f"{path}.{key}")
        return
    if isinstance(py, (list, tuple)):
        for i, item in enumerate(py):
            _check_json(item, f"{path}[{i}]")
        return
    raise ValueError(f"{path}: cannot send a {type(py).__name__} (use int, float, bool, str, dict, list or None)")


def set_field(msg: Message, name: str, py: Any) -> None:
    """Sets the dynamic field `name` of `msg` (params, outputs, payload) from Python values,
    whichever of the supported protobuf types it is declared as: a map of maestro.v1.Value, a
    google.protobuf.Struct or a single maestro.v1.Value."""
    if py is None:
        return
    field = msg.DESCRIPTOR.fields_by_name[name]
    if _is_map(field):
        value_type = field.message_type.fields_by_name["value"].message_type
        target = getattr(msg, name)
        if not isinstance(py, Mapping):
            raise ValueError(f"{name}: must be a dict, got {type(py).__name__}")
        if value_type.full_name == VALUE_TYPE:
            for key, v in to_value_map(py, name).items():
                target[key].CopyFrom(v)
            return
        raise TypeError(f"{name}: unsupported map value type {value_type.full_name}")
    if field.message_type is not None and field.message_type.full_name == STRUCT_TYPE:
        if not isinstance(py, Mapping):
            raise ValueError(f"{name}: must be a dict, got {type(py).__name__}")
        _check_json(py, name)
        json_format.ParseDict(dict(py), getattr(msg, name))
        return
    if field.message_type is not None and field.message_type.full_name == VALUE_TYPE:
        getattr(msg, name).CopyFrom(to_value(py, name))
        return
    raise TypeError(f"{name}: not a dynamic value field ({field.type})")


def _is_map(field: Any) -> bool:
    return (
        field.label == field.LABEL_REPEATED
        and field.message_type is not None
        and field.message_type.GetOptions().map_entry
    )


def dynamic_to_python(msg: Message) -> Any:
    """A maestro.v1.Value, google.protobuf.Value / Struct / ListValue as a Python value."""
    full = msg.DESCRIPTOR.full_name
    if full == VALUE_TYPE:
        return from_value(msg)  # type: ignore[arg-type]
    if full in (STRUCT_TYPE, PB_VALUE_TYPE, PB_LIST_TYPE):
        return json_format.MessageToDict(msg)
    raise TypeError(f"not a dynamic value message: {full}")


__all__ = [
    "to_value",
    "from_value",
    "to_value_map",
    "from_value_map",
    "set_field",
    "dynamic_to_python",
]
