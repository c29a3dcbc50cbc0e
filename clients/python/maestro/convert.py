"""Protobuf messages -> plain Python: dicts keyed by the proto field names.

- maestro.v1.Value, google.protobuf.Value / Struct: Python values (see values.py);
- google.protobuf.Timestamp: an aware datetime in UTC, None when unset;
- enums: the value's name without its type prefix (WORKFLOW_STATUS_SUCCEEDED -> "SUCCEEDED"),
  as InstanceChange.status already spells them;
- maestro.v1.SignalParamValue: its int or str;
- int64 fields are ints; a message field that is not set is None; of a oneof only the set member
  appears.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from maestro.values import PB_LIST_TYPE, PB_VALUE_TYPE, STRUCT_TYPE, VALUE_TYPE, dynamic_to_python

_DYNAMIC = {VALUE_TYPE, PB_VALUE_TYPE, STRUCT_TYPE, PB_LIST_TYPE}
_TIMESTAMP = "google.protobuf.Timestamp"
_SIGNAL_PARAM = "maestro.v1.SignalParamValue"
_prefix_cache: dict[str, str] = {}


def _enum_prefix(enum_type: Any) -> str:
    p = _prefix_cache.get(enum_type.full_name)
    if p is None:
        p = re.sub(r"(?<!^)(?=[A-Z])", "_", enum_type.name).upper() + "_"
        _prefix_cache[enum_type.full_name] = p
    return p


def _enum_name(field: FieldDescriptor, number: int) -> str | int:
    v = field.enum_type.values_by_number.get(number)
    if v is None:
        return number
    prefix = _enum_prefix(field.enum_type)
    return v.name[len(prefix):] if v.name.startswith(prefix) else v.name


def _scalar(field: FieldDescriptor, value: Any) -> Any:
    if field.type == FieldDescriptor.TYPE_ENUM:
        return _enum_name(field, value)
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        return message_to_python(value)
    return value


def message_to_python(msg: Message) -> Any:
    full = msg.DESCRIPTOR.full_name
    if full in _DYNAMIC:
        return dynamic_to_python(msg)
    if full == _SIGNAL_PARAM:
        kind = msg.WhichOneof("value")
        return None if kind is None else getattr(msg, kind)
    if full == _TIMESTAMP:
        return datetime.fromtimestamp(msg.seconds, tz=timezone.utc).replace(microsecond=msg.nanos // 1000)
    out: dict[str, Any] = {}
    for field in msg.DESCRIPTOR.fields:
        if field.containing_oneof is not None:
            if msg.WhichOneof(field.containing_oneof.name) != field.name:
                continue
        value = getattr(msg, field.name)
        if field.label == FieldDescriptor.LABEL_REPEATED:
            if field.message_type is not None and field.message_type.GetOptions().map_entry:
                value_field = field.message_type.fields_by_name["value"]
                out[field.name] = {k: _scalar(value_field, v) for k, v in value.items()}
            else:
                out[field.name] = [_scalar(field, v) for v in value]
        elif field.type == FieldDescriptor.TYPE_MESSAGE:
            out[field.name] = message_to_python(value) if msg.HasField(field.name) else None
        else:
            out[field.name] = _scalar(field, value)
    return out
