"""examples/fastapi_app.py through FastAPI's test client: CRUD, and typedorm's errors as 404 / 409 / 422."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from fastapi.testclient import TestClient

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "fastapi_app.py"


def _example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fastapi_app_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # FastAPI resolves the endpoints' annotations through it
    spec.loader.exec_module(module)
    return module


example = _example()


@pytest.fixture(params=["memory", "file"])
def client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient]:
    url = "sqlite:///:memory:" if request.param == "memory" else f"sqlite:///{tmp_path / 'items.db'}"
    with TestClient(example.create_app(url)) as c:
        yield c


def _create(client: TestClient, sku: str, price: int = 100, **extra: Any) -> dict[str, Any]:
    r = client.post("/items", json={"sku": sku, "name": f"item {sku}", "price": price, **extra})
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def test_create_and_read(client: TestClient) -> None:
    r = client.post("/items", content=b'{"sku": "A-1", "name": "Anvil", "price": 1999}')
    assert r.status_code == 201
    created = r.json()
    assert created == {"id": created["id"], "sku": "A-1", "name": "Anvil", "price": 1999, "qty": 0}
    assert isinstance(created["id"], int)
    r = client.get(f"/items/{created['id']}")
    assert r.status_code == 200 and r.json() == created


def test_list_with_filter_and_pages(client: TestClient) -> None:
    for i in range(5):
        _create(client, f"S-{i}", price=i * 100)
    r = client.get("/items", params={"size": 2, "page": 2})
    body = r.json()
    assert [i["sku"] for i in body["items"]] == ["S-2", "S-3"]
    assert (body["page"], body["pages"], body["total"]) == (2, 3, 5)
    r = client.get("/items", params={"min_price": 300})
    assert [i["sku"] for i in r.json()["items"]] == ["S-3", "S-4"]
    assert client.get("/items", params={"page": 0}).status_code == 422  # FastAPI's own query validation


def test_patch_writes_only_the_given_fields(client: TestClient) -> None:
    item = _create(client, "P-1", qty=2)
    r = client.patch(f"/items/{item['id']}", content=b'{"qty": 9, "name": "renamed"}')
    assert r.status_code == 200
    assert r.json() == {**item, "qty": 9, "name": "renamed"}
    assert client.get(f"/items/{item['id']}").json() == r.json()


def test_delete(client: TestClient) -> None:
    item = _create(client, "D-1")
    r = client.delete(f"/items/{item['id']}")
    assert r.status_code == 204 and r.content == b""
    assert client.get(f"/items/{item['id']}").status_code == 404
    assert client.delete(f"/items/{item['id']}").status_code == 404


def test_missing_rows_are_404(client: TestClient) -> None:
    assert client.get("/items/12345").status_code == 404
    r = client.patch("/items/12345", json={"qty": 1})
    assert r.status_code == 404 and "12345" in r.json()["detail"]


def test_duplicates_are_409_naming_the_field(client: TestClient) -> None:
    first = _create(client, "U-1")
    other = _create(client, "U-2")
    r = client.post("/items", json={"sku": "U-1", "name": "again", "price": 1})
    assert r.status_code == 409 and r.json()["fields"] == ["sku"]
    r = client.patch(f"/items/{other['id']}", json={"sku": "U-1"})
    assert r.status_code == 409 and r.json()["fields"] == ["sku"]
    assert client.get("/items").json()["total"] == 2
    assert client.get(f"/items/{first['id']}").json() == first


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        pytest.param(b'{"sku": "V-1", "name": "x", "price": -1}', ["price"], id="constraint"),
        pytest.param(b'{"sku": "V-1", "price": 1}', ["name"], id="missing"),
        pytest.param(b'{"sku": "V-1", "name": "x", "price": "cheap"}', ["price"], id="type"),
        pytest.param(b'{"sku": "V-1", "name": "x", "price": 1, "admin": true}', ["admin"], id="extra"),
        pytest.param(b'{"sku": "' + b"x" * 21 + b'", "name": "x", "price": 1}', ["sku"], id="too-long"),
        pytest.param(b'{"sku": "V-1", "name": "x", "price": 1, "id": "one"}', ["id"], id="key-type"),
        pytest.param(b"{not json", [], id="malformed"),
    ],
)
def test_invalid_bodies_are_422_naming_the_field(client: TestClient, body: bytes, loc: list[str]) -> None:
    r = client.post("/items", content=body)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    if loc:
        assert detail[0]["loc"] == loc
    assert client.get("/items").json()["total"] == 0


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"id": 5000, "sku": "K-1", "name": "x", "price": 1}', id="chosen-id"),
        pytest.param(b'{"sku": "K-1", "name": "x", "price": 1, "id": 1}', id="id-last"),
    ],
)
def test_a_client_supplied_id_is_refused(client: TestClient, body: bytes) -> None:
    # The key is database-assigned: a client must not pick it (it would also collide with
    # the ids the database hands out later).
    r = client.post("/items", content=body)
    assert r.status_code == 422, r.text
    assert r.json()["detail"] == [
        {
            "loc": ["id"],
            "msg": "is assigned by the database and cannot be set in a payload",
            "type": "frozen_field",
        }
    ]
    assert client.get("/items").json()["total"] == 0
    assert client.get("/items/5000").status_code == 404
    created = _create(client, "K-1")
    assert created["id"] == 1


def test_invalid_patches_are_422(client: TestClient) -> None:
    item = _create(client, "W-1")
    for body in (b'{"price": -5}', b'{"unknown": 1}', b'{"id": 99}', b"[1, 2]", b"nope"):
        r = client.patch(f"/items/{item['id']}", content=body)
        assert r.status_code == 422, (body, r.text)
    r = client.patch(f"/items/{item['id']}", content=b'{"unknown": 1}')
    assert r.json()["detail"][0]["loc"] == ["unknown"]
    assert client.get(f"/items/{item['id']}").json() == item


def test_the_request_body_schema_is_the_model_s() -> None:
    app = example.create_app("sqlite:///:memory:")
    schema = app.openapi()
    body = schema["paths"]["/items"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == example.Item.model_json_schema()
    assert body["required"] == ["sku", "name", "price"]
