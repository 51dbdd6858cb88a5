"""Django-style field specifiers: ``CharField(max_length=100)``, ``IntegerField(min_value=0)``, ..."""

from .schema.fields import (
    BlobField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    EmailField,
    FloatField,
    IntegerField,
    JSONField,
    TextField,
    UUIDField,
)

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
