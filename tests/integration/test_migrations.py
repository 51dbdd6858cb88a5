"""Migrations against every backend: a long model history up and down with its data, failures, drift."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import pytest

from typedorm import AUTO, PK, Col, Column, Database, ForeignKey, Model, column
from typedorm.errors import ForeignKeyViolation, IntegrityError, UniqueViolation
from typedorm.migrations import MigrationFailed, Migrations, Runner, Schema, introspect, make_migration
from typedorm.migrations.runner import HISTORY_TABLE

# --- the model history --------------------------------------------------------------------------
# Each step is a function returning that step's models, so every step gets fresh classes.


def v1() -> list[type[Model]]:
    class Item(Model, table="items"):
        id: PK[int] = column(default=AUTO)
        name: Col[str]
        price: Col[str]

    return [Item]


def v2() -> list[type[Model]]:
    class Item(Model, table="items"):
        id: PK[int] = column(default=AUTO)
        name: Col[str]
        price: Col[str]
        qty: Col[int] = column(default=1)

    return [Item]


def v3() -> list[type[Model]]:
    class Item(Model, table="items"):
        id: PK[int] = column(default=AUTO)
        title: Col[str]
        price: Col[str]
        qty: Col[int] = column(default=1)

    return [Item]


def v4() -> list[type[Model]]:
    class Item(Model, table="items"):
        id: PK[int] = column(default=AUTO)
        title: Col[str]
        price: Col[int]
        qty: Col[int] = column(default=1)

    return [Item]


def v5() -> list[type[Model]]:
    class Item(Model, table="items"):
        id: PK[int] = column(default=AUTO)
        title: Annotated[Col[str], Column(unique=True)]
        price: Col[int]
        qty: Col[int] = column(default=1)

    return [Item]


def v6() -> list[type[Model]]:
    class Owner(Model, table="owners"):
        id: PK[int] = column(default=AUTO)
        name: Col[str]

    class Item(Model, table="items"):
        id: PK[int] = column(default=AUTO)
        title: Annotated[Col[str], Column(unique=True)]
        price: Col[int]
        qty: Col[int] = column(default=1)
        owner_id: Annotated[Col[int | None], ForeignKey("owners.id", on_delete="cascade")] = column(
            default=None
        )

    return [Owner, Item]


def v7() -> list[type[Model]]:
    class Owner(Model, table="owners"):
        id: PK[int] = column(default=AUTO)
        name: Col[str]

    class Item(Model, table="items"):
        id: PK[int] = column(default=AUTO)
        title: Annotated[Col[str], Column(unique=True)]
        price: Col[int]
        owner_id: Annotated[Col[int | None], ForeignKey("owners.id", on_delete="cascade")] = column(
            default=None
        )

    return [Owner, Item]


def v8() -> list[type[Model]]:
    class Owner(Model, table="owners"):
        id: PK[int] = column(default=AUTO)
        name: Col[str]

    class Item(Model, table="items"):
        id: PK[int] = column(default=AUTO)
        title: Annotated[Col[str], Column(unique=True)]
        price: Annotated[Col[int], Column(index=True)]
        owner_id: Annotated[Col[int | None], ForeignKey("owners.id", on_delete="cascade")] = column(
            default=None
        )

    return [Owner, Item]


STEPS: list[tuple[Callable[[], list[type[Model]]], str, dict[str, str]]] = [
    (v1, "add items", {}),
    (v2, "add qty with default", {}),
    (v3, "rename name to title", {"items.name": "title"}),
    (v4, "price becomes an integer", {}),
    (v5, "unique titles", {}),
    (v6, "owners and a foreign key", {}),
    (v7, "drop qty", {}),
    (v8, "index prices", {}),
]

DATA_MIGRATION = '''\
"""upper-case titles (a data migration)"""

from typedorm.migrations import MigrationContext, Op

revision = "0009_upper_titles"
parent = "0008_index_prices"
message = "upper-case titles"


def shout(ctx: MigrationContext) -> None:
    for (id_, title) in ctx.execute("SELECT id, title FROM items ORDER BY id").rows:
        ctx.execute("UPDATE items SET title = :t WHERE id = :id", {"t": title.upper(), "id": id_})


def whisper(ctx: MigrationContext) -> None:
    ctx.execute("UPDATE items SET title = lower(title)")


def upgrade(op: Op) -> None:
    op.run_python(shout)


def downgrade(op: Op) -> None:
    op.execute("UPDATE items SET title = lower(title) WHERE id > ?", [0])
'''


def _write_history(directory: Path) -> None:
    for models, message, rename in STEPS:
        made = make_migration(directory, models(), message, rename=rename)
        assert made.path is not None, message
    (directory / "0009_upper_titles.py").write_text(DATA_MIGRATION, encoding="utf-8")


def rows(db: Database, table: str, cols: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in db.execute(f"SELECT {cols} FROM {table} ORDER BY id").rows]


def columns(db: Database, table: str) -> list[str]:
    return [c.name for c in introspect(db).tables[table].columns]


def test_model_history_up_and_down_preserves_data(db: Database, tmp_path: Path) -> None:
    mdir = tmp_path / "migrations"
    _write_history(mdir)
    runner = Runner(db, mdir, backup=False)
    revs = runner.migrations.revisions
    assert len(revs) == 9

    def up_to(i: int) -> None:
        assert runner.upgrade(revs[i]) == [revs[i]]
        st = runner.status()
        assert st.current == revs[i]
        assert st.drift == [], st.drift  # the migrated schema is the one the models create

    def down_to(i: int) -> None:
        assert runner.downgrade() == [revs[i + 1]]
        assert runner.status().current == (revs[i] if i >= 0 else None)
        assert runner.status().drift == []

    up_to(0)  # add table
    db.execute("INSERT INTO items (name, price) VALUES (?, ?), (?, ?)", ("apple", "12", "pear", "7"))
    up_to(1)  # add column with default: existing rows get it
    assert rows(db, "items", "name, price, qty") == [("apple", "12", 1), ("pear", "7", 1)]
    up_to(2)  # rename column: same values under the new name
    assert rows(db, "items", "title, price, qty") == [("apple", "12", 1), ("pear", "7", 1)]
    up_to(3)  # change type with conversion
    assert rows(db, "items", "title, price") == [("apple", 12), ("pear", 7)]
    up_to(4)  # add unique
    with pytest.raises(UniqueViolation):
        db.execute("INSERT INTO items (title, price, qty) VALUES (?, ?, ?)", ("apple", 1, 1))
    up_to(5)  # add a table and a foreign key
    db.execute("INSERT INTO owners (name) VALUES (?)", ("ann",))
    owner = db.execute("SELECT id FROM owners").scalar()
    db.execute("UPDATE items SET owner_id = ? WHERE title = ?", (owner, "apple"))
    with pytest.raises(ForeignKeyViolation):
        db.execute("UPDATE items SET owner_id = ? WHERE title = ?", (owner + 100, "pear"))
    assert rows(db, "items", "title, price, qty, owner_id") == [("apple", 12, 1, owner), ("pear", 7, 1, None)]
    up_to(6)  # drop column: the others stay
    assert columns(db, "items") == ["id", "title", "price", "owner_id"]
    assert rows(db, "items", "title, price, owner_id") == [("apple", 12, owner), ("pear", 7, None)]
    up_to(7)  # add index
    assert [i.name for i in introspect(db).tables["items"].indexes] == ["ix_items_price", "uq_items_title"]
    up_to(8)  # data migration
    assert rows(db, "items", "title, price") == [("APPLE", 12), ("PEAR", 7)]

    down_to(7)
    assert rows(db, "items", "title, price, owner_id") == [("apple", 12, owner), ("pear", 7, None)]
    down_to(6)
    assert [i.name for i in introspect(db).tables["items"].indexes] == ["uq_items_title"]
    down_to(5)  # the dropped column comes back with its default
    assert rows(db, "items", "title, price, qty, owner_id") == [("apple", 12, 1, owner), ("pear", 7, 1, None)]
    down_to(4)
    assert "owners" not in introspect(db).tables
    assert rows(db, "items", "title, price, qty") == [("apple", 12, 1), ("pear", 7, 1)]
    down_to(3)  # unique gone: duplicates are allowed again
    db.execute("INSERT INTO items (title, price, qty) VALUES (?, ?, ?)", ("apple", 1, 1))
    db.execute("DELETE FROM items WHERE price = ?", (1,))
    down_to(2)  # back to text
    assert rows(db, "items", "title, price, qty") == [("apple", "12", 1), ("pear", "7", 1)]
    down_to(1)
    assert rows(db, "items", "name, price, qty") == [("apple", "12", 1), ("pear", "7", 1)]
    down_to(0)
    assert rows(db, "items", "name, price") == [("apple", "12"), ("pear", "7")]
    down_to(-1)
    assert introspect(db).tables == {}
    assert runner.history()[0][1] is None


# --- failure injection ----------------------------------------------------------------------------

FAILING = '''\
"""three operations, the third one broken"""

from typedorm.migrations import Op, col, index

revision = "0002_broken"
parent = "0001_add_items"
message = "broken"


def upgrade(op: Op) -> None:
    op.alter_column("items", "price", col("price", "integer"))
    op.add_column("items", col("note", "string", nullable=True))
    op.execute({bad!r})
    op.add_index("items", index("ix_items_note", ["note"]))


def downgrade(op: Op) -> None:
    op.drop_index("items", "ix_items_note")
    op.drop_column("items", "note")
    op.alter_column("items", "price", col("price", "string"))
'''


def _dump(db: Database) -> dict[str, Any]:
    schema = introspect(db, include_internal=True)
    data = {}
    for name, t in schema.tables.items():
        cols = ", ".join(db.dialect.quote(c.name) for c in t.columns)
        data[name] = sorted(
            map(tuple, db.execute(f"SELECT {cols} FROM {db.dialect.quote(name)}").rows), key=repr
        )
    return {
        "schema": {
            n: (t.columns, t.primary_key, t.indexes, t.foreign_keys, t.checks)
            for n, t in schema.tables.items()
        },
        "data": data,
    }


def _failing_setup(db: Database, tmp_path: Path, bad: str) -> Runner:
    mdir = tmp_path / "migrations"
    make_migration(mdir, v1(), "add items")
    (mdir / "0002_broken.py").write_text(FAILING.format(bad=bad), encoding="utf-8")
    runner = Runner(db, mdir, backup=False)
    runner.upgrade("0001")
    db.execute("INSERT INTO items (name, price) VALUES (?, ?), (?, ?)", ("apple", "12", "pear", "7"))
    return runner


def test_failed_migration_leaves_schema_and_data_untouched(db: Database, tmp_path: Path) -> None:
    if not db.dialect.transactional_ddl:
        pytest.skip("the backend commits DDL implicitly: see test_failed_migration_on_mysql_records_progress")
    runner = _failing_setup(db, tmp_path, "UPDATE no_such_table SET x = 1")
    before = _dump(db)
    with pytest.raises(MigrationFailed) as err:
        runner.upgrade()
    msg = str(err.value)
    assert "operation 3 of 4" in msg and "rolled back" in msg
    assert err.value.applied_ops == 0
    assert _dump(db) == before
    assert runner.status().current == "0001_add_items"


def test_failed_migration_on_mysql_records_progress(db: Database, tmp_path: Path) -> None:
    if db.dialect.transactional_ddl:
        pytest.skip("the backend rolls a failed migration back entirely")
    runner = _failing_setup(db, tmp_path, "UPDATE no_such_table SET x = 1")
    with pytest.raises(MigrationFailed) as err:
        runner.upgrade()
    msg = str(err.value)
    assert "operation 3 of 4" in msg and "operations 1-2 of this migration are applied" in msg
    st = runner.status()
    assert st.incomplete is not None and (st.incomplete.ops_done, st.incomplete.state) == (2, "partial")
    assert columns(db, "items") == ["id", "name", "price", "note"]
    # fix the migration and continue from operation 3
    path = tmp_path / "migrations" / "0002_broken.py"
    path.write_text(FAILING.format(bad="UPDATE items SET note = 'ok'"), encoding="utf-8")
    runner = Runner(db, tmp_path / "migrations", backup=False)
    assert runner.upgrade() == ["0002_broken"]
    assert rows(db, "items", "name, price, note") == [("apple", 12, "ok"), ("pear", 7, "ok")]
    assert runner.status().incomplete is None


def test_not_null_column_without_default_on_rows_explains(db: Database, tmp_path: Path) -> None:
    def with_required() -> list[type[Model]]:
        class Item(Model, table="items"):
            id: PK[int] = column(default=AUTO)
            name: Col[str]
            price: Col[str]
            sku: Col[str]

        return [Item]

    mdir = tmp_path / "migrations"
    make_migration(mdir, v1(), "add items")
    made = make_migration(mdir, with_required(), "add sku")
    assert "NOT NULL without a default" in made.source
    runner = Runner(db, mdir, backup=False)
    runner.upgrade("0001")
    db.execute("INSERT INTO items (name, price) VALUES (?, ?)", ("apple", "12"))
    with pytest.raises(MigrationFailed, match=r"cannot add NOT NULL column items\.sku: the table has rows"):
        runner.upgrade()
    assert columns(db, "items") == ["id", "name", "price"]
    # with a backfill it goes through
    assert made.path is not None
    made.path.write_text(
        made.source.replace('col("sku", "string"))', 'col("sku", "string"), backfill="n/a")')
    )
    assert Runner(db, mdir, backup=False).upgrade() == ["0002_add_sku"]
    assert rows(db, "items", "name, sku") == [("apple", "n/a")]


def test_drift_is_reported(db: Database, tmp_path: Path) -> None:
    mdir = tmp_path / "migrations"
    make_migration(mdir, v1(), "add items")
    runner = Runner(db, mdir, backup=False)
    assert runner.status().pending == ["0001_add_items"]
    runner.upgrade()
    assert runner.status().drift == []
    db.execute(
        "CREATE INDEX ix_manual ON items (price)"
        if db.dialect.name != "mysql"
        else "CREATE INDEX ix_manual ON items (price(10))"
    )
    db.execute("CREATE TABLE stray (id INTEGER PRIMARY KEY)")
    drift = runner.status().drift
    assert any("ix_manual" in d and "not in the migrations" in d for d in drift), drift
    assert any("table stray exists in the database" in d for d in drift), drift


def test_backup_and_restore_sqlite(tmp_path: Path) -> None:
    from typedorm.migrations import restore_backup

    db = Database(f"sqlite:///{tmp_path / 'app.db'}")
    try:
        mdir = tmp_path / "migrations"
        make_migration(mdir, v1(), "add items")
        make_migration(mdir, v2(), "add qty")
        runner = Runner(db, mdir)
        runner.upgrade("0001")
        db.execute("INSERT INTO items (name, price) VALUES (?, ?)", ("apple", "12"))
        runner.upgrade()
        assert runner.last_backup is not None and runner.last_backup.revision == "0001_add_items"
        db.execute("DELETE FROM items")
        info = restore_backup(db)
        assert info.revision == "0001_add_items"
        assert rows(db, "items", "name, price") == [("apple", "12")]
        assert runner.status().current == "0001_add_items"
    finally:
        db.close()


def test_history_table_is_excluded_from_introspection(db: Database, tmp_path: Path) -> None:
    mdir = tmp_path / "migrations"
    make_migration(mdir, v1(), "add items")
    Runner(db, mdir, backup=False).upgrade()
    assert list(introspect(db).tables) == ["items"]
    assert HISTORY_TABLE in introspect(db, include_internal=True).tables
    assert Migrations.load(mdir).head_state() == Schema.from_models(v1())


def test_sqlite_rebuild_keeps_views_triggers_and_foreign_keys(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'app.db'}")
    try:
        mdir = tmp_path / "migrations"
        make_migration(mdir, v6(), "owners and items")
        make_migration(mdir, v7(), "drop qty")  # a rebuild of items, which references owners
        runner = Runner(db, mdir, backup=False)
        runner.upgrade("0001")
        db.execute("INSERT INTO owners (name) VALUES ('ann')")
        db.execute("INSERT INTO items (title, price, qty, owner_id) VALUES ('apple', 1, 1, 1)")
        db.execute("CREATE VIEW cheap AS SELECT title FROM items WHERE price < 10")
        db.execute("CREATE TABLE log (msg TEXT)")
        db.execute(
            "CREATE TRIGGER items_ins AFTER INSERT ON items BEGIN INSERT INTO log VALUES (new.title); END"
        )
        runner.upgrade()
        assert db.execute("SELECT title FROM cheap").rows == [("apple",)]
        db.execute("INSERT INTO items (title, price) VALUES ('pear', 2)")
        assert db.execute("SELECT msg FROM log").rows == [("pear",)]
        with pytest.raises(IntegrityError):
            db.execute("INSERT INTO items (title, price, owner_id) VALUES ('fig', 3, 99)")
        db.execute("DELETE FROM owners")  # ON DELETE CASCADE survived the rebuild
        assert db.execute("SELECT title FROM items").rows == [("pear",)]
    finally:
        db.close()


def test_sqlite_rebuild_refuses_dangling_foreign_keys(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'app.db'}")
    try:
        mdir = tmp_path / "migrations"
        make_migration(mdir, v5(), "items")
        make_migration(mdir, v6(), "owners")
        runner = Runner(db, mdir, backup=False)
        runner.upgrade("0001")
        db.execute("INSERT INTO items (title, price, qty) VALUES ('apple', 1, 1)")
        (mdir / "0003_bad_owner.py").write_text(
            textwrap.dedent("""\
            from typedorm.migrations import Op
            revision = "0003_bad_owner"
            parent = "0002_owners"
            def upgrade(op: Op) -> None:
                op.execute("PRAGMA foreign_keys = OFF")
                op.execute("UPDATE items SET owner_id = 42")
            def downgrade(op: Op) -> None:
                pass
        """)
        )
        runner = Runner(db, mdir, backup=False)
        runner.upgrade("0002")
        with pytest.raises(MigrationFailed, match="foreign keys point nowhere"):
            runner.upgrade()
        assert rows(db, "items", "title, owner_id") == [("apple", None)]
    finally:
        db.close()
