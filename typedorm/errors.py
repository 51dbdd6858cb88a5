"""The exception hierarchy of typedorm; driver errors are mapped onto it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "AmbiguousRename",
    "BranchError",
    "CheckViolation",
    "CommitOutcomeUnknown",
    "ConfigurationError",
    "ConnectionLost",
    "DataError",
    "DatabaseError",
    "Deadlock",
    "ForeignKeyViolation",
    "IntegrityError",
    "InvalidArgument",
    "InvalidValue",
    "LockTimeout",
    "MigrationError",
    "MigrationFailed",
    "ModelDefinitionError",
    "MultipleResultsFound",
    "NotFound",
    "NotLoaded",
    "NotNullViolation",
    "PoolTimeout",
    "RetryableError",
    "SerializationFailure",
    "TransactionAborted",
    "TransactionError",
    "TwoPhaseError",
    "TypedORMError",
    "UniqueViolation",
    "UnknownField",
    "UnknownLookup",
    "UnsetValueError",
    "UnsupportedChange",
    "ValidationError",
]


class TypedORMError(Exception):
    """Base class of every error typedorm raises.

    Example: ``except TypedORMError as e: log.warning("database problem: %s", e)``
    """


class ConfigurationError(TypedORMError):
    """A database URL, option or setting is wrong (raised before any I/O).

    Example: ``Database("oracle://db/x")  # ConfigurationError: unknown database URL scheme``
    """


class ModelDefinitionError(TypedORMError, TypeError):
    """A model class is declared wrongly; raised when the class is created.

    Example: ``class T(Model, primary_key=("a", "nope")): ...  # no field "nope"``
    """


class ValidationError(TypedORMError, ValueError):
    """Input did not validate against a model.

    Wraps Pydantic's error: ``errors()`` returns its list of dicts, each with the
    field's ``loc``, and ``fields`` names the top-level fields that failed.
    """

    def __init__(
        self, message: str, errors: Sequence[Mapping[str, Any]] = (), *, model: str | None = None
    ) -> None:
        super().__init__(message)
        self._errors = [dict(e) for e in errors]
        self.model = model

    def errors(self) -> list[dict[str, Any]]:
        """Pydantic's error list: one dict per problem, with ``loc``, ``msg`` and ``type``."""
        return [dict(e) for e in self._errors]

    @property
    def fields(self) -> tuple[str, ...]:
        out: list[str] = []
        for e in self._errors:
            loc = e.get("loc") or ()
            if loc:
                first = str(loc[0]) if not isinstance(loc[0], int) or len(loc) < 2 else str(loc[1])
                if first not in out:
                    out.append(first)
        return tuple(out)


class InvalidValue(ValidationError, TypeError):
    """A value given to a query (a lookup, comparison, ``in_`` or ``get()``) does not fit its column.

    Raised before any SQL, naming the field (``fields``), the same on every backend: a
    list where a ``str`` is expected, a ``dict`` for an ``int`` column, and so on. It is a
    :class:`ValidationError` and also a ``TypeError``.

    Example: ``users.filter_by(name=["ann"])  # InvalidValue: fields == ("name",)``
    """


class InvalidArgument(TypedORMError, ValueError, TypeError):
    """An argument that shapes SQL text is outside its closed set, or out of range.

    ``argument`` names it: ``limit``/``offset`` below zero, a connector other than
    AND/OR, an unknown function, ``nulls`` other than first/last, an isolation level,
    a LIKE escape character, ordering through a to-many relation, ... Raised before any
    SQL is built. A programming error: also a ``ValueError`` and a ``TypeError``.

    Example: ``users.limit(-1)  # InvalidArgument: e.argument == "limit"``
    """

    def __init__(self, message: str, *, argument: str) -> None:
        super().__init__(message)
        self.argument = argument


class UnknownField(TypedORMError, AttributeError):
    """A field name (from a lookup, ordering, projection or payload) is not declared on the model.

    Example: ``users.filter_by(agee=3)  # UnknownField: User has no field 'agee'``
    """

    def __init__(
        self, field: str, *, model: str, choices: Sequence[str] = (), key: str | None = None
    ) -> None:
        self.field = field
        self.model = model
        self.choices: tuple[str, ...] = tuple(choices)
        #: the key as the caller gave it (``"author__nme__gte"``, ``"-"``); ``field`` is the unknown part
        self.key: str = field if key is None else key
        hint = f"; valid fields: {', '.join(self.choices)}" if self.choices else ""
        given = f" (in {self.key!r})" if self.key != field else ""
        super().__init__(f"{model} has no field {field!r}{given}{hint}")


