"""The shipped custom column types: PasswordHash and JsonModel[T]."""

import base64
import dataclasses
import hashlib
import hmac
import json
from typing import Any

import pytest
from pydantic import BaseModel, Field, ValidationError
from typing_extensions import TypedDict

from typedorm.dialects import get_dialect
from typedorm.schema import (
    AUTO,
    PK,
    Col,
    JsonModel,
    Model,
    PasswordHash,
    PasswordHashType,
    column,
    resolve_type,
)
from typedorm.schema.types import JSONType

DIALECTS = ("sqlite", "postgresql", "mysql")


class Prefs(BaseModel):
    theme: str = "light"
    size: int = Field(default=3, ge=1)


@dataclasses.dataclass
class Box:
    w: int
    h: int


class Shape(TypedDict):
    kind: str
    sides: int


class Account(Model):
    id: PK[int] = column(default=AUTO)
    password: Col[PasswordHash]
    prefs: Col[JsonModel[Prefs]] = column(default_factory=Prefs)
    box: Col[JsonModel[Box] | None] = column(default=None)
    shape: Col[JsonModel[Shape] | None] = column(default=None)


@pytest.fixture(scope="module")
def hashed() -> PasswordHash:
    return PasswordHash.hash("correct horse battery staple")


def decode(h: str) -> tuple[str, int, int, int, bytes, bytes]:
    scheme, n, r, p, salt, key = h.split("$")
    return scheme, int(n), int(r), int(p), base64.b64decode(salt), base64.b64decode(key)


def encode(n: int, r: int, p: int, salt: bytes, key: bytes) -> str:
    return f"scrypt${n}${r}${p}${base64.b64encode(salt).decode()}${base64.b64encode(key).decode()}"


# --- PasswordHash ------------------------------------------------------------------


def test_hash_format_and_parameters(hashed: PasswordHash) -> None:
    assert isinstance(hashed, PasswordHash) and isinstance(hashed, str)
    scheme, n, r, p, salt, key = decode(hashed)
    assert (scheme, n, r, p) == ("scrypt", 2**14, 8, 1)
    assert len(salt) == 16
    assert len(key) == 32
    expected = hashlib.scrypt(
        b"correct horse battery staple", salt=salt, n=n, r=r, p=p, maxmem=64 * 2**20, dklen=32
    )
    assert key == expected
    assert PasswordHash.is_encoded(hashed)


def test_verify(hashed: PasswordHash) -> None:
    assert hashed.verify("correct horse battery staple") is True
    assert hashed.verify("correct horse battery stapl") is False
    assert hashed.verify("Correct horse battery staple") is False
    assert hashed.verify("") is False


@pytest.mark.parametrize("password", ["", "ünïcødé 🔑", "a" * 1000, "with\x00nul"])
def test_verify_unusual_passwords(password: str) -> None:
    h = PasswordHash.hash(password)
    assert h.verify(password)
    assert not h.verify(password + "x")


def test_salts_differ_per_value() -> None:
    a, b = PasswordHash.hash("same"), PasswordHash.hash("same")
    assert a != b
    assert decode(a)[4] != decode(b)[4]
    assert a.verify("same") and b.verify("same")


def test_verify_uses_compare_digest(hashed: PasswordHash, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)  # custom.py looks it up on the module
    assert hashed.verify("correct horse battery staple")
    assert not hashed.verify("wrong")
    assert len(calls) == 2
    assert all(isinstance(a, bytes) and len(a) == 32 == len(b) for a, b in calls)


def test_verify_honours_the_stored_parameters() -> None:
    salt = b"0123456789abcdef"
    key = hashlib.scrypt(b"pw", salt=salt, n=2**10, r=4, p=2, dklen=24)
    h = PasswordHash(encode(2**10, 4, 2, salt, key))
    assert h.verify("pw")
    assert not h.verify("pw2")


def test_tampered_hash_does_not_verify(hashed: PasswordHash) -> None:
    _, n, r, p, salt, key = decode(hashed)
    flipped = bytes([key[0] ^ 1]) + key[1:]
    assert not PasswordHash(encode(n, r, p, salt, flipped)).verify("correct horse battery staple")
    other_salt = bytes([salt[0] ^ 1]) + salt[1:]
    assert not PasswordHash(encode(n, r, p, other_salt, key)).verify("correct horse battery staple")


