"""A FastAPI app on typedorm: JSON bodies into rows, models as responses, errors as statuses."""

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from typedorm import (
    AUTO,
    PK,
    AsyncDatabase,
    AsyncRepository,
    Col,
    Column,
    Model,
    NotFound,
    UniqueViolation,
    UnknownField,
    ValidationError,
    column,
)


# --8<-- [start:model]
class Item(Model, table="items"):
    id: PK[int] = column(default=AUTO)
    sku: Annotated[Col[str], Column(unique=True, max_length=20)]
    name: Annotated[Col[str], Column(max_length=100)]
    price: Col[int] = column(ge=0)  # in cents


# --8<-- [end:model]


# --8<-- [start:app]
@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncGenerator[None]:
    async with AsyncDatabase("sqlite:///:memory:") as db:
        await db.create_all(Item)
        app.state.items = AsyncRepository(Item, db)
        yield


app = FastAPI(lifespan=lifespan)


def items_repo(request: Request) -> AsyncRepository[Item]:
    repo: AsyncRepository[Item] = request.app.state.items
    return repo


Items = Annotated[AsyncRepository[Item], Depends(items_repo)]


@app.post("/items", status_code=201)
async def create_item(request: Request, items: Items) -> Item:
    return await items.insert_json(await request.body())  # the raw body, validated once


@app.get("/items/{item_id}")
async def read_item(item_id: int, items: Items) -> Item:
    return await items.get_or_raise(item_id)  # NotFound -> 404 below


@app.patch("/items/{item_id}")
async def patch_item(item_id: int, request: Request, items: Items) -> Item:
    return await items.patch(item_id, await request.body())  # only the fields sent


class Restock(BaseModel):  # a request model of the API's own, validated by FastAPI
    price: int = Field(ge=0)


@app.put("/items/{item_id}/price")
async def set_price(item_id: int, body: Restock, items: Items) -> Item:
    await items.update(Item.id == item_id, Item.price.set(body.price))  # typed: int column, int value
    return await items.get_or_raise(item_id)


# --8<-- [end:app]


# --8<-- [start:errors]
@app.exception_handler(NotFound)
async def not_found(request: Request, exc: NotFound) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=404)


@app.exception_handler(UniqueViolation)
async def conflict(request: Request, exc: UniqueViolation) -> JSONResponse:
    return JSONResponse({"detail": "already taken", "fields": list(exc.fields)}, status_code=409)


@app.exception_handler(ValidationError)
async def invalid(request: Request, exc: ValidationError) -> JSONResponse:
    detail = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
    return JSONResponse({"detail": detail}, status_code=422)


@app.exception_handler(UnknownField)
async def unknown_field(request: Request, exc: UnknownField) -> JSONResponse:
    return JSONResponse({"detail": [{"loc": [exc.field], "msg": str(exc)}]}, status_code=422)


# --8<-- [end:errors]


# --8<-- [start:client]
with TestClient(app) as client:
    r = client.post("/items", content=b'{"sku": "A-1", "name": "Anvil", "price": 1999}')
    print(r.status_code, r.json())
    r = client.post("/items", content=b'{"sku": "A-1", "name": "Again", "price": 5}')
    print(r.status_code, r.json())
    r = client.post("/items", content=b'{"sku": "B-2", "name": "Bolt", "price": -1}')
    print(r.status_code, r.json())
    r = client.post("/items", content=b'{"id": 5, "sku": "C-3", "name": "Cog", "price": 10}')
    print(r.status_code, r.json())  # the client may not choose the id
    r = client.patch("/items/1", content=b'{"price": 1500}')
    print(r.status_code, r.json())
    r = client.put("/items/1/price", json={"price": 1700})
    print(r.status_code, r.json())
    r = client.get("/items/99")
    print(r.status_code, r.json())
# --8<-- [end:client]
