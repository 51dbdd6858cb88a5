"""Two shipped custom column types: ``PasswordHash`` (scrypt hashes) and ``JsonModel[T]`` (a JSON model column)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, TypeVar

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

from .types import ColumnType, JSONType, Processor, as_dialect

if TYPE_CHECKING:
    from ..dialects.base import Dialect
    from .spec import ColumnSpec

__all__ = ["JsonModel", "PasswordHash", "PasswordHashType"]

_T = TypeVar("_T")

_SCHEME = "scrypt"
# scrypt cost parameters for new hashes: N=2**14, r=8, p=1 is the interactive-login
# setting recommended by the scrypt paper and OWASP (about 16 MiB of memory per hash).
_N, _R, _P = 2**14, 8, 1
_SALT_BYTES = 16
_KEY_BYTES = 32
# Bounds on the parameters accepted from a stored hash, so that a forged row cannot
# make verify() allocate gigabytes or spin for minutes.
_MAX_N, _MAX_R, _MAX_P = 2**20, 32, 16
_MAX_SCRYPT_MEMORY = 256 * 1024 * 1024
_ENCODED = re.compile(
    r"scrypt\$(?P<n>[1-9][0-9]{0,9})\$(?P<r>[1-9][0-9]{0,3})\$(?P<p>[1-9][0-9]{0,3})"
    r"\$(?P<salt>[A-Za-z0-9+/]+={0,2})\$(?P<hash>[A-Za-z0-9+/]+={0,2})\Z"
)


def _maxmem(n: int, r: int, p: int) -> int:
    # scrypt needs 128*r*n bytes for V plus 128*r*p for B; leave headroom for OpenSSL.
    return 128 * r * (n + p) + 2 * 1024 * 1024


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class _Parsed:
    __slots__ = ("key", "n", "p", "r", "salt")

    def __init__(self, n: int, r: int, p: int, salt: bytes, key: bytes) -> None:
        self.n, self.r, self.p, self.salt, self.key = n, r, p, salt, key


def _parse(encoded: str) -> _Parsed | None:
    m = _ENCODED.match(encoded)
    if m is None:
        return None
    n, r, p = int(m["n"]), int(m["r"]), int(m["p"])
    if (
        n < 2
        or n & (n - 1)
        or n > _MAX_N
        or r > _MAX_R
        or p > _MAX_P
        or 128 * r * (n + p) > _MAX_SCRYPT_MEMORY
    ):
        return None
    try:
        salt = base64.b64decode(m["salt"], validate=True)
        key = base64.b64decode(m["hash"], validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(salt) < 8 or len(key) < 16:
        return None
    return _Parsed(n, r, p, salt, key)


class PasswordHash(str):
    """An scrypt password hash, stored as text: ``scrypt$n$r$p$salt$hash`` (base64 salt and hash).

    Each value has its own random salt; :meth:`verify` compares in constant time.
    A model field validates only already-encoded hashes (as read back from the
    database), so a plaintext password can never be stored by mistake.

    Example::

        class Account(Model):
            id: PK[int] = column(default=AUTO)
            password: Col[PasswordHash]

        acct = Account(password=PasswordHash.hash("s3cret"))
        acct.password.verify("s3cret")  # True
    """

    __slots__ = ()

    @classmethod
    def hash(cls, plain: str) -> PasswordHash:
        """Hash ``plain`` with scrypt and a fresh random 16-byte salt."""
        if not isinstance(plain, str):  # pyright: ignore[reportUnnecessaryIsInstance] - untyped callers
            raise TypeError(f"PasswordHash.hash() takes a str, not {type(plain).__name__}")
        salt = secrets.token_bytes(_SALT_BYTES)
        key = hashlib.scrypt(
            plain.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, maxmem=_maxmem(_N, _R, _P), dklen=_KEY_BYTES
        )
        return cls(f"{_SCHEME}${_N}${_R}${_P}${_b64(salt)}${_b64(key)}")

    def verify(self, plain: str) -> bool:
        """True if ``plain`` is the password this hash was made from (constant-time comparison)."""
        if not isinstance(plain, str):  # pyright: ignore[reportUnnecessaryIsInstance] - untyped callers
            raise TypeError(f"PasswordHash.verify() takes a str, not {type(plain).__name__}")
        parsed = _parse(self)
        if parsed is None:
            return False
        key = hashlib.scrypt(
            plain.encode("utf-8"),
            salt=parsed.salt,
            n=parsed.n,
            r=parsed.r,
            p=parsed.p,
            maxmem=_maxmem(parsed.n, parsed.r, parsed.p),
            dklen=len(parsed.key),
        )
        return hmac.compare_digest(key, parsed.key)

    @staticmethod
    def is_encoded(value: object) -> bool:
        """True if ``value`` is a well-formed encoded hash (not a plaintext password)."""
        return isinstance(value, str) and _parse(value) is not None

    def __repr__(self) -> str:
        # Never print the salt and hash: repr() ends up in logs and tracebacks.
        return f"{type(self).__name__}('{_SCHEME}$…')"

    @classmethod
    def _validate(cls, value: str) -> PasswordHash:
        # Parse even a PasswordHash instance: PasswordHash("plaintext") is not a hash.
        if _parse(value) is None:
            raise ValueError(
                "expected a password hash, not a plain string; hash the password first with "
                "PasswordHash.hash(password)"
            )
        return cls(value)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_after_validator_function(
            cls._validate,
            core_schema.str_schema(strict=True),
            serialization=core_schema.to_string_ser_schema(),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "format": "password-hash", "pattern": _ENCODED.pattern}

    @classmethod
    def __typedorm_column_type__(cls) -> ColumnType:
        return PasswordHashType()


def _to_plain_str(v: Any) -> Any:
    return str(v) if isinstance(v, str) else v


class PasswordHashType(ColumnType):
    """The column type of :class:`PasswordHash`: the dialect's indexable text (``TEXT``;
    ``VARCHAR(255)`` on MySQL, where a hash column may be keyed)."""

    logical: ClassVar[str] = "password_hash"

    def sql_type(self, dialect: Dialect, column: ColumnSpec) -> str:
        return as_dialect(dialect).indexable_text_type

    def bind_processor(self, dialect: Dialect) -> Processor | None:
        # Drivers get a plain str: some adapt by exact type only.
        return _to_plain_str


if TYPE_CHECKING:
    #: A JSON column holding a validated Pydantic model (or any type Pydantic validates):
    #: ``prefs: Col[JsonModel[Prefs]]``. Type checkers see ``JsonModel[Prefs]`` as ``Prefs``.
    JsonModel = Annotated[_T, JSONType]
else:

    class JsonModel:
        """A JSON column holding a validated value of ``T``: ``prefs: Col[JsonModel[Prefs]]``.

        ``JsonModel[Prefs]`` is ``Annotated[Prefs, JSONType(Prefs)]``: the field validates
        (and reads) as ``Prefs`` and is stored as JSON (``JSONB`` on PostgreSQL). Use it
        for types that would not map to JSON on their own (a dataclass, a TypedDict).

        Example::

            class Prefs(BaseModel):
                theme: str = "light"

            class User(Model):
                id: PK[int] = column(default=AUTO)
                prefs: Col[JsonModel[Prefs]] = column(default_factory=Prefs)
        """

        __slots__ = ()

        def __new__(cls, *args: Any, **kwargs: Any) -> Any:
            raise TypeError("JsonModel is a type marker: annotate a field Col[JsonModel[SomeModel]]")

        def __class_getitem__(cls, item: Any) -> Any:
            return Annotated[item, JSONType(item)]
