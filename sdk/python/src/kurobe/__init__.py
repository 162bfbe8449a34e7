"""Kurobe's Python SDK: ask questions of your data, run guarded SQL, script the platform.

from kurobe import Kurobe

with Kurobe() as kurobe:  # KUROBE_API_KEY and KUROBE_BASE_URL from the environment
    source = kurobe.datasources.by_name("Retail demo (DuckDB)")
    answer = kurobe.ask(source.id, "How many orders are there by status?")
    print(answer.sql, answer.rows)
"""

from . import models
from ._async_client import AsyncKurobe
from ._client import Kurobe
from ._core import DEFAULT_BASE_URL, ROUTES, Route, __version__
from .errors import (
    ERROR_CODES,
    AuthenticationError,
    ConflictError,
    InternalError,
    InvalidRequestError,
    KurobeError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnavailableError,
)
from .models import (
    ChartEvent,
    ContextEvent,
    Credentials,
    DoneEvent,
    DuckDbConfig,
    ErrorEvent,
    ExecutingEvent,
    PostgresConfig,
    QueryLimits,
    QueryResponse,
    ResultEvent,
    RowPolicy,
    SqlEvent,
    StreamEvent,
    TrinoConfig,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "ERROR_CODES",
    "ROUTES",
    "AsyncKurobe",
    "AuthenticationError",
    "ChartEvent",
    "ConflictError",
    "ContextEvent",
    "Credentials",
    "DoneEvent",
    "DuckDbConfig",
    "ErrorEvent",
    "ExecutingEvent",
    "InternalError",
    "InvalidRequestError",
    "Kurobe",
    "KurobeError",
    "NotFoundError",
    "PermissionDeniedError",
    "PostgresConfig",
    "QueryLimits",
    "QueryResponse",
    "RateLimitError",
    "ResultEvent",
    "Route",
    "RowPolicy",
    "SqlEvent",
    "StreamEvent",
    "TrinoConfig",
    "UnavailableError",
    "__version__",
    "models",
]
