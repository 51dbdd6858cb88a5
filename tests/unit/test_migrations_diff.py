"""Migrations without a database: diffs, renames, ordering, compiled DDL per dialect, files and snapshots."""

from __future__ import annotations

import dataclasses
import enum
import json
from pathlib import Path
from typing import Annotated, Any

import pytest

from typedorm import AUTO, PK, Col, Column, ForeignKey, Model, column
from typedorm.dialects import get_dialect
from typedorm.migrations import (
    AmbiguousRename,
    BranchError,
    MigrationError,
    Migrations,
    Schema,
    UnsupportedChange,
    canonical_type,
    check,
    col,
    diff,
    make_migration,
)
from typedorm.migrations.diff import compare_live, invert_renames
from typedorm.migrations.ops import (
    MISSING,
    AddCheck,
    AddColumn,
    AddForeignKey,
    AddIndex,
    AlterColumn,
    CreateTableOp,
    DropCheck,
    DropColumn,
    DropForeignKey,
    DropIndexOp,
    DropTableOp,
    Op,
    OpContext,
    Operation,
    RenameColumn,
    RenameTable,
)
from typedorm.migrations.reflect import parse_sqlite_create_table
from typedorm.schema.spec import ColumnSpec, TableSpec


def users_v1() -> list[type[Model]]:
    class User(Model, table="users"):
        id: PK[int] = column(default=AUTO)
        name: Annotated[Col[str], Column(max_length=50)]

    return [User]


def users_renamed() -> list[type[Model]]:
    class User(Model, table="users"):
        id: PK[int] = column(default=AUTO)
        full_name: Annotated[Col[str], Column(max_length=50)]

    return [User]


def users_with_age(default: bool = True) -> list[type[Model]]:
    if default:

        class User(Model, table="users"):
            id: PK[int] = column(default=AUTO)
            name: Annotated[Col[str], Column(max_length=50)]
            age: Col[int] = column(default=18, ge=0)

        return [User]

    class User2(Model, table="users"):
        id: PK[int] = column(default=AUTO)
        name: Annotated[Col[str], Column(max_length=50)]
        age: Col[int]

    return [User2]


def with_orders() -> list[type[Model]]:
    class User(Model, table="users"):
        id: PK[int] = column(default=AUTO)
        name: Annotated[Col[str], Column(max_length=50, index=True)]

    class Order(Model, table="orders"):
        id: PK[int] = column(default=AUTO)
        user_id: Annotated[Col[int], ForeignKey("users.id", on_delete="cascade")]

    return [Order, User]


def schema(models: list[type[Model]]) -> Schema:
    return Schema.from_models(models)


def kinds(ops: list[Operation]) -> list[str]:
    return [op.describe() for op in ops]


def sql(op: Operation, before: Schema, dialect: str) -> list[str]:
    ctx = OpContext(get_dialect(dialect), before.copy())
    op.run(ctx)
    return ctx.statements


# --- diff ---------------------------------------------------------------------------------------


def test_new_models_create_tables_parents_first() -> None:
    ops = diff(Schema(), schema(with_orders()))
    assert kinds(ops) == ["create table users", "create table orders"]
    assert all(isinstance(op, CreateTableOp) for op in ops)
    back = diff(schema(with_orders()), Schema())
    assert kinds(back) == ["drop table orders", "drop table users"]


def test_unchanged_models_give_no_operations() -> None:
    assert diff(schema(users_v1()), schema(users_v1())) == []


def test_added_column_takes_the_model_default_as_backfill() -> None:
    (op,) = diff(schema(users_v1()), schema(users_with_age()))
    assert isinstance(op, AddColumn) and op.backfill == 18
    (op,) = diff(schema(users_v1()), schema(users_with_age(default=False)))
    assert isinstance(op, AddColumn) and op.backfill is MISSING


