"""Dialect packages, variants and the scheme registry: lookups, registration errors, per-dialect hooks."""

from __future__ import annotations

from typing import ClassVar

import pytest

from typedorm.dialects import (
    Dialect,
    MariaDBDialect,
    MigrationLock,
    MySQLDialect,
    PostgreSQLDialect,
    SQLiteDialect,
    dialect_class,
    get_dialect,
    register_dialect,
    registry,
)
from typedorm.engine.url import URL
from typedorm.errors import ConfigurationError


@pytest.fixture(autouse=True)
def _private_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    # registrations made here must not leak into other tests' "valid schemes" messages
    monkeypatch.setattr(registry, "_registered", dict(registry._registered))


def test_builtin_schemes_map_to_dialect_packages() -> None:
    assert dialect_class("sqlite") is SQLiteDialect
    assert dialect_class("postgres") is dialect_class("postgresql") is PostgreSQLDialect
    assert dialect_class("mysql") is MySQLDialect
    assert dialect_class("MariaDB") is MariaDBDialect
    assert issubclass(MariaDBDialect, MySQLDialect) and MariaDBDialect.family == "mysql"
    assert dialect_class("oracle") is None
    with pytest.raises(ValueError, match="unknown dialect 'oracle'"):
        get_dialect("oracle")


def test_mariadb_variant_adapts_returning_to_the_server_version() -> None:
    old, new, mysql = MariaDBDialect(), MariaDBDialect(), MySQLDialect()
    old.apply_server_version("10.4.32-MariaDB")
    new.apply_server_version("10.11.6-MariaDB-0+deb12u1")
    mysql.apply_server_version("8.0.36")
    assert (old.supports_returning, new.supports_returning, mysql.supports_returning) == (False, True, False)
    # a mysql:// URL reaching MariaDB gets the variant's capabilities
    on_maria = MySQLDialect()
    on_maria.apply_server_version("10.11.6-MariaDB")
    assert on_maria.supports_returning and on_maria.supports_delete_returning


def test_register_dialect_validates_its_arguments() -> None:
    with pytest.raises(ConfigurationError, match="not a Dialect subclass"):
        register_dialect("bogus", int)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="module:Class"):
        register_dialect("bogus", "no_colon_here")
    with pytest.raises(ConfigurationError, match="scheme"):
        register_dialect("bad scheme", PostgreSQLDialect)
    register_dialect("brokenplugin", "no_such_module_xyz:Dialect")
    with pytest.raises(ConfigurationError, match="cannot load dialect"):
        dialect_class("brokenplugin")


def test_registered_variant_keeps_its_scheme_and_family_driver() -> None:
    class TiDialect(MySQLDialect):
        name: ClassVar[str] = "tidbtest"

    register_dialect("tidbtest", TiDialect)
    url = URL.parse("tidbtest+pymysql://root@h:4000/app")
    assert (url.dialect, url.driver, url.variant) == ("mysql", "pymysql", "tidbtest")
    assert url.render() == "tidbtest+pymysql://root@h:4000/app"
    assert type(get_dialect(url.dialect_scheme)) is TiDialect
    # built-in aliases still normalise to their family
    assert URL.parse("mariadb://u@h/db").variant is None


def test_migration_lock_and_bulk_key_hooks_per_dialect() -> None:
    assert SQLiteDialect().migration_lock("x") is None
    pg = PostgreSQLDialect().migration_lock("x")
    assert pg == MigrationLock(
        "SELECT pg_try_advisory_lock(?)",
        "SELECT pg_advisory_unlock(?)",
        (PostgreSQLDialect.advisory_lock_key,),
    )
    my = MySQLDialect().migration_lock("shop")
    assert my is not None and my.params == ("typedorm_migrate:shop",) and "GET_LOCK" in my.acquire
    # the statement itself is compiled in tests/unit/test_compile_shapes.py (ReserveKeys)
    assert PostgreSQLDialect.reserves_keys
    assert not SQLiteDialect.reserves_keys and not MySQLDialect.reserves_keys
    assert MySQLDialect().rename_table_sql("a", "b") == "RENAME TABLE `a` TO `b`"
    assert SQLiteDialect().rename_table_sql("a", "b") == 'ALTER TABLE "a" RENAME TO "b"'


def test_capability_flags_differ_only_by_dialect_class() -> None:
    flags = (
        "rebuilds_tables",
        "file_backups",
        "modify_column",
        "checks_pin_columns",
        "unique_is_index",
        "foreign_keys_make_indexes",
        "supports_upsert_returning",
        "probes_server_version",
    )
    rows = {
        d.__name__: tuple(getattr(d, f) for f in flags)
        for d in (SQLiteDialect, PostgreSQLDialect, MySQLDialect)
    }
    assert rows == {
        "SQLiteDialect": (True, True, False, False, False, False, True, False),
        "PostgreSQLDialect": (False, False, False, False, False, False, True, False),
        "MySQLDialect": (False, False, True, True, True, True, False, True),
    }
    assert all(
        issubclass(d, Dialect) for d in (SQLiteDialect, PostgreSQLDialect, MySQLDialect, MariaDBDialect)
    )


def test_capability_flags_are_enforced_by_the_compiler() -> None:
    from typedorm.errors import InvalidArgument
    from typedorm.schema.spec import ColumnSpec, TableSpec
    from typedorm.sql.stmt import CreateTable, Delete, Insert

    class Minimal(PostgreSQLDialect):
        name: ClassVar[str] = "minimal"
        supports_upsert: ClassVar[bool] = False
        supports_multirow_insert: ClassVar[bool] = False
        supports_delete_returning: ClassVar[bool] = False
        max_identifier_length: ClassVar[int] = 8

    key = ColumnSpec(
        field="id",
        name="id",
        type_name="integer",
        sql_types={"postgresql": "BIGINT"},
        nullable=False,
        primary_key=True,
    )
    wide = ColumnSpec(
        field="much_too_long",
        name="much_too_long",
        type_name="integer",
        sql_types={"postgresql": "BIGINT"},
        nullable=True,
    )
    t = TableSpec(name="t", model_name="T", columns=(key,), primary_key=("id",))
    d, pg = Minimal(), PostgreSQLDialect()
    one, two = Insert(t, (key,), [(1,)]), Insert(t, (key,), [(1,), (2,)])
    assert d.compile(one).sql == 'INSERT INTO "t" ("id") VALUES (%s)'
    with pytest.raises(InvalidArgument, match="multi-row"):
        d.compile(two)
    assert pg.compile(two).sql.endswith("VALUES (%s), (%s)")
    with pytest.raises(InvalidArgument, match="upsert"):
        d.compile(one.on_conflict_do_nothing(["id"]))
    with pytest.raises(InvalidArgument, match=r"DELETE \.\.\. RETURNING"):
        d.compile(Delete(t, (), (key,)))
    assert pg.compile(Delete(t, (), (key,))).sql == 'DELETE FROM "t" RETURNING "id"'
    with pytest.raises(InvalidArgument, match="much_too_long"):
        d.visit_create_table(
            CreateTable(TableSpec(name="t", model_name="T", columns=(key, wide), primary_key=("id",)))
        )
    assert pg.visit_create_table(
        CreateTable(TableSpec(name="t", model_name="T", columns=(key, wide), primary_key=("id",)))
    )
