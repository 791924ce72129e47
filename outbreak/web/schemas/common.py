"""Shared API schema pieces."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

DistrictCode = Annotated[
    str,
    Field(
        pattern=r"^\d{5}$",
        description="5-digit KOSTAT si-gun-gu code, e.g. 11230 (Gangnam-gu).",
        examples=["11230"],
    ),
]
PersonKey = Annotated[
    str,
    Field(
        pattern=r"^[0-9a-f]{32}$",
        description="Pseudonymous person key (32 hex digits).",
    ),
]


T = TypeVar("T")


class Strict(BaseModel):
    """Request bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class Public(BaseModel):
    """Response bodies: built from attributes, only the declared fields leave."""

    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    """One page of a list."""

    data: list[T]
    count: int = Field(description="Total rows matching the query.")
    limit: int
    offset: int