def test_disappearing_and_appearing_column_is_never_a_silent_drop() -> None:
    with pytest.raises(AmbiguousRename) as err:
        diff(schema(users_v1()), schema(users_renamed()))
    assert err.value.candidates == [("users", "name", "full_name")]
    assert "--rename users.name=full_name" in str(err.value)


def test_rename_hint_renames() -> None:
    ops = diff(schema(users_v1()), schema(users_renamed()), rename={"users.name": "full_name"})
    assert kinds(ops) == ["rename column users.name to full_name"]


def test_renames_none_drops_and_adds() -> None:
    ops = diff(schema(users_v1()), schema(users_renamed()), renames="none")
    assert kinds(ops) == ["add column users.full_name", "drop column users.name"]


def test_rename_question_is_asked() -> None:
    asked: list[str] = []

    def ask(q: str) -> bool:
        asked.append(q)
        return True

    ops = diff(schema(users_v1()), schema(users_renamed()), ask=ask)
    assert asked == ["Was column users.name renamed to users.full_name?"]
    assert isinstance(ops[0], RenameColumn)
    ops = diff(schema(users_v1()), schema(users_renamed()), ask=lambda q: False)
    assert kinds(ops) == ["add column users.full_name", "drop column users.name"]


def test_table_rename_hint() -> None:
    def people() -> list[type[Model]]:
        class User(Model, table="people"):
            id: PK[int] = column(default=AUTO)
            name: Annotated[Col[str], Column(max_length=50)]

        return [User]

    with pytest.raises(AmbiguousRename, match="tables 'users' disappeared"):
        diff(schema(users_v1()), schema(people()))
    ops = diff(schema(users_v1()), schema(people()), rename={"users": "people"})
    assert isinstance(ops[0], RenameTable)
    assert invert_renames({"users": "people", "people.a": "b"}) == {"people": "users", "people.b": "a"}


def test_bad_rename_hint_is_reported() -> None:
    with pytest.raises(AmbiguousRename, match=r"there is no column 'users\.nick'"):
        diff(schema(users_v1()), schema(users_renamed()), rename={"users.nick": "full_name"})


def test_type_change_is_an_alter_and_a_primary_key_change_is_refused() -> None:
    def price(kind: type) -> list[type[Model]]:
        class Item(Model, table="items"):
            id: PK[int] = column(default=AUTO)
            price: Col[kind]  # type: ignore[valid-type]

        return [Item]

    (op,) = diff(schema(price(str)), schema(price(int)))
    assert isinstance(op, AlterColumn) and op.to.type_name == "integer"

    class Keyed(Model, table="items", primary_key=("id", "price")):
        id: Col[int]
        price: Col[str]

    with pytest.raises(UnsupportedChange, match="primary key changes"):
        diff(schema(price(str)), schema([Keyed]))


def test_order_of_operations_is_safe() -> None:
    ops = diff(schema(with_orders()), schema(users_v1()))
    # the foreign key and the index go before the table and the column they need
    assert kinds(ops) == ["drop index ix_users_name on users", "drop table orders"]
    ops = diff(schema(users_v1()), schema(with_orders()))
    assert kinds(ops) == ["create table orders", "add index ix_users_name on users"]

    def orders_without_fk() -> list[type[Model]]:
        class User(Model, table="users"):
            id: PK[int] = column(default=AUTO)
            name: Annotated[Col[str], Column(max_length=50, index=True)]

        class Order(Model, table="orders"):
            id: PK[int] = column(default=AUTO)

        return [Order, User]

    ops = diff(schema(with_orders()), schema(orders_without_fk()))
    assert [type(o) for o in ops] == [DropForeignKey, DropColumn]


