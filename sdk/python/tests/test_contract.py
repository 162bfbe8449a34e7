"""The SDK and openapi.json agree: every route, query parameter, schema, field, enumeration
value and error code exists on both sides or the test says which one lacks it."""

from __future__ import annotations

import json
import re
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel

import kurobe
from kurobe import ERROR_CODES, ROUTES, models

REPO = Path(__file__).resolve().parents[3]
SPEC: dict[str, Any] = json.loads((REPO / "openapi.json").read_text())
SCHEMAS: dict[str, Any] = SPEC["components"]["schemas"]
METHODS = {"get", "post", "put", "patch", "delete"}


# The Rust catalogue: variant, wire code, HTTP status, family.
CATALOGUE = re.findall(
    r'^\s*(\w+) = "(\w+)", (\d{3}), (\w+),', (REPO / "backend/api/src/error.rs").read_text(), re.MULTILINE
)


def wire_code(value: str) -> str:
    """openapi.json lists ErrorCode by Rust variant (``DataSourceUnavailable``) where the wire
    says ``datasource_unavailable``; a snake_case value is taken as it is."""
    return next((code for variant, code, _, _ in CATALOGUE if variant == value), value)


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def spec_routes() -> dict[tuple[str, str], set[str]]:
    """Every route but the MCP endpoint, which speaks to agents rather than to SDKs."""
    routes: dict[tuple[str, str], set[str]] = {}
    for path, operations in SPEC["paths"].items():
        for method, operation in operations.items():
            if method in METHODS and "mcp" not in operation.get("tags", []):
                params = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
                routes[(method.upper(), path)] = params
    return routes


def test_every_route_of_the_spec_is_in_the_sdk_and_no_other() -> None:
    spec = spec_routes()
    sdk = {(r.method, r.path): set(r.query) for r in ROUTES}
    assert sorted(set(spec) - set(sdk)) == [], "routes in openapi.json the SDK does not call"
    assert sorted(set(sdk) - set(spec)) == [], "routes the SDK calls that openapi.json lacks"
    for route, params in spec.items():
        assert sdk[route] == params, f"query parameters of {route}"


def model_fields(model: type[BaseModel]) -> dict[str, bool]:
    """Wire name -> whether the field is required."""
    return {(f.alias or name): f.is_required() for name, f in model.model_fields.items()}


def object_fields(schema: dict[str, Any]) -> dict[str, bool]:
    required = set(schema.get("required", []))
    return {name: name in required for name in schema.get("properties", {})}


def is_const(value: dict[str, Any]) -> bool:
    return len(value.get("enum", [])) == 1


def check_object(name: str, schema: dict[str, Any], model: type[BaseModel]) -> None:
    spec, sdk = object_fields(schema), model_fields(model)
    assert sorted(set(spec) - set(sdk)) == [], f"{name}: fields in openapi.json, not in the SDK"
    assert sorted(set(sdk) - set(spec)) == [], f"{name}: fields in the SDK, not in openapi.json"
    for field_name, required in spec.items():
        # A discriminator the SDK fills in by itself need not be passed.
        if is_const(schema["properties"][field_name]):
            continue
        # A field with a default in the spec may be omitted even when required.
        if "default" in schema["properties"][field_name]:
            continue
        assert sdk[field_name] == required, f"{name}.{field_name}: required is {required} in openapi.json"


def union_members(alias: Any) -> tuple[Any, ...]:
    origin = typing.get_origin(alias)
    if origin is typing.Annotated:
        return union_members(typing.get_args(alias)[0])
    if origin in (typing.Union, types.UnionType):
        return typing.get_args(alias)
    return (alias,)


def literal_values(alias: Any) -> set[str]:
    values: set[str] = set()
    for member in union_members(alias):
        values.update(typing.get_args(member))
    return values


def check_one_of(name: str, schema: dict[str, Any], target: Any) -> None:
    variants = [v for v in schema["oneOf"] if v.get("type") != "null"]
    members = [m for m in union_members(target) if isinstance(m, type) and issubclass(m, BaseModel)]
    if len(members) == 1:
        # One model for every variant (DataType): the fields are the union of theirs.
        merged = {p for v in variants for p in v.get("properties", {})}
        assert set(model_fields(members[0])) == merged, name
        kinds = {v["properties"]["kind"]["enum"][0] for v in variants}
        assert literal_values(members[0].model_fields["kind"].annotation) == kinds, name
        return
    by_tag: dict[str, type[BaseModel]] = {}
    for member in members:
        tag_field = next(f for f in member.model_fields.values() if f.default in literal_values(f.annotation))
        by_tag[str(tag_field.default)] = member
    for variant in variants:
        tag = next(p["enum"][0] for p in variant["properties"].values() if is_const(p))
        assert tag in by_tag, f"{name}: variant {tag} has no model"
        check_object(f"{name}[{tag}]", variant, by_tag.pop(tag))
    assert by_tag == {}, f"{name}: SDK variants not in openapi.json"


def test_every_schema_matches_a_model_field_for_field() -> None:
    for name, schema in SCHEMAS.items():
        assert hasattr(models, name), f"openapi.json has {name}, kurobe.models does not"
        target = getattr(models, name)
        if "enum" in schema:
            expected = {wire_code(v) for v in schema["enum"]} if name == "ErrorCode" else set(schema["enum"])
            assert literal_values(target) == expected, name
        elif "oneOf" in schema:
            check_one_of(name, schema, target)
        else:
            check_object(name, schema, target)


def test_every_model_of_the_sdk_is_in_the_spec() -> None:
    variants = {
        m.__name__
        for alias in (models.DataSourceConfig, models.StreamEvent)
        for m in union_members(alias)
        if isinstance(m, type)
    }
    for name in models.__all__:
        target = getattr(models, name)
        if isinstance(target, type) and issubclass(target, BaseModel):
            assert name in SCHEMAS or name in variants, f"kurobe.models.{name} is not in openapi.json"


def test_error_codes_and_families_match_the_spec_and_the_catalogue() -> None:
    codes = {wire_code(c) for c in SCHEMAS["ErrorCode"]["enum"]}
    assert set(ERROR_CODES) == codes
    families = set(SCHEMAS["ErrorFamily"]["enum"])
    assert {info.family for info in ERROR_CODES.values()} <= families
    classes = {cls.family for cls in kurobe.KurobeError.__subclasses__()}
    assert classes == families, "one exception class per family"
    # Statuses and families live in the Rust catalogue (openapi.json lists the codes alone).
    assert CATALOGUE, "no catalogue rows found in backend/api/src/error.rs"
    rust = {code: (int(status), snake(family)) for _, code, status, family in CATALOGUE}
    assert rust == {code: (info.status, info.family) for code, info in ERROR_CODES.items()}


def test_documented_error_statuses_exist_in_the_catalogue() -> None:
    statuses = {info.status for info in ERROR_CODES.values()}
    for path, operations in SPEC["paths"].items():
        for method, operation in operations.items():
            for status in operation.get("responses", {}):
                if int(status) >= 400 and status != "503":
                    assert int(status) in statuses, f"{method.upper()} {path} documents {status}"
