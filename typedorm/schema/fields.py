"""Django-style field specifiers (``CharField(max_length=100)``) that build the same metadata as ``column()``."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from pydantic import AfterValidator
from pydantic.fields import FieldInfo

from .columns import column

__all__ = [
    "BlobField",
    "BooleanField",
    "CharField",
    "DateField",
    "DateTimeField",
    "DecimalField",
    "EmailField",
    "FloatField",
    "IntegerField",
    "JSONField",
    "TextField",
    "UUIDField",
]

_MISSING: Any = ...


def _spec(
    default: Any,
    default_factory: Callable[[], Any] | None,
    *,
    null: bool,
    extra_metadata: tuple[Any, ...] = (),
    **options: Any,
) -> Any:
    opts = {k: v for k, v in options.items() if v is not None and v is not False}
    if null:
        opts["nullable"] = True
    if default_factory is not None:
        opts["default_factory"] = default_factory
    elif default is not _MISSING:
        opts["default"] = default
    # column() is typed for declarations (it "returns" a Col[T]); what it builds is a FieldInfo.
    info: FieldInfo = column(**opts)
    info.metadata.extend(extra_metadata)
    return info


def CharField(
    *,
    max_length: int | None = None,
    min_length: int | None = None,
    unique: bool = False,
    index: bool = False,
    null: bool = False,
    pattern: str | None = None,
    default: Any = _MISSING,
    default_factory: Callable[[], Any] | None = None,
    name: str | None = None,
    comment: str | None = None,
) -> Any:
    """A string column: ``name: Col[str] = CharField(max_length=100)``."""
    return _spec(
        default,
        default_factory,
        null=null,
        max_length=max_length,
        min_length=min_length,
        unique=unique,
        index=index,
        pattern=pattern,
        name=name,
        comment=comment,
    )


def TextField(
    *,
    unique: bool = False,
    index: bool = False,
    null: bool = False,
    default: Any = _MISSING,
    default_factory: Callable[[], Any] | None = None,
    name: str | None = None,
    comment: str | None = None,
) -> Any:
    """An unbounded text column.

    Example: ``body: Col[str] = TextField(default="")``
    """
    return _spec(default, default_factory, null=null, unique=unique, index=index, name=name, comment=comment)


def IntegerField(
    *,
    min_value: int | None = None,
    max_value: int | None = None,
    primary_key: bool = False,
    unique: bool = False,
    index: bool = False,
    null: bool = False,
    default: Any = _MISSING,
    default_factory: Callable[[], Any] | None = None,
    name: str | None = None,
    comment: str | None = None,
) -> Any:
    """An integer column: ``age: Col[int] = IntegerField(min_value=0)``."""
    return _spec(
        default,
        default_factory,
        null=null,
        ge=min_value,
        le=max_value,
        primary_key=primary_key,
        unique=unique,
        index=index,
        name=name,
        comment=comment,
    )


def FloatField(
    *,
    min_value: float | None = None,
    max_value: float | None = None,
    unique: bool = False,
    index: bool = False,
    null: bool = False,
    default: Any = _MISSING,
    default_factory: Callable[[], Any] | None = None,
    name: str | None = None,
    comment: str | None = None,
) -> Any:
    """A floating-point column.

    Example: ``score: Col[float] = FloatField(min_value=0.0, default=0.0)``
    """
    return _spec(
        default,
        default_factory,
        null=null,
        ge=min_value,
        le=max_value,
        unique=unique,
        index=index,
        name=name,
        comment=comment,
    )


def BooleanField(
    *,
    index: bool = False,
    null: bool = False,
    default: Any = _MISSING,
    default_factory: Callable[[], Any] | None = None,
    name: str | None = None,
    comment: str | None = None,
) -> Any:
    """A boolean column.

    Example: ``active: Col[bool] = BooleanField(default=True)``
    """
    return _spec(default, default_factory, null=null, index=index, name=name, comment=comment)


def DateTimeField(
    *,
    unique: bool = False,
    index: bool = False,
    null: bool = False,
    default: Any = _MISSING,
    default_factory: Callable[[], Any] | None = None,
    name: str | None = None,
    comment: str | None = None,
) -> Any:
    """An aware-datetime column (stored in UTC).

    Example: ``created: Col[datetime] = DateTimeField()``
    """
    return _spec(default, default_factory, null=null, unique=unique, index=index, name=name, comment=comment)


def DateField(
    *,
    unique: bool = False,
    index: bool = False,
    null: bool = False,
    default: Any = _MISSING,
    default_factory: Callable[[], Any] | None = None,
    name: str | None = None,
    comment: str | None = None,
) -> Any:
    """A date column.

    Example: ``born: Col[date | None] = DateField(default=None)``
    """
    return _spec(default, default_factory, null=null, unique=unique, index=index, name=name, comment=comment)


def _validate_email(value: Any) -> Any:
    if value is None:
        return value
    try:
        from pydantic.networks import validate_email
    except ImportError:  # pragma: no cover - pydantic always has it
        raise
    return validate_email(value)[1]


def EmailField(
    *,
    max_length: int | None = 254,
    unique: bool = False,
    index: bool = False,
    null: bool = False,
    default: Any = _MISSING,
    default_factory: Callable[[], Any] | None = None,
    name: str | None = None,
    comment: str | None = None,
) -> Any:
    """A string column holding a validated e-mail address (needs ``typedorm[email]``)."""
    try:
        import email_validator  # noqa: F401
    except ImportError:
        from ..errors import ModelDefinitionError

        raise ModelDefinitionError(
            "EmailField needs the email-validator package: pip install 'typedorm[email]'"
        ) from None
    return _spec(
        default,
        default_factory,
        null=null,
        max_length=max_length,
        unique=unique,
        index=index,
        name=name,
        comment=comment,
        extra_metadata=(AfterValidator(_validate_email),),
    )


def BlobField(
    *,
    null: bool = False,
    max_length: int | None = None,
    default: Any = _MISSING,
    default_factory: Callable[[], Any] | None = None,
    name: str | None = None,
    comment: str | None = None,
) -> Any:
    """A binary column (``bytes``).

    Example: ``data: Col[bytes] = BlobField()``
    """
    return _spec(default, default_factory, null=null, max_length=max_length, name=name, comment=comment)


def DecimalField(
    *,
    max_digits: int | None = None,
    decimal_places: int | None = None,
    min_value: Decimal | int | None = None,
    max_value: Decimal | int | None = None,
    unique: bool = False,
    index: bool = False,
    null: bool = False,
    default: Any = _MISSING,
    default_factory: Callable[[], Any] | None = None,
    name: str | None = None,
    comment: str | None = None,
) -> Any:
    """An exact decimal column: ``price: Col[Decimal] = DecimalField(max_digits=10, decimal_places=2)``."""
    return _spec(
        default,
        default_factory,
        null=null,
        max_digits=max_digits,
        decimal_places=decimal_places,
        ge=min_value,
        le=max_value,
        unique=unique,
        index=index,
        name=name,
        comment=comment,
    )


def UUIDField(
    *,
    primary_key: bool = False,
    unique: bool = False,
    index: bool = False,
    null: bool = False,
    default: Any = _MISSING,
    default_factory: Callable[[], Any] | None = None,
    name: str | None = None,
    comment: str | None = None,
) -> Any:
    """A UUID column: ``id: Col[UUID] = UUIDField(primary_key=True, default_factory=uuid4)``."""
    return _spec(
        default,
        default_factory,
        null=null,
        primary_key=primary_key,
        unique=unique,
        index=index,
        name=name,
        comment=comment,
    )


def JSONField(
    *,
    null: bool = False,
    default: Any = _MISSING,
    default_factory: Callable[[], Any] | None = None,
    name: str | None = None,
    comment: str | None = None,
) -> Any:
    """A JSON column for ``dict``, ``list`` or a Pydantic model.

    Example: ``prefs: Col[dict[str, Any]] = JSONField(default_factory=dict)``
    """
    return _spec(default, default_factory, null=null, name=name, comment=comment)