def test_mysql_only_type_change_compiles_to_nothing_elsewhere() -> None:
    # an index turns MySQL's LONGTEXT into VARCHAR(255); SQLite and PostgreSQL keep TEXT
    def notes(indexed: bool) -> list[type[Model]]:
        class Note(Model, table="notes"):
            id: PK[int] = column(default=AUTO)
            body: Annotated[Col[str], Column(index=indexed)]

        return [Note]

    before, after = schema(notes(False)), schema(notes(True))
    alter, add = diff(before, after)
    assert isinstance(alter, AlterColumn) and isinstance(add, AddIndex)
    assert sql(alter, before, "sqlite") == []
    assert sql(alter, before, "postgresql") == []
    assert sql(alter, before, "mysql") == ["ALTER TABLE `notes` MODIFY COLUMN `body` VARCHAR(255) NOT NULL"]


# --- compiled DDL -----------------------------------------------------------------------------------


def test_add_column_with_backfill_per_dialect() -> None:
    before = schema(users_v1())
    (op,) = diff(before, schema(users_with_age()))
    assert sql(op, before, "postgresql") == [
        'ALTER TABLE "users" ADD COLUMN "age" BIGINT',
        'UPDATE "users" SET "age" = ?',
        'ALTER TABLE "users" ALTER COLUMN "age" SET NOT NULL',
        'ALTER TABLE "users" ADD CONSTRAINT "ck_users_age_ge" CHECK ("age" >= 0)',
    ]
    assert sql(op, before, "mysql") == [
        "ALTER TABLE `users` ADD COLUMN `age` BIGINT",
        "UPDATE `users` SET `age` = ?",
        "ALTER TABLE `users` MODIFY COLUMN `age` BIGINT NOT NULL",
        "ALTER TABLE `users` ADD CONSTRAINT `ck_users_age_ge` CHECK (`age` >= 0)",
    ]
    # SQLite cannot add a NOT NULL column with a check: the table is rebuilt
    assert sql(op, before, "sqlite") == [
        'CREATE TABLE "_typedorm_new_users" (\n    "id" INTEGER NOT NULL PRIMARY KEY,\n    "name" TEXT NOT NULL,\n'
        '    "age" INTEGER NOT NULL,\n    CONSTRAINT "ck_users_name_t0" CHECK (length("name") <= 50),\n'
        '    CONSTRAINT "ck_users_age_ge" CHECK ("age" >= 0)\n)',
        'INSERT INTO "_typedorm_new_users" ("id", "name", "age") SELECT "id", "name", ? FROM "users"',
        'DROP TABLE "users"',
        'ALTER TABLE "_typedorm_new_users" RENAME TO "users"',
    ]


def test_nullable_column_is_a_plain_add_on_sqlite() -> None:
    before = schema(users_v1())
    op = AddColumn("users", col("nick", "string", nullable=True))
    assert sql(op, before, "sqlite") == ['ALTER TABLE "users" ADD COLUMN "nick" TEXT']


def test_alter_type_uses_a_cast() -> None:
    before = Schema([_table("items", [col("id", "integer", primary_key=True), col("price", "string")])])
    op = AlterColumn("items", "price", col("price", "integer"))
    assert sql(op, before, "postgresql") == [
        'ALTER TABLE "items" ALTER COLUMN "price" TYPE BIGINT USING "price"::BIGINT'
    ]
    assert sql(op, before, "mysql") == ["ALTER TABLE `items` MODIFY COLUMN `price` BIGINT NOT NULL"]
    assert sql(op, before, "sqlite")[1] == (
        'INSERT INTO "_typedorm_new_items" ("id", "price") SELECT "id", CAST("price" AS INTEGER) FROM "items"'
    )


