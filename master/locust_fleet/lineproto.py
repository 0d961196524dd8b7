"""InfluxDB line protocol: a Point and its encoding. Pure; escaping per the InfluxDB 1.x spec."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

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
    kind = type(value)
    if kind is float:
        if not math.isfinite(value):
            raise ValueError(f"{point.measurement}: field {key!r} is {value}; expected a finite number")
        return repr(value)  # repr keeps a decimal point (1.0), so InfluxDB stores a float
    if kind is int:
        return f"{value}i"
    if kind is str:
        return '"' + value.translate(_STRING) + '"'
    if kind is bool:
        return "true" if value else "false"
    raise ValueError(f"{point.measurement}: field {key!r} has type {kind.__name__}; "
                     "expected int, float, str or bool")


# Names and tag values repeat in every interval (measurements, endpoints, run ids): escaping each
# once is the largest saving when a flush encodes thousands of points.
@lru_cache(maxsize=4096)
def _escaped_measurement(measurement: str) -> str:
    if "\n" in measurement or "\r" in measurement:
        raise ValueError(f"{measurement}: measurement {measurement!r} contains a line break; "
                         "line breaks are allowed only in string field values")
    return measurement.translate(_MEASUREMENT)


@lru_cache(maxsize=65536)
def _escaped_key(key: str) -> str | None:
    """None for a name with a line break, which the protocol cannot carry."""
    return None if "\n" in key or "\r" in key else key.translate(_KEY)


def encode_point(point: Point) -> str:
    parts = [_escaped_measurement(point.measurement)]
    # Sorted tags are what InfluxDB indexes fastest; empty values are not allowed in the protocol.
    for key in sorted(point.tags):
        value = point.tags[key]
        if value == "" or value is None:
            continue
        escaped_key, escaped_value = _escaped_key(key), _escaped_key(str(value))
        if escaped_key is None or escaped_value is None:
            _check_no_newline(point, "tag", f"{key}={value}")
        parts.append(f"{escaped_key}={escaped_value}")
    if not point.fields:
        raise ValueError(f"{point.measurement}: a point needs at least one field")
    fields = []
    for key, value in point.fields.items():
        escaped_key = _escaped_key(key)
        if escaped_key is None:
            _check_no_newline(point, "field key", key)
        fields.append(f"{escaped_key}={_field_value(point, key, value)}")
    return f"{','.join(parts)} {','.join(fields)} {int(point.time_ns)}"


def encode(points: Iterable[Point]) -> bytes:
    return "".join(encode_point(p) + "\n" for p in points).encode()