class UnknownLookup(TypedORMError, ValueError):
    """A Django-style lookup suffix (``age__foo``) is not one typedorm knows.

    Example: ``users.filter_by(age__foo=3)  # UnknownLookup: unknown lookup 'foo'``
    """

    def __init__(self, lookup: str, *, key: str, choices: Sequence[str] = ()) -> None:
        self.lookup = lookup
        self.key = key
        self.choices: tuple[str, ...] = tuple(choices)
        super().__init__(f"unknown lookup {lookup!r} in {key!r}; valid lookups: {', '.join(self.choices)}")


class UnsetValueError(TypedORMError, AttributeError):
    """A database-assigned field (``AUTO``) was read before the row was inserted.

    Example: ``User(name="x").id  # before insert(): UnsetValueError``
    """


class NotLoaded(TypedORMError, AttributeError):
    """A relationship was touched that the query did not load.

    Example: ``users.get_or_raise(1).posts  # NotLoaded unless loaded with .load(User.posts)``
    """


class NotFound(TypedORMError, LookupError):
    """No row matched where exactly one was required.

    Example: ``users.get_or_raise(42)  # NotFound: no User with primary key 42``
    """


class MultipleResultsFound(TypedORMError, LookupError):
    """More than one row matched where at most one was expected.

    Example: ``users.filter(User.age > 0).one()  # with two matching rows``
    """


class TransactionError(TypedORMError):
    """A transaction was used wrongly (e.g. commit outside one, savepoint misuse).

    Example: ``with db.transaction(), db.transaction(isolation="serializable"): ...``
    """


class TransactionAborted(TransactionError):
    """A statement inside the transaction failed, so the transaction can only roll back.

    Raised by the statements that follow the failure and by the commit, on every backend: the
    whole transaction is rolled back, and ``error`` (also the ``__cause__``) is the original
    failure. Wrap a statement that may fail in a nested ``transaction()`` (a savepoint) to
    keep the enclosing transaction usable.

    Example::

        with db.transaction():
            try:
                users.insert(duplicate)        # UniqueViolation, caught
            except UniqueViolation:
                pass
            users.insert(other)                # TransactionAborted (e.error is the UniqueViolation)
    """

    def __init__(self, message: str, *, error: BaseException) -> None:
        super().__init__(message)
        self.error = error


class TwoPhaseError(TransactionError):
    """A two-phase transaction (``two_phase()``) did not commit on every database.

    ``decision`` says what happened: ``"rollback"`` (rolled back everywhere: a statement or a
    prepare failed, or recovery decided first), ``"commit"`` (decided, but a branch could not be
    committed yet: ``typedorm recover`` finishes it) or ``None`` (writing the decision failed, so
    it is unknown until recovery reads the log). ``gid`` is the global transaction id.

    Example: ``except TwoPhaseError as e: e.decision``
    """

    def __init__(self, message: str, *, gid: str, decision: str | None) -> None:
        super().__init__(message)
        self.gid = gid
        self.decision = decision