def test_rename_column_renames_derived_constraints() -> None:
    before = schema(users_v1())
    op = RenameColumn("users", "name", "full_name")
    # PostgreSQL enforces VARCHAR(50) itself: no derived check to rename
    assert sql(op, before, "postgresql") == ['ALTER TABLE "users" RENAME COLUMN "name" TO "full_name"']
    # on MySQL the derived min-length check goes and comes back under the new name
    shorts = Schema(
        [_table("users", [col("id", "integer", primary_key=True), col("name", "string", min_length=2)])]
    )
    assert sql(op, shorts, "postgresql") == [
        'ALTER TABLE "users" RENAME COLUMN "name" TO "full_name"',
        'ALTER TABLE "users" RENAME CONSTRAINT "ck_users_name_t0" TO "ck_users_full_name_t0"',
    ]
    assert sql(op, shorts, "mysql") == [
        "ALTER TABLE `users` DROP CONSTRAINT `ck_users_name_t0`",
        "ALTER TABLE `users` RENAME COLUMN `name` TO `full_name`",
        "ALTER TABLE `users` ADD CONSTRAINT `ck_users_full_name_t0` CHECK (char_length(`full_name`) >= 2)",
    ]
    assert sql(op, before, "sqlite")[0] == 'ALTER TABLE "users" RENAME COLUMN "name" TO "full_name"'
    assert (
        'CONSTRAINT "ck_users_full_name_t0" CHECK (length("full_name") <= 50)' in sql(op, before, "sqlite")[1]
    )


def test_foreign_key_and_index_ddl() -> None:
    before = schema(with_orders())
    drop = DropForeignKey("orders", "fk_orders_user_id")
    assert sql(drop, before, "postgresql") == ['ALTER TABLE "orders" DROP CONSTRAINT "fk_orders_user_id"']
    assert sql(drop, before, "mysql") == [
        "ALTER TABLE `orders` DROP FOREIGN KEY `fk_orders_user_id`",
        "DROP INDEX `fk_orders_user_id` ON `orders`",  # the index InnoDB made for the key
    ]
    after = before.copy()
    drop.apply(after)
    add = AddForeignKey("orders", before.tables["orders"].foreign_keys[0])
    assert sql(add, after, "postgresql") == [
        'ALTER TABLE "orders" ADD CONSTRAINT "fk_orders_user_id" FOREIGN KEY ("user_id") REFERENCES "users" ("id") '
        "ON DELETE CASCADE"
    ]
    assert sql(DropIndexOp("users", "ix_users_name"), before, "mysql") == [
        "DROP INDEX `ix_users_name` ON `users`"
    ]
    assert sql(DropTableOp("orders"), before, "sqlite") == ['DROP TABLE "orders"']
    with pytest.raises(MigrationError, match="still has a foreign key"):
        sql(DropTableOp("users"), before, "sqlite")


def test_drop_column_needs_its_index_dropped_first() -> None:
    before = schema(with_orders())
    with pytest.raises(MigrationError, match="still used by index ix_users_name"):
        sql(DropColumn("users", "name"), before, "postgresql")


def _table(name: str, columns: list[ColumnSpec]) -> TableSpec:
    op = Op()
    op.create_table(name, columns, primary_key=[columns[0].name])
    created = op.operations[0]
    assert isinstance(created, CreateTableOp)
    return created.table


# --- files, snapshots, state -------------------------------------------------------------------------


def test_written_migrations_replay_to_the_models(tmp_path: Path) -> None:
    d = tmp_path / "migrations"
    steps = [users_v1(), users_with_age(), with_orders()]
    for i, models in enumerate(steps):
        made = make_migration(d, models, f"step {i}")
        assert made.path is not None and made.path.name.startswith(f"000{i + 1}_step_{i}")
    ms = Migrations.load(d)
    assert ms.revisions == ["0001_step_0", "0002_step_1", "0003_step_2"]
    assert ms.state_at(ms.head) == schema(steps[-1])
    assert ms.state_at("0001_step_0") == schema(steps[0])
    snap = ms.snapshot()
    assert snap is not None and snap[1] == "0003_step_2" and snap[0] == schema(steps[-1])
    # the downgrades lead back to the empty schema
    state = ms.state_at(ms.head)
    for script in reversed(list(ms)):
        for op in script.downgrade_ops():
            op.apply(state)
    assert state == Schema()
    assert make_migration(d, steps[-1], "nothing").path is None
    source = (d / "0002_step_1.py").read_text()
    assert 'op.add_column("users", col("age", "integer", ge=0), backfill=18)' in source
    assert 'parent = "0001_step_0"' in source


