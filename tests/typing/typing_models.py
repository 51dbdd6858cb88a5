"""Models shared by the typing-contract files (checked, never run against a database)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel

from typedorm import AUTO, PK, Col, Column, Model, column
from typedorm.fields import CharField, DecimalField, IntegerField


class User(Model, table="users"):
    id: PK[int] = column(default=AUTO)
    name: Annotated[Col[str], Column(max_length=100, index=True)]
    email: Col[str] = column(unique=True)
    age: Col[int | None] = column(default=None, ge=0)
    score: Col[float] = column(default=0.0)


class Order(Model):
    id: PK[int] = column(default=AUTO)
    user_id: Col[int] = column(index=True)
    total: Col[Decimal] = column(default=Decimal("0"))


class Product(Model):
    id: PK[int] = column(default=AUTO)
    title: Col[str] = CharField(max_length=200)
    stock: Col[int] = IntegerField(min_value=0, default=0)
    price: Col[Decimal] = DecimalField(max_digits=10, decimal_places=2)


class Summary(BaseModel):
    id: int
    name: str
