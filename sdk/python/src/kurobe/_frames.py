"""Answers as data frames: pyarrow and pandas are optional, imported only when asked for."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from .models import Column, DataType


def _missing(extra: str, module: str) -> ImportError:
    return ImportError(f"{module} is not installed: pip install 'kurobe[{extra}]'")


def _import_pyarrow() -> Any:
    try:
        import pyarrow
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise _missing("arrow", "pyarrow") from error
    return pyarrow


def _import_pandas() -> Any:
    try:
        import pandas
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise _missing("pandas", "pandas") from error
    return pandas


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value))


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _datetime(value: Any) -> dt.datetime:
    # The wire carries RFC 3339; Python 3.10's fromisoformat does not read a trailing Z.
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _converter(data_type: DataType) -> Callable[[Any], Any] | None:
    """How one wire value of a column becomes the Python value a frame should hold."""
    kind = data_type.kind
    if kind == "decimal":
        return _decimal
    if kind == "date":
        return _date
    if kind in ("timestamp", "timestamp_tz"):
        return _datetime
    if kind == "integer" and (data_type.bits or 64) > 64:
        return int  # 128-bit integers travel as strings
    return None


def _column_values(rows: Sequence[Sequence[Any]], index: int, data_type: DataType) -> list[Any]:
    convert = _converter(data_type)
    values = [row[index] for row in rows]
    if convert is None:
        return values
    return [None if v is None else convert(v) for v in values]


def _arrow_type(pa_module: Any, data_type: DataType) -> Any:
    kind = data_type.kind
    if kind == "boolean":
        return pa_module.bool_()
    if kind == "integer":
        bits = data_type.bits or 64
        return pa_module.int64() if bits <= 64 else pa_module.decimal128(38, 0)
    if kind == "float":
        return pa_module.float64()
    if kind == "decimal":
        return pa_module.decimal128(data_type.precision or 38, data_type.scale or 0)
    if kind == "date":
        return pa_module.date32()
    if kind == "timestamp":
        return pa_module.timestamp("us")
    if kind == "timestamp_tz":
        return pa_module.timestamp("us", tz="UTC")
    if kind == "array":
        return pa_module.list_(_arrow_type(pa_module, data_type.element)) if data_type.element else None
    if kind in ("text", "time", "interval", "json", "uuid", "binary", "other"):
        return pa_module.string()
    return None


def to_arrow(columns: Sequence[Column], rows: Sequence[Sequence[Any]]) -> pa.Table:
    pa_module = _import_pyarrow()
    arrays = [
        pa_module.array(_column_values(rows, i, c.data_type), type=_arrow_type(pa_module, c.data_type))
        for i, c in enumerate(columns)
    ]
    table: pa.Table = pa_module.Table.from_arrays(arrays, names=[c.name for c in columns])
    return table


def to_pandas(columns: Sequence[Column], rows: Sequence[Sequence[Any]]) -> pd.DataFrame:
    pd_module = _import_pandas()
    data: dict[str, Any] = {}
    for i, column in enumerate(columns):
        values = _column_values(rows, i, column.data_type)
        kind = column.data_type.kind
        if kind in ("date", "timestamp", "timestamp_tz"):
            data[column.name] = pd_module.to_datetime(pd_module.Series(values, dtype=object))
        elif kind == "integer" and (column.data_type.bits or 64) <= 64:
            data[column.name] = pd_module.Series(values, dtype="Int64")
        elif kind == "boolean":
            data[column.name] = pd_module.Series(values, dtype="boolean")
        elif kind == "float":
            data[column.name] = pd_module.Series(values, dtype="float64")
        else:
            data[column.name] = pd_module.Series(values, dtype=object)
    frame: pd.DataFrame = pd_module.DataFrame(data, columns=[c.name for c in columns])
    return frame