def test_snapshot_json_round_trip() -> None:
    s = schema(with_orders())
    again = Schema.from_json(s.to_json())
    assert again == s
    assert again.defaults == s.defaults
    assert again.to_json() == s.to_json()


def test_branches_are_refused(tmp_path: Path) -> None:
    d = tmp_path / "m"
    make_migration(d, users_v1(), "first")
    make_migration(d, users_with_age(), "second")
    src = (d / "0002_second.py").read_text().replace('"0002_second"', '"0002_other"')
    (d / "0002_other.py").write_text(src)
    with pytest.raises(BranchError, match="0002_other and 0002_second both follow 0001_first"):
        Migrations.load(d)
    (d / "0002_other.py").write_text(src.replace('parent = "0001_first"', 'parent = "0000_gone"'))
    with pytest.raises(MigrationError, match="parent '0000_gone' is not a known revision"):
        Migrations.load(d)


def test_resolve_targets(tmp_path: Path) -> None:
    d = tmp_path / "m"
    make_migration(d, users_v1(), "first")
    make_migration(d, users_with_age(), "second")
    ms = Migrations.load(d)
    assert ms.resolve("0002") == "0002_second"
    assert ms.resolve("head") == "0002_second"
    assert ms.resolve("base") is None
    with pytest.raises(MigrationError, match="ambiguous"):
        ms.resolve("000")


# --- introspection helpers -----------------------------------------------------------------------


def test_canonical_types() -> None:
    assert canonical_type("postgresql", "VARCHAR(100)") == "character varying(100)"
    assert canonical_type("postgresql", "TIMESTAMPTZ") == "timestamp with time zone"
    assert canonical_type("postgresql", "NUMERIC(10, 2)") == "numeric(10,2)"
    assert canonical_type("mysql", "BIGINT") == "bigint" == canonical_type("mysql", "bigint(20)")
    assert canonical_type("mysql", "BOOLEAN") == "tinyint(1)"
    assert canonical_type("mysql", "DECIMAL(65, 30)") == "decimal(65,30)"
    assert canonical_type("sqlite", "varchar( 10 )") == "VARCHAR(10)"


def test_sqlite_constraint_names_come_from_the_statement() -> None:
    parsed = parse_sqlite_create_table(
        'CREATE TABLE "t" ("id" INTEGER NOT NULL PRIMARY KEY, "a" TEXT DEFAULT (\'x,y\') CHECK (a <> \'\'), '
        '"b" INTEGER REFERENCES other (id), CONSTRAINT "uq_t_a" UNIQUE ("a", "b"), '
        'CONSTRAINT "ck_t_b" CHECK ("b" IN (1, 2)), '
        'CONSTRAINT "fk_t_b" FOREIGN KEY ("b") REFERENCES "other" ("id") ON DELETE CASCADE)'
    )
    assert parsed.uniques == [("uq_t_a", ("a", "b"))]
    assert parsed.checks == [(None, "a <> ''"), ("ck_t_b", '"b" IN (1, 2)')]
    assert parsed.fks == [(None, ("b",)), ("fk_t_b", ("b",))]


def test_compare_live_reports_differences() -> None:
    expected = schema(with_orders())
    live = Schema()
    t = expected.tables["users"]
    live.tables["users"] = dataclasses.replace(
        t,
        columns=tuple(dataclasses.replace(c, nullable=True) if c.name == "name" else c for c in t.columns),
        indexes=(),
    )
    out = compare_live(expected, live, "postgresql")
    assert "table orders is missing from the database" in out
    assert "column users.name is NULL, expected NOT NULL" in out
    assert "index ix_users_name on users(name) is missing" in out


