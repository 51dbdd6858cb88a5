"""Two-phase commit SQL per dialect, transaction-id checks, and the Galera variant's URL and DDL rules."""

from __future__ import annotations

import dataclasses

import pytest

from typedorm import PK, Col, ConfigurationError, InvalidArgument, Model, two_phase
from typedorm.dialects import GaleraDialect, MariaDBDialect, MySQLDialect, PostgreSQLDialect, SQLiteDialect
from typedorm.drivers._mysql import SESSION_INIT, session_kwargs
from typedorm.engine.url import URL


class Thing(Model, table="things"):
    id: PK[int]
    name: Col[str]


def test_postgresql_prepared_transaction_sql() -> None:
    d = PostgreSQLDialect()
    assert d.supports_two_phase
    assert d.tpc_begin_sql("td2pc.c.0123456789abcdef.0") == ["BEGIN"]
    assert d.tpc_begin_sql("g", "serializable") == ["BEGIN ISOLATION LEVEL SERIALIZABLE"]
    assert d.tpc_prepare_sql("g.1") == ["PREPARE TRANSACTION 'g.1'"]
    assert d.tpc_commit_sql("g.1") == "COMMIT PREPARED 'g.1'"
    assert d.tpc_rollback_prepared_sql("g.1") == "ROLLBACK PREPARED 'g.1'"
    assert d.tpc_rollback_active_sql("g.1") == ["ROLLBACK"]
    assert d.tpc_check_sql() is not None and "max_prepared_transactions" in d.tpc_check_sql()  # type: ignore[operator]
    assert d.tpc_unknown_id("42704", None) and not d.tpc_unknown_id("40001", None)


@pytest.mark.parametrize("dialect", [MySQLDialect(), MariaDBDialect()])
def test_mysql_xa_sql(dialect: MySQLDialect) -> None:
    assert dialect.supports_two_phase
    assert dialect.tpc_begin_sql("g.0") == ["XA START 'g.0'"]
    assert dialect.tpc_begin_sql("g.0", "read committed") == [
        "SET TRANSACTION ISOLATION LEVEL READ COMMITTED",
        "XA START 'g.0'",
    ]
    assert dialect.tpc_prepare_sql("g.0") == ["XA END 'g.0'", "XA PREPARE 'g.0'"]
    assert dialect.tpc_commit_sql("g.0") == "XA COMMIT 'g.0'"
    assert dialect.tpc_rollback_prepared_sql("g.0") == "XA ROLLBACK 'g.0'"
    assert dialect.tpc_rollback_active_sql("g.0") == ["XA END 'g.0'", "XA ROLLBACK 'g.0'"]
    assert dialect.tpc_recover_sql() == "XA RECOVER"
    assert dialect.tpc_recovered_gid((1, 3, 0, b"g.0")) == "g.0"
    assert dialect.tpc_recovered_gid((1, 3, 2, "g.0bq")) == "g.0"
    assert dialect.tpc_unknown_id(None, 1397) and not dialect.tpc_unknown_id(None, 1213)


@pytest.mark.parametrize("gid", ["", "a'b", "x" * 65, "a b", "g;DROP", None, 5])
def test_transaction_ids_outside_the_closed_set_are_refused(gid: object) -> None:
    for d in (PostgreSQLDialect(), MySQLDialect()):
        with pytest.raises(InvalidArgument) as info:
            d.tpc_commit_sql(gid)  # type: ignore[arg-type]
        assert info.value.argument == "gid"


@pytest.mark.parametrize("dialect", [SQLiteDialect(), GaleraDialect()])
def test_backends_without_usable_prepared_transactions_refuse(dialect: SQLiteDialect | GaleraDialect) -> None:
    assert not dialect.supports_two_phase
    with pytest.raises(ConfigurationError, match="prepared transactions"):
        dialect.tpc_prepare_sql("g.0")


def test_two_phase_refuses_sqlite_before_any_io(tmp_path: object) -> None:
    from typedorm import Database

    db = Database("sqlite:///:memory:")
    try:
        with pytest.raises(ConfigurationError, match="no prepared transactions"), two_phase(db):
            pass
        with pytest.raises(ConfigurationError, match="same database"):
            two_phase(db, db)
        with pytest.raises(ConfigurationError, match="coordinator"):
            two_phase(db, coordinator="no spaces")
        with pytest.raises(InvalidArgument, match="takes Database objects") as e:
            two_phase(db, "sqlite:///:memory:")  # type: ignore[arg-type]
        assert e.value.argument == "databases"
        with pytest.raises(InvalidArgument, match="takes Database objects") as e:
            two_phase(db, log="sqlite:///:memory:")  # type: ignore[arg-type]
        assert e.value.argument == "log"
    finally:
        db.close()


def test_galera_url_gets_causal_statements_unless_it_says_otherwise() -> None:
    url = URL.parse("galera://root@10.0.0.1/app")
    assert url.dialect == "mysql" and url.dialect_scheme == "galera"
    assert dict(url.query) == {"wsrep_sync_wait": "15"}
    assert dict(URL.parse("galera://root@h/app?wsrep_sync_wait=0").query) == {"wsrep_sync_wait": "0"}
    assert "wsrep_sync_wait" not in dict(URL.parse("mariadb://root@h/app").query)


def test_wsrep_sync_wait_goes_into_the_session_setup() -> None:
    kwargs = session_kwargs({"wsrep_sync_wait": 3}, {})
    assert kwargs["init_command"] == f"{SESSION_INIT}, wsrep_sync_wait = 3"
    assert "wsrep_sync_wait" not in kwargs
    assert session_kwargs({}, {})["init_command"] == SESSION_INIT
    with pytest.raises(ConfigurationError, match="wsrep_sync_wait"):
        session_kwargs({"wsrep_sync_wait": 16}, {})


def test_galera_refuses_a_table_without_primary_key() -> None:
    d = GaleraDialect()
    assert d.create_table_statements(Thing.__table__)  # a model always has one
    keyless = dataclasses.replace(Thing.__table__, primary_key=())
    with pytest.raises(ConfigurationError, match="'things' has no primary key"):
        d.create_table_statements(keyless)
    assert MariaDBDialect().create_table_statements(keyless)  # a single server takes it


def test_galera_migration_lock_is_a_row() -> None:
    assert GaleraDialect().migration_lock("app") is None
    assert MariaDBDialect().migration_lock("app") is not None


def test_recover_command_refuses_sqlite_with_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    from typedorm.cli import EXIT_USAGE, main

    assert main(["recover", "sqlite:///:memory:"]) == EXIT_USAGE
    assert "no prepared transactions" in capsys.readouterr().err


def test_transaction_options_are_refused_as_typedorm_errors() -> None:
    from typedorm import Database, TypedORMError

    db = Database("sqlite:///:memory:")
    try:
        with pytest.raises(InvalidArgument, match="retry must be a non-negative int") as e:
            db.transaction(retry=-1)
        assert e.value.argument == "retry"
        with pytest.raises(TypedORMError):
            db.transaction(isolation="chaos")  # type: ignore[arg-type]
    finally:
        db.close()
