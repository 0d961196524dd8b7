"""InfluxDB line protocol: a Point and its encoding. Pure; escaping per the InfluxDB 1.x spec."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

Field = int | float | str | bool

_MEASUREMENT = str.maketrans({",": r"\,", " ": r"\ "})
_KEY = str.maketrans({",": r"\,", "=": r"\=", " ": r"\ "})
_STRING = str.maketrans({'"': r"\"", "\\": r"\\"})


@dataclass(frozen=True)
class Point:
    measurement: str
    tags: dict[str, str]
    fields: dict[str, Field]
    time_ns: int


def _check_no_newline(point: Point, what: str, value: str) -> None:
    # A newline ends a line in the protocol and cannot be escaped in names or tags.
    if "\n" in value or "\r" in value:
        raise ValueError(f"{point.measurement}: {what} {value!r} contains a line break; "
                         "line breaks are allowed only in string field values")


def _field_value(point: Point, key: str, value: Field) -> str:
    if isinstance(value, bool):  # before int: bool is an int subclass
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value}i"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{point.measurement}: field {key!r} is {value}; expected a finite number")
        return repr(value)  # repr keeps a decimal point (1.0), so InfluxDB stores a float
    if isinstance(value, str):
        return '"' + value.translate(_STRING) + '"'
    raise ValueError(f"{point.measurement}: field {key!r} has type {type(value).__name__}; "
                     "expected int, float, str or bool")


def encode_point(point: Point) -> str:
    _check_no_newline(point, "measurement", point.measurement)
    parts = [point.measurement.translate(_MEASUREMENT)]
    # Sorted tags are what InfluxDB indexes fastest; empty values are not allowed in the protocol.
    for key in sorted(point.tags):
        value = point.tags[key]
        if value == "" or value is None:
            continue
        _check_no_newline(point, "tag", f"{key}={value}")
        parts.append(f"{key.translate(_KEY)}={str(value).translate(_KEY)}")
    if not point.fields:
        raise ValueError(f"{point.measurement}: a point needs at least one field")
    fields = []
    for key, value in point.fields.items():
        _check_no_newline(point, "field key", key)
        fields.append(f"{key.translate(_KEY)}={_field_value(point, key, value)}")
    return f"{','.join(parts)} {','.join(fields)} {int(point.time_ns)}"


def encode(points: Iterable[Point]) -> bytes:
    return "".join(encode_point(p) + "\n" for p in points).encode()