def test_renaming_a_column_rewrites_checks_that_use_it() -> None:
    from typedorm.migrations.ops import rename_identifier

    assert (
        rename_identifier("qty >= 0 AND \"qty\" < 'qty'", "qty", "amount")
        == "amount >= 0 AND \"amount\" < 'qty'"
    )

    def stock(name: str) -> list[type[Model]]:
        class Stock(Model, table="stock", checks=[("ck_stock_pos", f"{name} >= 0")]):
            id: PK[int] = column(default=AUTO)
            qty: Annotated[Col[int], Column(name=name)]

        return [Stock]

    before, after = schema(stock("qty")), schema(stock("amount"))
    ops = diff(before, after, rename={"stock.qty": "amount"})
    assert kinds(ops) == ["rename column stock.qty to amount"]
    assert sql(ops[0], before, "mysql") == [
        "ALTER TABLE `stock` DROP CONSTRAINT `ck_stock_pos`",
        "ALTER TABLE `stock` RENAME COLUMN `qty` TO `amount`",
        "ALTER TABLE `stock` ADD CONSTRAINT `ck_stock_pos` CHECK (amount >= 0)",
    ]


def test_nullability_default_and_check_changes() -> None:
    def item(nullable: bool, default: int | None, checks: list[tuple[str, str]]) -> list[type[Model]]:
        if nullable:

            class A(Model, table="items", checks=checks):
                id: PK[int] = column(default=AUTO)
                qty: Col[int | None] = column(default=None, server_default=default)

            return [A]

        class B(Model, table="items", checks=checks):
            id: PK[int] = column(default=AUTO)
            qty: Col[int] = column(default=5, server_default=default)

        return [B]

    before = schema(item(True, None, []))
    after = schema(item(False, 5, [("ck_items_small", "qty < 100")]))
    alter, add_check = diff(before, after)
    assert isinstance(alter, AlterColumn) and alter.backfill == 5
    assert sql(alter, before, "postgresql") == [
        'UPDATE "items" SET "qty" = ? WHERE "qty" IS NULL',
        'ALTER TABLE "items" ALTER COLUMN "qty" SET NOT NULL',
        'ALTER TABLE "items" ALTER COLUMN "qty" SET DEFAULT 5',
    ]
    assert sql(alter, before, "mysql") == [
        "UPDATE `items` SET `qty` = ? WHERE `qty` IS NULL",
        "ALTER TABLE `items` MODIFY COLUMN `qty` BIGINT NOT NULL DEFAULT 5",
    ]
    assert 'SELECT "id", COALESCE("qty", ?) FROM "items"' in sql(alter, before, "sqlite")[1]
    mid = before.copy()
    alter.apply(mid)
    assert sql(add_check, mid, "postgresql") == [
        'ALTER TABLE "items" ADD CONSTRAINT "ck_items_small" CHECK (qty < 100)'
    ]
    back = diff(after, before)
    assert kinds(back) == ["drop check ck_items_small on items", "alter column items.qty"]
    assert sql(back[0], after, "mysql") == ["ALTER TABLE `items` DROP CONSTRAINT `ck_items_small`"]
    mid = after.copy()
    back[0].apply(mid)
    assert sql(back[1], mid, "postgresql") == [
        'ALTER TABLE "items" ALTER COLUMN "qty" DROP NOT NULL',
        'ALTER TABLE "items" ALTER COLUMN "qty" DROP DEFAULT',
    ]


class _Kind(str, enum.Enum):  # noqa: UP042 - the mixin form is what users write
    A = "a"
    BB = "bb"


def docs_models() -> list[type[Model]]:
    # the models tests/unit/data/snapshot_v1.json was written for (by typedorm before SQL types
    # were computed per dialect: version 1 stored one type per built-in dialect)
    class Doc(Model, table="docs", unique=[("owner", "slug")]):
        id: PK[int] = column(default=AUTO)
        owner: Col[int]
        slug: Col[str]
        title: Annotated[Col[str], Column(max_length=80)]
        body: Annotated[Col[str], Column(sql_type={"postgresql": "CITEXT"})]
        meta: Col[dict[str, Any]]
        kind: Col[_Kind]
        price: Annotated[Col[float], Column(sql_type="NUMERIC(10, 2)")]

    return [Doc]