class DatabaseError(TypedORMError):
    """An error reported by the database or its driver that has no finer class.

    Example: ``except DatabaseError as e: print(e.sqlstate, e.errno)``
    """

    def __init__(self, message: str, *, sqlstate: str | None = None, errno: int | None = None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate
        self.errno = errno


class DataError(DatabaseError, ValueError):
    """A value cannot be stored faithfully (out of range, NUL in text, ...).

    Example: ``except DataError as e: print(e.model, e.field)``
    """

    def __init__(
        self, message: str, *, field: str | None = None, model: str | None = None, **kw: Any
    ) -> None:
        super().__init__(message, **kw)
        self.field = field
        self.model = model


class ConnectionLost(DatabaseError):
    """The connection to the server broke.

    Example: ``except ConnectionLost: ...  # retry on a fresh connection``
    """


class CommitOutcomeUnknown(ConnectionLost):
    """The connection broke during ``COMMIT``: the transaction may or may not be stored.

    On PostgreSQL typedorm asks the server on a new connection first (``txid_status``) and
    raises this only when it cannot tell; ``xid`` is the transaction's id there (None
    elsewhere, or if it never reached the client), to look up later.

    Example: ``except CommitOutcomeUnknown as e: reconcile(e.xid)  # check before re-running``
    """

    def __init__(self, message: str, *, xid: str | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.xid = xid


class PoolTimeout(TypedORMError, TimeoutError):
    """No connection became free within ``pool_timeout`` seconds.

    Example: ``Database(url, pool_size=1, max_overflow=0, pool_timeout=0.5)``
    """


class RetryableError(DatabaseError):
    """The unit of work may succeed if re-run from the start.

    Example: ``@db.transaction(retry=3)  # re-runs on a RetryableError``
    """


class SerializationFailure(RetryableError):
    """The database aborted the transaction to keep it serializable (SQLSTATE 40001).

    Example: ``@db.transaction(isolation="serializable", retry=3)``
    """


class Deadlock(RetryableError):
    """The database broke a deadlock by aborting this transaction (40P01, MySQL 1213).

    Example: ``@db.transaction(retry=3)  # re-run when the database picked this one``
    """


class IntegrityError(DatabaseError):
    """A constraint refused the write. ``fields`` names the model fields involved.

    Example: ``except IntegrityError as e: print(e.model, e.fields, e.constraint)``
    """

    def __init__(
        self,
        message: str,
        *,
        model: str | None = None,
        fields: Sequence[str] = (),
        constraint: str | None = None,
        table: str | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(message, **kw)
        self.model = model
        self.fields: tuple[str, ...] = tuple(fields)
        self.constraint = constraint
        self.table = table


class UniqueViolation(IntegrityError):
    """A unique or primary-key constraint refused the write.

    Example: ``except UniqueViolation as e: e.fields == ("email",)``
    """


class ForeignKeyViolation(IntegrityError):
    """A foreign-key constraint refused the write.

    Example: ``posts.insert(Post(author_id=999, title="x"))  # no user 999``
    """


class NotNullViolation(IntegrityError):
    """A NOT NULL constraint refused the write.

    Example: ``db.execute("INSERT INTO users (name) VALUES (NULL)")``
    """


class CheckViolation(IntegrityError):
    """A CHECK constraint refused the write.

    Example: ``except CheckViolation as e: e.constraint == "ck_players_number"``
    """


class MigrationError(TypedORMError):
    """A migration cannot be made, loaded or applied; the message says why and what to do.

    Example: ``except MigrationError as e: sys.exit(f"typedorm: {e}")``
    """


class BranchError(MigrationError):
    """The migration files do not form a single line of history (two files share a parent).

    Example: ``0002_a.py`` and ``0002_b.py`` both follow ``0001_init``: renumber one (``parent = "0002_a"``).
    """


class UnsupportedChange(MigrationError):
    """The model change has no automatic migration (e.g. a new primary key); write it by hand.

    Example: ``id: PK[int]`` becoming ``primary_key=("org_id", "id")``: write ``op.execute(...)`` steps.
    """


class LockTimeout(MigrationError):
    """Another process holds the migration lock and did not release it in time.

    Example: ``typedorm.cli.main(["migrate", "up"])`` returns 4 (lock busy) while another process migrates.
    """


class AmbiguousRename(MigrationError):
    """Columns or tables disappeared while others appeared: a rename or a drop plus an add?

    ``candidates`` lists ``(table, removed, added)`` triples (``table`` is None for tables).
    Resolve with a hint (``rename={"users.name": "full_name"}``) or ``renames="none"``.

    Example: ``typedorm migrate make -m "rename" --rename users.name=full_name``
    """

    def __init__(self, message: str, candidates: list[tuple[str | None, str, str]]) -> None:
        super().__init__(message)
        self.candidates = candidates


class MigrationFailed(MigrationError):
    """Applying (or reverting) a migration failed; says which operation and what was kept.

    ``applied_ops`` counts the operations that took effect and stay in effect (always 0 on
    backends with transactional DDL, where the whole migration was rolled back).

    Example: ``except MigrationFailed as e: print(e.revision, e.op_index, e.applied_ops)``
    """

    def __init__(self, message: str, *, revision: str, op_index: int, applied_ops: int) -> None:
        super().__init__(message)
        self.revision = revision
        self.op_index = op_index
        self.applied_ops = applied_ops
