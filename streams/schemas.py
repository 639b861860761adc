"""The JSON Schemas of every topic, loaded and compiled once per process.

Each event carries ``"schema": "<name>.v<version>"``, the file name in ``schemas/`` without ``.json``.

Two validators per schema: ``jsonschema_rs`` (compiled, Rust) answers "is it valid?" on the hot path,
and ``jsonschema`` (the reference implementation) describes what is wrong when it is not. The store's
consumer checks every enriched event it writes, so the check is on its hot path (docs/performance.md,
"The store consumer"). Only an invalid event pays for the description.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
import orjson
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from streams.settings import get_settings


class SchemaRegistry:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._validators: dict[str, Draft202012Validator] = {}
        self._checks: dict[str, jsonschema_rs.Draft202012Validator] = {}
        for path in sorted(directory.glob("*.json")):
            schema = orjson.loads(path.read_bytes())
            Draft202012Validator.check_schema(schema)
            self._validators[path.stem] = Draft202012Validator(
                schema, format_checker=Draft202012Validator.FORMAT_CHECKER
            )
            self._checks[path.stem] = jsonschema_rs.Draft202012Validator(schema, validate_formats=True)
        if not self._validators:
            raise FileNotFoundError(f"no JSON Schemas found in {directory}")

    @property
    def names(self) -> list[str]:
        return sorted(self._validators)

    def validator(self, name: str) -> Draft202012Validator:
        try:
            return self._validators[name]
        except KeyError:
            raise KeyError(f"unknown schema {name!r}; known: {', '.join(self.names)}") from None

    def first_error(self, name: str, instance: Any) -> ValidationError | None:
        """``None`` when ``instance`` fits schema ``name``, else the reference validator's first error."""
        validator = self.validator(name)
        if self._checks[name].is_valid(instance):
            return None
        # The reference implementation has the last word, and says where the problem is.
        return next(iter(validator.iter_errors(instance)), None)

    def validate(self, instance: Mapping[str, Any], name: str | None = None) -> None:
        """Raise ``jsonschema.ValidationError`` unless ``instance`` fits its schema.

        Without ``name`` the event's own ``schema`` field says which schema applies.
        """
        schema_name = name or instance.get("schema")
        if not isinstance(schema_name, str):
            raise ValidationError("event has no 'schema' field naming its schema")
        error = self.first_error(schema_name, instance)
        if error is not None:
            raise error


@cache
def registry_at(directory: Path) -> SchemaRegistry:
    return SchemaRegistry(directory)


def default_registry() -> SchemaRegistry:
    return registry_at(get_settings().schemas_dir)


def describe(error: ValidationError) -> str:
    """A one-line message naming where in the document the problem is."""
    where = "/".join(str(part) for part in error.absolute_path) or "(document)"
    return f"at {where}: {error.message}"