def test_a_version_1_snapshot_loads_and_is_written_in_the_new_format() -> None:
    text = (Path(__file__).parent / "data" / "snapshot_v1.json").read_text()
    assert json.loads(text)["version"] == 1
    old = Schema.from_json(text)
    models = schema(docs_models())
    assert old == models
    assert diff(old, models) == []
    t = old.table("docs")
    # computed types are dropped, declared ones kept; the composite-unique text stays indexable
    assert {c.name: dict(c.sql_types) for c in t.columns if c.sql_types} == {
        "body": {"postgresql": "CITEXT"},
        "price": {"mysql": "NUMERIC(10, 2)", "postgresql": "NUMERIC(10, 2)", "sqlite": "NUMERIC(10, 2)"},
    }
    assert t.by_name["slug"].keyed and t.by_name["slug"].sql_type("mysql") == "VARCHAR(255)"
    for d in ("sqlite", "postgresql", "mysql"):
        assert get_dialect(d).create_table_statements(t) == get_dialect(d).create_table_statements(
            models.table("docs")
        )
    new = json.loads(old.to_json())
    assert new["version"] == 2
    assert all(
        c["sql_types"] == {} for c in new["tables"][0]["columns"] if c["name"] not in ("body", "price")
    )
    assert Schema.from_json(old.to_json()) == old


def test_a_type_change_on_one_dialect_only_is_still_a_change() -> None:
    # the diff compares the DDL of every registered dialect, computed when asked
    def notes(max_length: int) -> list[type[Model]]:
        class Note(Model, table="notes"):
            id: PK[int] = column(default=AUTO)
            body: Annotated[Col[str], Column(max_length=max_length)]

        return [Note]

    # SQLite keeps TEXT; PostgreSQL and MySQL change VARCHAR's length
    (op,) = diff(schema(notes(20)), schema(notes(30)))
    assert isinstance(op, AlterColumn)
    assert sql(op, schema(notes(20)), "postgresql") == [
        'ALTER TABLE "notes" ALTER COLUMN "body" TYPE VARCHAR(30) USING "body"::VARCHAR(30)'
    ]


def test_a_dialect_outside_typedorm_brings_its_own_migrator() -> None:
    from typedorm.dialects import Dialect, PostgreSQLDialect
    from typedorm.dialects.migrate import Migrator
    from typedorm.dialects.postgresql.migrate import PostgreSQLMigrator

    class StandardDialect(Dialect):
        name = "standard"
        family = "standard"

    class RowStoreMigrator(PostgreSQLMigrator):
        def drop_check(self, target: Any, t: TableSpec, new_t: TableSpec, name: str) -> None:
            target.ddl(f"ALTER TABLE {self.q(t.name)} DROP CHECK {self.q(name)}")

    class RowStoreDialect(PostgreSQLDialect):
        name = "rowstore"

        def migrator(self) -> Migrator:
            return RowStoreMigrator(self)

    before = Schema([_table("items", [col("id", "integer", primary_key=True), col("price", "string")])])
    alter = AlterColumn("items", "price", col("price", "integer"))
    # the standard migrator casts with CAST(... AS ...); a PostgreSQL variant inherits "::"
    for d, cast in ((StandardDialect(), 'CAST("price" AS BIGINT)'), (RowStoreDialect(), '"price"::BIGINT')):
        ctx = OpContext(d, before.copy())
        alter.run(ctx)
        assert ctx.statements == [f'ALTER TABLE "items" ALTER COLUMN "price" TYPE BIGINT USING {cast}']
    with_check = before.copy()
    AddCheck("items", check("ck_items_price", "price <> ''")).apply(with_check)
    ctx = OpContext(RowStoreDialect(), with_check)
    DropCheck("items", "ck_items_price").run(ctx)
    assert ctx.statements == ['ALTER TABLE "items" DROP CHECK "ck_items_price"']
