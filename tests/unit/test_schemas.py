"""The registry's compiled check (jsonschema_rs) must say what the reference validator says."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from streams.schemas import SchemaRegistry

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)

VALID_RAW: dict[str, Any] = {
    "schema": "article.raw.v1",
    "article_id": "a-1",
    "title": "Leaders meet",
    "published": "2025-03-02T10:00:00Z",
    "authors": ["A. Writer"],
    "url": None,
    "source": "wire",
    "body": "Keir Starmer said a coalition was needed.",
    "ingested_at": "2025-03-02T10:01:00Z",
}


def agrees(registry: SchemaRegistry, name: str, document: Any) -> None:
    reference = registry.validator(name).is_valid(document)
    assert (registry.first_error(name, document) is None) == reference


def test_a_valid_raw_article_passes(registry: SchemaRegistry) -> None:
    assert registry.first_error("article.raw.v1", VALID_RAW) is None


@settings(max_examples=200, deadline=None)
@given(document=json_values, name=st.sampled_from(["article.raw.v1", "stance.v1", "alert.v1", "story.v1"]))
def test_any_json_gets_the_reference_verdict(registry: SchemaRegistry, document: Any, name: str) -> None:
    agrees(registry, name, document)


@settings(max_examples=300, deadline=None)
@given(field=st.sampled_from(sorted(VALID_RAW)), value=json_values, drop=st.booleans())
def test_a_raw_article_with_one_field_changed_gets_the_reference_verdict(
    registry: SchemaRegistry, field: str, value: Any, drop: bool
) -> None:
    document = dict(VALID_RAW)
    if drop:
        del document[field]
    else:
        document[field] = value
    agrees(registry, "article.raw.v1", document)
    error = registry.first_error("article.raw.v1", document)
    if error is not None:
        assert error.message  # an invalid document is described, not just refused
