"""A FastAPI app on AsyncDatabase + AsyncRepository: create, read, list, patch and delete items.

Request bodies are validated by the table model itself: the raw JSON body goes straight into a row
with ``insert_json`` (or into ``patch``), where the database-assigned ``id`` is read-only, and
typedorm's errors become HTTP statuses:
``NotFound`` -> 404, ``UniqueViolation`` -> 409, ``ValidationError`` / ``UnknownField`` -> 422.

Serve it with ``uvicorn examples.fastapi_app:app``; run this file to see a few requests go through
FastAPI's test client instead.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request, Response
from fastapi.responses import JSONResponse

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


class Item(Model, table="items"):
    id: PK[int] = column(default=AUTO)
    sku: Annotated[Col[str], Column(unique=True, max_length=20)]
    name: Annotated[Col[str], Column(max_length=100)]
    price: Col[int] = column(ge=0)  # in cents
    qty: Col[int] = column(default=0, ge=0)


# The body is read raw (so it goes to insert_json as it came); the docs still show the model's schema.
JSON_BODY: dict[str, Any] = {
    "requestBody": {"required": True, "content": {"application/json": {"schema": Item.model_json_schema()}}}
}


def items_repo(request: Request) -> AsyncRepository[Item]:
    """The app's repository of items, made at startup (a FastAPI dependency)."""
    repo: AsyncRepository[Item] = request.app.state.items
    return repo


Items = Annotated[AsyncRepository[Item], Depends(items_repo)]


def create_app(url: str = "sqlite:///fastapi_example.db") -> FastAPI:
    """The app, on the database at ``url`` (its table is created at startup)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncDatabase(url) as db:  # one AsyncDatabase per event loop
            await db.create_all(Item)
            app.state.items = AsyncRepository(Item, db)
            yield

    app = FastAPI(title="typedorm items", lifespan=lifespan)

    @app.post("/items", status_code=201, openapi_extra=JSON_BODY)
    async def create_item(request: Request, items: Items) -> dict[str, Any]:
        item = await items.insert_json(await request.body())
        return item.model_dump(mode="json")

    @app.get("/items/{item_id}")
    async def read_item(item_id: int, items: Items) -> dict[str, Any]:
        item = await items.get_or_raise(item_id)
        return item.model_dump(mode="json")

    @app.get("/items")
    async def list_items(
        items: Items,
        page: Annotated[int, Query(ge=1)] = 1,
        size: Annotated[int, Query(ge=1, le=100)] = 20,
        min_price: int | None = None,
    ) -> dict[str, Any]:
        query = items.order_by(Item.id)
        if min_price is not None:
            query = query.filter(Item.price >= min_price)
        found = await query.paginate(page, size)
        return {
            "items": [i.model_dump(mode="json") for i in found.items],
            "page": found.page,
            "pages": found.pages,
            "total": found.total,
        }

    @app.patch("/items/{item_id}", openapi_extra=JSON_BODY)
    async def patch_item(item_id: int, request: Request, items: Items) -> dict[str, Any]:
        # Only the fields in the body are written; the merged row is validated as a whole first.
        item = await items.patch(item_id, await request.body())
        return item.model_dump(mode="json")

    @app.delete("/items/{item_id}", status_code=204)
    async def delete_item(item_id: int, items: Items) -> Response:
        await items.delete(await items.get_or_raise(item_id))
        return Response(status_code=204)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(UniqueViolation)
    async def conflict(request: Request, exc: UniqueViolation) -> JSONResponse:
        return JSONResponse(
            {"detail": f"{', '.join(exc.fields)} already taken", "fields": list(exc.fields)}, status_code=409
        )

    @app.exception_handler(ValidationError)
    async def invalid(request: Request, exc: ValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        return JSONResponse({"detail": errors}, status_code=422)

    @app.exception_handler(UnknownField)
    async def unknown_field(request: Request, exc: UnknownField) -> JSONResponse:
        return JSONResponse(
            {"detail": [{"loc": [exc.field], "msg": str(exc), "type": "unknown_field"}]}, status_code=422
        )

    return app


app = create_app()


def main(url: str = "sqlite:///:memory:") -> None:
    """A few requests through FastAPI's test client (no server), each checked."""
    from fastapi.testclient import TestClient

    with TestClient(create_app(url)) as client:
        r = client.post("/items", content=b'{"sku": "A-1", "name": "Anvil", "price": 1999}')
        assert r.status_code == 201, r.text
        anvil = r.json()
        print("created:", r.status_code, anvil)

        r = client.post("/items", content=b'{"sku": "A-1", "name": "Another", "price": 5}')
        print("duplicate sku:", r.status_code, r.json()["fields"])
        assert r.status_code == 409

        r = client.post("/items", content=b'{"sku": "B-2", "name": "Bolt", "price": -1}')
        print("negative price:", r.status_code, r.json()["detail"][0]["loc"])
        assert r.status_code == 422

        # The key is the database's to assign: a client that picks one is refused (read-only).
        r = client.post("/items", content=b'{"id": 5000, "sku": "B-2", "name": "Bolt", "price": 5}')
        print("client-chosen id:", r.status_code, r.json()["detail"][0]["loc"])
        assert r.status_code == 422

        client.post("/items", content=b'{"sku": "C-3", "name": "Chain", "price": 450, "qty": 3}')
        r = client.get(f"/items/{anvil['id']}")
        print("read:", r.status_code, r.json()["name"])
        assert r.json() == anvil

        r = client.patch(f"/items/{anvil['id']}", content=b'{"qty": 7}')
        print("patched:", r.status_code, r.json()["qty"])
        assert r.json() == {**anvil, "qty": 7}

        r = client.get("/items", params={"min_price": 1000})
        print("listed:", [i["sku"] for i in r.json()["items"]], "total:", r.json()["total"])

        r = client.delete(f"/items/{anvil['id']}")
        print("deleted:", r.status_code)
        r = client.get(f"/items/{anvil['id']}")
        print("read after delete:", r.status_code)
        assert r.status_code == 404
        print("items left:", client.get("/items").json()["total"])


if __name__ == "__main__":
    main(*sys.argv[1:2])
