"""pprof's protobuf format (``profile.proto`` of github.com/google/pprof), decoded by Google's
``protobuf`` runtime from a schema of the fields goleaklint reads, built here at run time.

The schema keeps google/pprof's field numbers and types; the fields left out (mappings, labels,
comments, periods) are skipped by the decoder as unknown fields.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from itertools import chain
from pathlib import Path
from typing import Any

from .model import GOROUTINE, HEAP, Frame, Profile, ProfileError, Sample

_PACKAGE = "goleaklint.pprof"
# (message, [(field, number, type, repeated, message type)]); types are FieldDescriptorProto's.
_INT64, _UINT64, _MESSAGE = 3, 4, 11
_SCHEMA: list[tuple[str, list[tuple[str, int, int, bool, str]]]] = [
    ("ValueType", [("type", 1, _INT64, False, ""), ("unit", 2, _INT64, False, "")]),
    ("Sample", [("location_id", 1, _UINT64, True, ""), ("value", 2, _INT64, True, "")]),
    ("Line", [("function_id", 1, _UINT64, False, ""), ("line", 2, _INT64, False, "")]),
    ("Location", [("id", 1, _UINT64, False, ""), ("line", 4, _MESSAGE, True, "Line")]),
    ("Function", [("id", 1, _UINT64, False, ""), ("name", 2, _INT64, False, ""),
                  ("filename", 4, _INT64, False, "")]),
    ("Profile", [
        ("sample_type", 1, _MESSAGE, True, "ValueType"),
        ("sample", 2, _MESSAGE, True, "Sample"),
        ("location", 4, _MESSAGE, True, "Location"),
        ("function", 5, _MESSAGE, True, "Function"),
        ("string_table", 6, 9, True, ""),  # 9: string
        ("default_sample_type", 14, _INT64, False, ""),
    ]),
]


@functools.cache
def profile_class() -> Any:
    """The message class of ``Profile`` (built once, in a pool of its own)."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    file = descriptor_pb2.FileDescriptorProto(
        name="goleaklint/pprof.proto", package=_PACKAGE, syntax="proto3")
    for name, fields in _SCHEMA:
        message = file.message_type.add(name=name)
        for field, number, kind, repeated, type_name in fields:
            message.field.add(
                name=field, number=number, type=kind,
                label=3 if repeated else 1,  # LABEL_REPEATED, LABEL_OPTIONAL
                type_name=f".{_PACKAGE}.{type_name}" if type_name else None,
            )
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(file.SerializeToString())
    descriptor = pool.FindMessageTypeByName(f"{_PACKAGE}.Profile")
    if hasattr(message_factory, "GetMessageClass"):  # protobuf >= 4.22
        return message_factory.GetMessageClass(descriptor)
    return message_factory.MessageFactory(pool).GetPrototype(descriptor)


def parse(data: bytes, path: Path) -> Profile:
    """A heap or goroutine profile from the bytes of a (decompressed) pprof protobuf."""
    from google.protobuf.message import DecodeError

    message = profile_class()()
    try:
        message.ParseFromString(data)
    except (DecodeError, RuntimeError, ValueError) as exc:
        raise ProfileError(f"not a pprof profile ({' '.join(str(exc).split()) or 'undecodable'})"
                           ) from None
    strings: list[str] = list(message.string_table)
    if not strings or strings[0] != "" or not message.sample_type:
        raise ProfileError("not a pprof profile (no sample types or string table)")

    def string(index: int) -> str:
        if not 0 <= index < len(strings):
            raise ProfileError(f"malformed pprof profile (string index {index} out of range)")
        return strings[index]

    types = [string(t.type) for t in message.sample_type]
    kind, measure, columns = _columns(types, string(message.default_sample_type))
    functions = {f.id: (string(f.name), string(f.filename)) for f in message.function}
    frames_of: defaultdict[int, tuple[Frame, ...]] = defaultdict(tuple)  # shared by samples
    for location in message.location:
        frames = []
        for line in location.line:  # innermost (inlined) first, as pprof orders them
            name, filename = functions.get(line.function_id, ("", ""))
            frames.append(Frame(name, filename, line.line))
        frames_of[location.id] = tuple(frames)
    profile = Profile(path=path, kind=kind, format="profile", measure=measure)
    first, second = columns[0], columns[-1]
    append = profile.samples.append
    for sample in message.sample:
        values = sample.value  # indexed, not copied: upb's containers are slow to iterate
        if len(values) != len(types):
            raise ProfileError(f"malformed pprof profile ({len(values)} values in a sample "
                               f"of {len(types)} sample types)")
        stack = tuple(chain.from_iterable(map(frames_of.__getitem__, sample.location_id)))
        if kind == HEAP:
            append(Sample(stack, bytes=values[first], objects=values[second]))
        else:
            append(Sample(stack, goroutines=values[first]))
    return profile


def _columns(types: list[str], default: str) -> tuple[str, str, tuple[int, ...]]:
    """(kind, measure, indexes of the values used) for a profile's sample types; a profile of
    another kind (cpu, mutex, block) is a ProfileError."""
    if "inuse_space" in types and "inuse_objects" in types and not default.startswith("alloc"):
        return HEAP, "live", (types.index("inuse_space"), types.index("inuse_objects"))
    if "alloc_space" in types and "alloc_objects" in types:
        return HEAP, "allocated", (types.index("alloc_space"), types.index("alloc_objects"))
    for i, name in enumerate(types):
        if "goroutine" in name:  # goroutine, and goroutineleak (Go 1.26)
            return GOROUTINE, "", (i,)
    shown = ", ".join(types[:4]) or "none"
    raise ProfileError(f"a profile of {shown}: goleaklint reads heap and goroutine profiles")