def test_hash_and_verify_take_only_str(hashed: PasswordHash) -> None:
    with pytest.raises(TypeError):
        PasswordHash.hash(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        hashed.verify(None)  # type: ignore[arg-type]


def test_repr_hides_the_hash(hashed: PasswordHash) -> None:
    assert repr(hashed) == "PasswordHash('scrypt$…')"
    _, _, _, _, salt, key = decode(hashed)
    acct = Account(password=hashed)
    for text in (repr(hashed), repr(acct), str(acct)):
        assert base64.b64encode(salt).decode() not in text
        assert base64.b64encode(key).decode() not in text
    assert str(hashed) == hashed  # the stored form is the full encoding
    assert type(str(hashed)) is str


def test_model_accepts_a_hash(hashed: PasswordHash) -> None:
    acct = Account(password=hashed)
    assert acct.password == hashed
    assert isinstance(acct.password, PasswordHash)
    assert acct.password.verify("correct horse battery staple")


def test_model_accepts_an_encoded_string_from_the_database(hashed: PasswordHash) -> None:
    acct = Account.model_validate({"password": str(hashed)})
    assert type(acct.password) is PasswordHash
    assert acct.password.verify("correct horse battery staple")


@pytest.mark.parametrize(
    "plain",
    ["hunter2", "", "scrypt$", "scrypt$16384$8$1$bm90IGEgc2FsdA==", "correct horse battery staple"],
)
def test_plaintext_rejected_with_a_hint(plain: str) -> None:
    with pytest.raises(ValidationError) as ei:
        Account(password=plain)  # type: ignore[arg-type]
    (err,) = ei.value.errors()
    assert err["loc"] == ("password",)
    assert "PasswordHash.hash(" in err["msg"]


def test_plaintext_rejected_on_assignment(hashed: PasswordHash) -> None:
    acct = Account(password=hashed)
    with pytest.raises(ValidationError, match=r"PasswordHash\.hash\("):
        acct.password = "hunter2"  # type: ignore[assignment]
    assert acct.password == hashed


def test_plaintext_wrapped_in_password_hash_still_rejected() -> None:
    with pytest.raises(ValidationError, match="not a plain string"):
        Account(password=PasswordHash("hunter2"))


def test_non_strings_rejected() -> None:
    for value in (b"scrypt$...", 123, None):
        with pytest.raises(ValidationError):
            Account(password=value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "forged",
    [
        encode(2**21, 8, 1, b"s" * 16, b"k" * 32),  # N too large: verify() would allocate 2 GiB
        encode(2**20, 32, 1, b"s" * 16, b"k" * 32),  # 4 GiB
        encode(1000, 8, 1, b"s" * 16, b"k" * 32),  # N not a power of two
        encode(1, 8, 1, b"s" * 16, b"k" * 32),
        encode(2**14, 8, 1, b"short", b"k" * 32),  # salt too short
        encode(2**14, 8, 1, b"s" * 16, b"k" * 4),  # key too short
        "bcrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA==$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U=",
        "scrypt$16384$8$1$!!!!$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U=",
        "scrypt$016384$8$1$c2FsdHNhbHRzYWx0c2FsdA==$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U=",
    ],
)
def test_malformed_or_dangerous_encodings_rejected(forged: str) -> None:
    assert not PasswordHash.is_encoded(forged)
    with pytest.raises(ValidationError):
        Account(password=forged)  # type: ignore[arg-type]
    assert PasswordHash(forged).verify("anything") is False


def test_json_round_trip(hashed: PasswordHash) -> None:
    acct = Account(id=1, password=hashed)
    text = acct.model_dump_json()
    assert json.loads(text)["password"] == str(hashed)
    back = Account.model_validate_json(text)
    assert back.password == hashed and type(back.password) is PasswordHash
    assert Account.model_json_schema()["properties"]["password"]["type"] == "string"


def test_password_hash_column_type(hashed: PasswordHash) -> None:
    c = Account.__table__.by_field["password"]
    assert c.type_name == "password_hash"
    assert isinstance(c.column_type, PasswordHashType)
    assert isinstance(resolve_type(PasswordHash), PasswordHashType)
    assert {d: c.sql_type(d) for d in DIALECTS} == {
        "sqlite": "TEXT",
        "postgresql": "TEXT",
        "mysql": "VARCHAR(255)",
    }
    assert c.sql_type("mariadb") == "VARCHAR(255)"
    assert len(hashed) < 255
    for d in DIALECTS:
        _, params = get_dialect(d).compile(Account.password == hashed)
        assert params == [str(hashed)]
        assert type(params[0]) is str


# --- JsonModel[T] ------------------------------------------------------------------


def test_json_model_field_reads_as_the_model() -> None:
    acct = Account(password=PasswordHash.hash("x"), prefs={"theme": "dark"})  # type: ignore[arg-type]
    assert isinstance(acct.prefs, Prefs)
    assert acct.prefs == Prefs(theme="dark", size=3)
    assert Account(password=PasswordHash.hash("x")).prefs == Prefs()


def test_json_model_validated_on_construction_and_assignment() -> None:
    with pytest.raises(ValidationError) as ei:
        Account(password=PasswordHash.hash("x"), prefs={"size": 0})  # type: ignore[arg-type]
    assert ei.value.errors()[0]["loc"] == ("prefs", "size")
    acct = Account(password=PasswordHash.hash("x"))
    with pytest.raises(ValidationError):
        acct.prefs = {"size": "big"}  # type: ignore[assignment]
    acct.prefs = Prefs(size=7)
    assert acct.prefs.size == 7


def test_json_model_maps_to_json_column() -> None:
    t = Account.__table__.by_field
    for field, nullable in (("prefs", False), ("box", True), ("shape", True)):
        c = t[field]
        assert c.type_name == "json"
        assert isinstance(c.column_type, JSONType)
        assert {d: c.sql_type(d) for d in DIALECTS} == {
            "sqlite": "TEXT",
            "postgresql": "JSONB",
            "mysql": "JSON",
        }
        assert c.nullable is nullable
    assert t["prefs"].python_type is Prefs
    assert t["box"].python_type is Box
    assert isinstance(resolve_type(JsonModel[Prefs]), JSONType)
    assert isinstance(resolve_type(JsonModel[Box]), JSONType)


def test_json_model_makes_json_of_types_the_map_does_not_know() -> None:
    assert resolve_type(Box) is None  # a dataclass alone has no column type


def round_trip(field: str, dialect: str, value: Any) -> Any:
    c = Account.__table__.by_field[field]
    assert c.column_type is not None
    bind = c.column_type.bind_processor(dialect)
    res = c.column_type.result_processor(dialect)
    stored = bind(value) if bind else value
    loaded = res(stored) if res else stored
    return stored, loaded


@pytest.mark.parametrize("dialect", ["sqlite", "mysql"])
def test_json_model_round_trip_through_processors(dialect: str) -> None:
    stored, loaded = round_trip("prefs", dialect, Prefs(theme="dark", size=5))
    assert stored == '{"theme":"dark","size":5}'
    acct = Account.model_validate({"password": str(PasswordHash.hash("x")), "prefs": loaded})
    assert acct.prefs == Prefs(theme="dark", size=5)

    stored, loaded = round_trip("box", dialect, Box(2, 3))
    assert stored == '{"w":2,"h":3}'
    acct = Account.model_validate({"password": str(PasswordHash.hash("x")), "box": loaded})
    assert acct.box == Box(2, 3)

    stored, loaded = round_trip("shape", dialect, {"kind": "tri", "sides": 3})
    assert json.loads(stored) == {"kind": "tri", "sides": 3}
    assert Account.model_validate({"password": str(PasswordHash.hash("x")), "shape": loaded}).shape == {
        "kind": "tri",
        "sides": 3,
    }


def test_json_model_none_is_null() -> None:
    assert round_trip("box", "sqlite", None) == (None, None)
    assert Account(password=PasswordHash.hash("x")).box is None


def test_json_model_on_postgresql_binds_jsonb() -> None:
    psycopg = pytest.importorskip("psycopg")
    from psycopg.adapt import PyFormat, Transformer

    from typedorm.drivers.psycopg import register_adapters
    from typedorm.schema.types import JsonDocument

    stored, _ = round_trip("prefs", "postgresql", Prefs())
    # the schema layer hands over a driver-neutral marker; psycopg's adapter sends it as jsonb
    assert isinstance(stored, JsonDocument)
    assert stored.data == {"theme": "light", "size": 3}
    register_adapters()
    for fmt in (PyFormat.TEXT, PyFormat.BINARY):
        dumper = Transformer().get_dumper(stored, fmt)
        assert dumper.oid == psycopg.adapters.types["jsonb"].oid
    text = Transformer().get_dumper(stored, PyFormat.TEXT).dump(stored)
    assert text is not None and json.loads(bytes(text)) == {"theme": "light", "size": 3}


def test_json_model_in_compiled_comparison() -> None:
    _, params = get_dialect("sqlite").compile(Account.prefs == Prefs(size=2))
    assert params == ['{"theme":"light","size":2}']


def test_json_model_is_only_a_marker() -> None:
    with pytest.raises(TypeError, match="marker"):
        JsonModel()  # type: ignore[type-arg]
