"""Compiled SQL text and parameters for every construct, per dialect (no database)."""

from collections.abc import Callable
from typing import Annotated, Any

import pytest

from typedorm.dialects import MySQLDialect, PostgreSQLDialect, SQLiteDialect, get_dialect
from typedorm.errors import InvalidArgument
from typedorm.schema import AUTO, PK, Col, Column, ForeignKey, Model, column
from typedorm.sql import Q, func, select
from typedorm.sql.compiler import Compiled
from typedorm.sql.stmt import CreateIndex, CreateTable, Delete, DropIndex, DropTable, Insert, Update

DIALECTS = ("sqlite", "postgresql", "mysql")


class User(Model, table="users"):
    id: PK[int] = column(default=AUTO)
    name: Annotated[Col[str], Column(max_length=100)]
    email: Annotated[Col[str], Column(unique=True)]
    age: Annotated[Col[int], Column(index=True)] = column(default=0, ge=0)
    n: Col[int] = column(default=0)
    nick: Col[str | None] = column(default=None)


class Order(Model, table="orders"):
    id: PK[int] = column(default=AUTO)
    user_id: Annotated[Col[int], ForeignKey(User.id, on_delete="cascade")]
    total: Col[float] = column(default=0.0)


class OrderLine(Model, primary_key=("order_id", "line"), unique=[("order_id", "sku")]):
    order_id: Annotated[Col[int], ForeignKey("orders.id")]
    line: Col[int]
    sku: Col[str]
    qty: Col[int] = column(default=1, gt=0, le=999)


Expected = dict[str, tuple[str, list[Any]]]


def same(sql: str, params: list[Any] | None = None) -> Expected:
    """One SQLite-style text for all dialects: ``?`` -> ``%s``, and backticks on MySQL."""
    p = [] if params is None else params
    pg = sql.replace("?", "%s")
    return {"sqlite": (sql, p), "postgresql": (pg, p), "mysql": (pg.replace('"', "`"), p)}


def compile_in(dialect: str, stmt: object) -> Compiled:
    return get_dialect(dialect).compile(stmt)


CASES: list[tuple[str, Callable[[], object], Expected]] = [
    # --- comparison operators ---------------------------------------------------------
    ("eq", lambda: User.name == "x", same('"users"."name" = ?', ["x"])),
    ("ne", lambda: User.name != "x", same('"users"."name" <> ?', ["x"])),
    ("lt", lambda: User.age < 1, same('"users"."age" < ?', [1])),
    ("le", lambda: User.age <= 2, same('"users"."age" <= ?', [2])),
    ("gt", lambda: User.age > 3, same('"users"."age" > ?', [3])),
    ("ge", lambda: User.age >= 4, same('"users"."age" >= ?', [4])),
    ("eq-none", lambda: User.nick == None, same('"users"."nick" IS NULL')),  # noqa: E711
    ("ne-none", lambda: User.nick != None, same('"users"."nick" IS NOT NULL')),  # noqa: E711
    ("column-vs-column", lambda: User.age == User.n, same('"users"."age" = "users"."n"')),
    ("reflected", lambda: 5 < User.age, same('"users"."age" > ?', [5])),
    # --- IN, NULL, BETWEEN ------------------------------------------------------------
    ("in", lambda: User.id.in_([1, 2, 3]), same('"users"."id" IN (?, ?, ?)', [1, 2, 3])),
    ("in-generator", lambda: User.id.in_(i for i in (7, 8)), same('"users"."id" IN (?, ?)', [7, 8])),
    ("in-empty", lambda: User.id.in_([]), same("1 = 0")),
    ("not-in", lambda: User.id.not_in([4]), same('"users"."id" NOT IN (?)', [4])),
    ("not-in-empty", lambda: User.id.not_in([]), same("1 = 1")),
    (
        "in-subquery",
        lambda: User.id.in_(select(Order.user_id).where(Order.total > 10)),
        same('"users"."id" IN (SELECT "orders"."user_id" FROM "orders" WHERE "orders"."total" > ?)', [10]),
    ),
    (
        "not-in-subquery",
        lambda: User.id.not_in(select(Order.user_id)),
        same('"users"."id" NOT IN (SELECT "orders"."user_id" FROM "orders")'),
    ),
    ("is-null", lambda: User.nick.is_null(), same('"users"."nick" IS NULL')),
    ("is-not-null", lambda: User.nick.is_not_null(), same('"users"."nick" IS NOT NULL')),
    ("between", lambda: User.age.between(18, 65), same('"users"."age" BETWEEN ? AND ?', [18, 65])),
    (
        "between-expressions",
        lambda: User.age.between(User.n, User.n + 10),
        same('"users"."age" BETWEEN "users"."n" AND ("users"."n" + ?)', [10]),
    ),
    # --- LIKE and the text helpers ------------------------------------------------------
    ("like", lambda: User.name.like("a%_"), same('"users"."name" LIKE ?', ["a%_"])),
    (
        "like-escape",
        lambda: User.name.like("a!%", escape="!"),
        same('"users"."name" LIKE ? ESCAPE \'!\'', ["a!%"]),
    ),
    (
        "like-escape-quote",
        lambda: User.name.like("a'%", escape="'"),
        same("\"users\".\"name\" LIKE ? ESCAPE ''''", ["a'%"]),
    ),
    (
        "like-escape-backslash",
        lambda: User.name.like(r"a\%", escape="\\"),
        {
            "sqlite": (r""""users"."name" LIKE ? ESCAPE '\'""", [r"a\%"]),
            "postgresql": (r""""users"."name" LIKE %s ESCAPE '\'""", [r"a\%"]),
            "mysql": (r"`users`.`name` LIKE %s ESCAPE '\\'", [r"a\%"]),
        },
    ),
    (
        "ilike",
        lambda: User.name.ilike("A%"),
        {
            "sqlite": ('LOWER("users"."name") LIKE LOWER(?)', ["A%"]),
            "postgresql": ('"users"."name" ILIKE %s', ["A%"]),
            "mysql": ("LOWER(`users`.`name`) LIKE LOWER(%s)", ["A%"]),
        },
    ),
    (
        "contains",
        lambda: User.name.contains("50%_a\\"),
        {
            # SQLite's LIKE ignores case: case-sensitive matching uses GLOB.
            "sqlite": ('"users"."name" GLOB ?', ["*50%_a\\*"]),
            "postgresql": (r""""users"."name" LIKE %s ESCAPE '\'""", [r"%50\%\_a\\%"]),
            "mysql": (r"`users`.`name` LIKE %s ESCAPE '\\'", [r"%50\%\_a\\%"]),
        },
    ),
    (
        "icontains",
        lambda: User.name.icontains("A%b"),
        {
            "sqlite": (r""""users"."name" LIKE ? ESCAPE '\'""", [r"%A\%b%"]),
            "postgresql": (r""""users"."name" ILIKE %s ESCAPE '\'""", [r"%A\%b%"]),
            "mysql": (r"LOWER(`users`.`name`) LIKE LOWER(%s) ESCAPE '\\'", [r"%A\%b%"]),
        },
    ),
    (
        "startswith",
        lambda: User.name.startswith("a*?[_"),
        {
            "sqlite": ('"users"."name" GLOB ?', ["a[*][?][[]_*"]),
            "postgresql": (r""""users"."name" LIKE %s ESCAPE '\'""", [r"a*?[\_%"]),
            "mysql": (r"`users`.`name` LIKE %s ESCAPE '\\'", [r"a*?[\_%"]),
        },
    ),
    (
        "istartswith",
        lambda: User.name.istartswith("x_"),
        {
            "sqlite": (r""""users"."name" LIKE ? ESCAPE '\'""", [r"x\_%"]),
            "postgresql": (r""""users"."name" ILIKE %s ESCAPE '\'""", [r"x\_%"]),
            "mysql": (r"LOWER(`users`.`name`) LIKE LOWER(%s) ESCAPE '\\'", [r"x\_%"]),
        },
    ),
    (
        "endswith",
        lambda: User.name.endswith("%z"),
        {
            "sqlite": ('"users"."name" GLOB ?', ["*%z"]),
            "postgresql": (r""""users"."name" LIKE %s ESCAPE '\'""", [r"%\%z"]),
            "mysql": (r"`users`.`name` LIKE %s ESCAPE '\\'", [r"%\%z"]),
        },
    ),
    (
        "iendswith",
        lambda: User.name.iendswith("\\Z"),
        {
            "sqlite": (r""""users"."name" LIKE ? ESCAPE '\'""", [r"%\\Z"]),
            "postgresql": (r""""users"."name" ILIKE %s ESCAPE '\'""", [r"%\\Z"]),
            "mysql": (r"LOWER(`users`.`name`) LIKE LOWER(%s) ESCAPE '\\'", [r"%\\Z"]),
        },
    ),
    (
        "iexact",
        lambda: User.name.iexact("Bob_"),
        {
            "sqlite": (r""""users"."name" LIKE ? ESCAPE '\'""", [r"Bob\_"]),
            "postgresql": (r""""users"."name" ILIKE %s ESCAPE '\'""", [r"Bob\_"]),
            "mysql": (r"LOWER(`users`.`name`) LIKE LOWER(%s) ESCAPE '\\'", [r"Bob\_"]),
        },
    ),
    # --- arithmetic -----------------------------------------------------------------------
    ("add", lambda: User.age + 1 > 2, same('("users"."age" + ?) > ?', [1, 2])),
    ("sub", lambda: User.age - User.n < 0, same('("users"."age" - "users"."n") < ?', [0])),
    (
        "mul-nested",
        lambda: (User.age + 1) * 2 >= User.n,
        same('(("users"."age" + ?) * ?) >= "users"."n"', [1, 2]),
    ),
    ("div", lambda: User.age / 2 == 3, same('("users"."age" / ?) = ?', [2, 3])),
    (
        "mod",
        lambda: User.age % 2 == 0,
        {
            "sqlite": ('("users"."age" % ?) = ?', [2, 0]),
            # with the format paramstyle a literal % is written %%
            "postgresql": ('("users"."age" %% %s) = %s', [2, 0]),
            "mysql": ("(`users`.`age` %% %s) = %s", [2, 0]),
        },
    ),
    ("neg", lambda: -User.age < 0, same('(0 - "users"."age") < ?', [0])),
    ("radd", lambda: 1 + User.age > 0, same('(? + "users"."age") > ?', [1, 0])),
    ("rsub", lambda: 10 - User.age > 0, same('(? - "users"."age") > ?', [10, 0])),
    ("rmul", lambda: 3 * User.age > 0, same('(? * "users"."age") > ?', [3, 0])),
    # --- boolean combinators ----------------------------------------------------------------
    (
        "and",
        lambda: (User.age > 1) & (User.age < 5) & (User.name == "a"),
        same('("users"."age" > ? AND "users"."age" < ? AND "users"."name" = ?)', [1, 5, "a"]),
    ),
    (
        "or",
        lambda: (User.age > 1) | (User.name == "a"),
        same('("users"."age" > ? OR "users"."name" = ?)', [1, "a"]),
    ),
    ("not", lambda: ~(User.age > 1), same('NOT ("users"."age" > ?)', [1])),
    (
        "mixed",
        lambda: ((User.age > 1) | (User.age < 0)) & ~(User.name == "a"),
        same('(("users"."age" > ? OR "users"."age" < ?) AND NOT ("users"."name" = ?))', [1, 0, "a"]),
    ),
    (
        "or-of-ands",
        lambda: ((User.age > 1) & (User.n > 2)) | ((User.age < 0) & (User.n < 0)),
        same(
            '(("users"."age" > ? AND "users"."n" > ?) OR ("users"."age" < ? AND "users"."n" < ?))',
            [1, 2, 0, 0],
        ),
    ),
    ("double-not", lambda: ~~(User.age > 1), same('NOT (NOT ("users"."age" > ?))', [1])),
    # --- Q objects --------------------------------------------------------------------------
    (
        "q-and",
        lambda: Q(age__gte=18, name="x").resolve(User),
        same('("users"."age" >= ? AND "users"."name" = ?)', [18, "x"]),
    ),
    (
        "q-or",
        lambda: (Q(age__gte=18) | Q(name="x")).resolve(User),
        same('("users"."age" >= ? OR "users"."name" = ?)', [18, "x"]),
    ),
    ("q-not", lambda: (~Q(age__lt=18)).resolve(User), same('NOT ("users"."age" < ?)', [18])),
    (
        "q-nested",
        lambda: ((Q(age__gte=18) | Q(nick__isnull=True)) & ~Q(name__in=["a", "b"])).resolve(User),
        same(
            '(("users"."age" >= ? OR "users"."nick" IS NULL) AND NOT ("users"."name" IN (?, ?)))',
            [18, "a", "b"],
        ),
    ),
    (
        "q-with-predicate",
        lambda: (Q(User.n > 1) & Q(age=3)).resolve(User),
        same('("users"."n" > ? AND "users"."age" = ?)', [1, 3]),
    ),
    ("q-empty", lambda: Q().resolve(User), same("1 = 1")),
    ("q-not-empty", lambda: (~Q()).resolve(User), same("NOT (1 = 1)")),
    # --- EXISTS and scalar subqueries -----------------------------------------------------
    (
        "exists",
        lambda: select(Order.id).where(Order.user_id == User.id).exists(),
        same('EXISTS (SELECT "orders"."id" FROM "orders" WHERE "orders"."user_id" = "users"."id")'),
    ),
    (
        "not-exists",
        lambda: ~select(Order.id).where(Order.total > 5).exists(),
        same('NOT EXISTS (SELECT "orders"."id" FROM "orders" WHERE "orders"."total" > ?)', [5]),
    ),
    # --- functions --------------------------------------------------------------------------
    ("count-star", lambda: func.count() > 1, same("COUNT(*) > ?", [1])),
    ("count-col", lambda: func.count(User.id) > 1, same('COUNT("users"."id") > ?', [1])),
    (
        "count-distinct",
        lambda: func.count(User.age, distinct=True) > 1,
        same('COUNT(DISTINCT "users"."age") > ?', [1]),
    ),
    ("sum", lambda: func.sum(User.age) > 1, same('SUM("users"."age") > ?', [1])),
    (
        "avg",
        lambda: func.avg(User.age) > 1.5,
        {
            "sqlite": ('AVG("users"."age") > ?', [1.5]),
            "postgresql": ('AVG("users"."age") > %s', [1.5]),
            # MySQL rounds AVG of integers to 4 places: average a DOUBLE
            "mysql": ("AVG(`users`.`age` + 0E0) > %s", [1.5]),
        },
    ),
    ("min", lambda: func.min(User.age) == 0, same('MIN("users"."age") = ?', [0])),
    ("max", lambda: func.max(User.age) == 9, same('MAX("users"."age") = ?', [9])),
    (
        "coalesce",
        lambda: func.coalesce(User.nick, "anon") == "x",
        same('COALESCE("users"."nick", ?) = ?', ["anon", "x"]),
    ),
    ("lower", lambda: func.lower(User.name) == "ann", same('LOWER("users"."name") = ?', ["ann"])),
    ("upper", lambda: func.upper(User.name) == "ANN", same('UPPER("users"."name") = ?', ["ANN"])),
    (
        "length",
        lambda: func.length(User.name) > 3,
        {
            "sqlite": ('LENGTH("users"."name") > ?', [3]),
            "postgresql": ('LENGTH("users"."name") > %s', [3]),
            # MySQL's LENGTH() counts bytes
            "mysql": ("CHAR_LENGTH(`users`.`name`) > %s", [3]),
        },
    ),
    # --- SELECT -----------------------------------------------------------------------------
    ("select", lambda: select(User.id, User.name), same('SELECT "users"."id", "users"."name" FROM "users"')),
    (
        "select-where",
        lambda: select(User.id).where(User.age >= 18, User.name != "x"),
        same('SELECT "users"."id" FROM "users" WHERE "users"."age" >= ? AND "users"."name" <> ?', [18, "x"]),
    ),
    (
        "select-where-chained-or",
        lambda: select(User.id).where(User.age >= 18).where((User.n == 1) | (User.n == 2)),
        same(
            'SELECT "users"."id" FROM "users" WHERE "users"."age" >= ? AND ("users"."n" = ? OR "users"."n" = ?)',
            [18, 1, 2],
        ),
    ),
    (
        "select-full",
        lambda: (
            select(User.id, User.name)
            .where(User.age >= 18)
            .order_by(User.name, User.age.desc())
            .limit(10)
            .offset(5)
            .distinct()
        ),
        same(
            'SELECT DISTINCT "users"."id", "users"."name" FROM "users" WHERE "users"."age" >= ? '
            'ORDER BY "users"."name", "users"."age" DESC LIMIT 10 OFFSET 5',
            [18],
        ),
    ),
    (
        "order-asc",
        lambda: select(User.id).order_by(User.age.asc()),
        same('SELECT "users"."id" FROM "users" ORDER BY "users"."age"'),
    ),
    ("limit-only", lambda: select(User.id).limit(3), same('SELECT "users"."id" FROM "users" LIMIT 3')),
    ("limit-zero", lambda: select(User.id).limit(0), same('SELECT "users"."id" FROM "users" LIMIT 0')),
    ("offset-zero", lambda: select(User.id).offset(0), same('SELECT "users"."id" FROM "users"')),
    (
        "offset-only",
        lambda: select(User.id).offset(5),
        {
            "sqlite": ('SELECT "users"."id" FROM "users" LIMIT -1 OFFSET 5', []),
            "postgresql": ('SELECT "users"."id" FROM "users" OFFSET 5', []),
            "mysql": ("SELECT `users`.`id` FROM `users` LIMIT 18446744073709551615 OFFSET 5", []),
        },
    ),
    (
        "nulls-order",
        lambda: select(User.id).order_by(User.nick.asc(nulls="first"), User.nick.desc(nulls="last")),
        {
            "sqlite": (
                'SELECT "users"."id" FROM "users" ORDER BY "users"."nick" NULLS FIRST, "users"."nick" DESC NULLS LAST',
                [],
            ),
            "postgresql": (
                'SELECT "users"."id" FROM "users" ORDER BY "users"."nick" NULLS FIRST, "users"."nick" DESC NULLS LAST',
                [],
            ),
            # MySQL has no NULLS FIRST/LAST: sort on "IS NULL" first
            "mysql": (
                "SELECT `users`.`id` FROM `users` ORDER BY `users`.`nick` IS NULL DESC, `users`.`nick`, "
                "`users`.`nick` IS NULL, `users`.`nick` DESC",
                [],
            ),
        },
    ),
    (
        "nulls-other-way",
        lambda: select(User.id).order_by(User.nick.asc(nulls="last"), User.nick.desc(nulls="first")),
        {
            "sqlite": (
                'SELECT "users"."id" FROM "users" ORDER BY "users"."nick" NULLS LAST, "users"."nick" DESC NULLS FIRST',
                [],
            ),
            "postgresql": (
                'SELECT "users"."id" FROM "users" ORDER BY "users"."nick" NULLS LAST, "users"."nick" DESC NULLS FIRST',
                [],
            ),
            "mysql": (
                "SELECT `users`.`id` FROM `users` ORDER BY `users`.`nick` IS NULL, `users`.`nick`, "
                "`users`.`nick` IS NULL DESC, `users`.`nick` DESC",
                [],
            ),
        },
    ),
    (
        "group-by-having",
        lambda: select(User.age, func.count()).where(User.n > 0).group_by(User.age).having(func.count() > 1),
        same(
            'SELECT "users"."age", COUNT(*) FROM "users" WHERE "users"."n" > ? GROUP BY "users"."age" HAVING COUNT(*) > ?',
            [0, 1],
        ),
    ),
    (
        "params-in-textual-order",
        lambda: (
            select(User.age, func.coalesce(User.nick, "z"))
            .where(User.n > 1)
            .group_by(User.age)
            .having(func.max(User.n) < 9, func.count() > 2)
        ),
        same(
            'SELECT "users"."age", COALESCE("users"."nick", ?) FROM "users" WHERE "users"."n" > ? '
            'GROUP BY "users"."age" HAVING MAX("users"."n") < ? AND COUNT(*) > ?',
            ["z", 1, 9, 2],
        ),
    ),
    (
        "functions-in-select",
        lambda: select(
            func.count(User.id),
            func.sum(User.age),
            func.min(User.age),
            func.max(User.age),
            func.lower(User.name),
            func.upper(User.name),
        ),
        same(
            'SELECT COUNT("users"."id"), SUM("users"."age"), MIN("users"."age"), '
            'MAX("users"."age"), LOWER("users"."name"), UPPER("users"."name") FROM "users"'
        ),
    ),
    (
        "label",
        lambda: (
            select(User.name, func.count(User.id).label("cnt"))
            .group_by(User.name)
            .order_by(func.count(User.id).label("cnt").desc())
        ),
        same(
            'SELECT "users"."name", COUNT("users"."id") AS "cnt" FROM "users" GROUP BY "users"."name" '
            'ORDER BY COUNT("users"."id") DESC'
        ),
    ),
    (
        "scalar-subquery",
        # a scalar subquery compares as a value; the operators are not typed for it
        lambda: select(User.id).where(User.age > select(func.max(User.age)).where(User.n > 1)),  # type: ignore[operator]
        same(
            'SELECT "users"."id" FROM "users" WHERE "users"."age" > (SELECT MAX("users"."age") FROM "users" WHERE "users"."n" > ?)',
            [1],
        ),
    ),
    (
        "select-with-subqueries",
        lambda: (
            select(User.id)
            .where(
                User.age > 5,
                User.id.in_(select(Order.user_id).where(Order.total > 10)),
                select(Order.id).where(Order.user_id == User.id).exists(),
            )
            .limit(3)
        ),
        same(
            'SELECT "users"."id" FROM "users" WHERE "users"."age" > ? AND "users"."id" IN '
            '(SELECT "orders"."user_id" FROM "orders" WHERE "orders"."total" > ?) AND EXISTS '
            '(SELECT "orders"."id" FROM "orders" WHERE "orders"."user_id" = "users"."id") LIMIT 3',
            [5, 10],
        ),
    ),
]


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(("label", "build", "expected"), CASES, ids=[c[0] for c in CASES])
def test_compile(dialect: str, label: str, build: Callable[[], object], expected: Expected) -> None:
    sql, params = expected[dialect]
    assert compile_in(dialect, build()) == Compiled(sql, params)


# --- INSERT / UPDATE / DELETE / upsert -----------------------------------------------

T = User.__table__
INS_COLS = tuple(c for c in T.columns if not c.auto)
ROW1 = ("Ann", "ann@example.com", 30, 0, None)
ROW2 = ("Bob", "bob@example.com", 40, 1, "b")
INS = '"users" ("name", "email", "age", "n", "nick")'


DML_CASES: list[tuple[str, Callable[[], object], Expected]] = [
    (
        "insert",
        lambda: Insert(T, INS_COLS, [ROW1]),
        same(f"INSERT INTO {INS} VALUES (?, ?, ?, ?, ?)", list(ROW1)),
    ),
    (
        "insert-values",
        lambda: Insert(T, INS_COLS).values(ROW1).values(ROW2),
        same(f"INSERT INTO {INS} VALUES (?, ?, ?, ?, ?), (?, ?, ?, ?, ?)", [*ROW1, *ROW2]),
    ),
    (
        "insert-many-returning",
        lambda: Insert(T, INS_COLS, [ROW1, ROW2]).returning_(T.by_field["id"], T.by_field["name"]),
        same(
            f'INSERT INTO {INS} VALUES (?, ?, ?, ?, ?), (?, ?, ?, ?, ?) RETURNING "id", "name"',
            [*ROW1, *ROW2],
        ),
    ),
    (
        "insert-default-values",
        lambda: Insert(T, ()),
        {
            "sqlite": ('INSERT INTO "users" DEFAULT VALUES', []),
            "postgresql": ('INSERT INTO "users" DEFAULT VALUES', []),
            "mysql": ("INSERT INTO `users` () VALUES ()", []),
        },
    ),
    (
        "upsert-update",
        lambda: Insert(T, INS_COLS, [ROW1]).on_conflict_do_update(["email"], ["name", "age"]),
        {
            "sqlite": (
                f'INSERT INTO {INS} VALUES (?, ?, ?, ?, ?) ON CONFLICT ("email") DO UPDATE SET '
                '"name" = excluded."name", "age" = excluded."age"',
                list(ROW1),
            ),
            "postgresql": (
                f'INSERT INTO {INS} VALUES (%s, %s, %s, %s, %s) ON CONFLICT ("email") DO UPDATE SET '
                '"name" = excluded."name", "age" = excluded."age"',
                list(ROW1),
            ),
            "mysql": (
                "INSERT INTO `users` (`name`, `email`, `age`, `n`, `nick`) VALUES (%s, %s, %s, %s, %s) "
                "ON DUPLICATE KEY UPDATE `name` = VALUES(`name`), `age` = VALUES(`age`)",
                list(ROW1),
            ),
        },
    ),
    (
        "upsert-nothing",
        lambda: Insert(T, INS_COLS, [ROW1]).on_conflict_do_nothing(["email"]),
        {
            "sqlite": (
                f'INSERT INTO {INS} VALUES (?, ?, ?, ?, ?) ON CONFLICT ("email") DO NOTHING',
                list(ROW1),
            ),
            "postgresql": (
                f'INSERT INTO {INS} VALUES (%s, %s, %s, %s, %s) ON CONFLICT ("email") DO NOTHING',
                list(ROW1),
            ),
            # a no-op assignment: INSERT IGNORE would hide unrelated errors too
            "mysql": (
                "INSERT INTO `users` (`name`, `email`, `age`, `n`, `nick`) VALUES (%s, %s, %s, %s, %s) "
                "ON DUPLICATE KEY UPDATE `id` = `id`",
                list(ROW1),
            ),
        },
    ),
    (
        "upsert-nothing-any-conflict-returning",
        lambda: Insert(T, INS_COLS, [ROW1]).on_conflict_do_nothing().returning_(T.by_field["id"]),
        {
            "sqlite": (
                f'INSERT INTO {INS} VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING "id"',
                list(ROW1),
            ),
            "postgresql": (
                f'INSERT INTO {INS} VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING "id"',
                list(ROW1),
            ),
            "mysql": (
                "INSERT INTO `users` (`name`, `email`, `age`, `n`, `nick`) VALUES (%s, %s, %s, %s, %s) "
                "ON DUPLICATE KEY UPDATE `id` = `id` RETURNING `id`",
                list(ROW1),
            ),
        },
    ),
    (
        "update-set",
        lambda: Update(T, (User.age.set(31),)).where(User.id == 1),
        same('UPDATE "users" SET "age" = ? WHERE "users"."id" = ?', [31, 1]),
    ),
    (
        "update-expression",
        lambda: Update(T, (User.age.set(31), User.n.set(User.n + 1))).where(User.id == 7, User.age < 100),
        same(
            'UPDATE "users" SET "age" = ?, "n" = ("users"."n" + ?) WHERE "users"."id" = ? AND "users"."age" < ?',
            [31, 1, 7, 100],
        ),
    ),
    (
        "update-set-null-and-function",
        lambda: Update(T, (User.nick.set(None), User.name.set(func.upper(User.name)))),
        same('UPDATE "users" SET "nick" = ?, "name" = UPPER("users"."name")', [None]),
    ),
    (
        "delete",
        lambda: Delete[User](T).where(User.id.in_([1, 2])),
        same('DELETE FROM "users" WHERE "users"."id" IN (?, ?)', [1, 2]),
    ),
    (
        "delete-all-returning",
        lambda: Delete(T, returning=(T.by_field["id"],)),
        same('DELETE FROM "users" RETURNING "id"'),
    ),
    (
        "delete-where-or",
        lambda: Delete[User](T).where((User.age < 1) | User.nick.is_null()),
        same('DELETE FROM "users" WHERE ("users"."age" < ? OR "users"."nick" IS NULL)', [1]),
    ),
]


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(("label", "build", "expected"), DML_CASES, ids=[c[0] for c in DML_CASES])
def test_compile_dml(dialect: str, label: str, build: Callable[[], object], expected: Expected) -> None:
    sql, params = expected[dialect]
    assert compile_in(dialect, build()) == Compiled(sql, params)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_update_returning_where_the_dialect_has_it(dialect: str) -> None:
    stmt = Update(T, (User.age.set(1),), returning=(T.by_field["id"],)).where(User.age > 5)
    d = get_dialect(dialect)
    assert d.supports_update_returning is (dialect != "mysql")
    if not d.supports_update_returning:  # MySQL and MariaDB: INSERT/DELETE ... RETURNING only
        with pytest.raises(InvalidArgument, match=r"has no UPDATE \.\.\. RETURNING"):
            d.compile(stmt)
        return
    sql, params = same('UPDATE "users" SET "age" = ? WHERE "users"."age" > ? RETURNING "id"', [1, 5])[dialect]
    assert d.compile(stmt) == Compiled(sql, params)


def test_update_params_are_bound_through_column_types() -> None:
    import datetime as dt

    class Ev(Model):
        id: PK[int]
        at: Col[dt.datetime]

    when = dt.datetime(2024, 5, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    sql, params = compile_in("sqlite", Update(Ev.__table__, (Ev.at.set(when),)).where(Ev.id == 1))
    assert sql == 'UPDATE "ev" SET "at" = ? WHERE "ev"."id" = ?'
    assert params == ["2024-05-01 10:00:00.000000+00:00", 1]


def test_update_of_another_tables_column_rejected() -> None:
    with pytest.raises(ValueError, match="cannot assign"):
        compile_in("sqlite", Update(T, (Order.total.set(1.0),)))


def test_update_needs_an_assignment() -> None:
    with pytest.raises(ValueError, match="at least one assignment"):
        Update(T, ())


# --- DDL ------------------------------------------------------------------------------

USERS_DDL = {
    "sqlite": (
        'CREATE TABLE IF NOT EXISTS "users" (\n'
        '    "id" INTEGER NOT NULL PRIMARY KEY,\n'
        '    "name" TEXT NOT NULL,\n'
        '    "email" TEXT NOT NULL,\n'
        '    "age" INTEGER NOT NULL,\n'
        '    "n" INTEGER NOT NULL,\n'
        '    "nick" TEXT,\n'
        '    CONSTRAINT "uq_users_email" UNIQUE ("email"),\n'
        '    CONSTRAINT "ck_users_name_t0" CHECK (length("name") <= 100),\n'
        '    CONSTRAINT "ck_users_age_ge" CHECK ("age" >= 0)\n'
        ")"
    ),
    "postgresql": (
        'CREATE TABLE IF NOT EXISTS "users" (\n'
        '    "id" BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n'
        '    "name" VARCHAR(100) NOT NULL,\n'
        '    "email" TEXT NOT NULL,\n'
        '    "age" BIGINT NOT NULL,\n'
        '    "n" BIGINT NOT NULL,\n'
        '    "nick" TEXT,\n'
        '    CONSTRAINT "uq_users_email" UNIQUE ("email"),\n'
        '    CONSTRAINT "ck_users_age_ge" CHECK ("age" >= 0)\n'
        ")"
    ),
    "mysql": (
        "CREATE TABLE IF NOT EXISTS `users` (\n"
        "    `id` BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,\n"
        "    `name` VARCHAR(100) NOT NULL,\n"
        "    `email` VARCHAR(255) NOT NULL,\n"
        "    `age` BIGINT NOT NULL,\n"
        "    `n` BIGINT NOT NULL,\n"
        "    `nick` LONGTEXT,\n"
        "    CONSTRAINT `uq_users_email` UNIQUE (`email`),\n"
        "    CONSTRAINT `ck_users_age_ge` CHECK (`age` >= 0),\n"
        "    INDEX `ix_users_age` (`age`)\n"
        ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
    ),
}

LINES_DDL = {
    "sqlite": (
        'CREATE TABLE "order_line" (\n'
        '    "order_id" INTEGER NOT NULL,\n'
        '    "line" INTEGER NOT NULL,\n'
        '    "sku" TEXT NOT NULL,\n'
        '    "qty" INTEGER NOT NULL,\n'
        '    PRIMARY KEY ("order_id", "line"),\n'
        '    CONSTRAINT "uq_order_line_order_id_sku" UNIQUE ("order_id", "sku"),\n'
        '    CONSTRAINT "ck_order_line_qty_gt" CHECK ("qty" > 0),\n'
        '    CONSTRAINT "ck_order_line_qty_le" CHECK ("qty" <= 999),\n'
        '    CONSTRAINT "fk_order_line_order_id" FOREIGN KEY ("order_id") REFERENCES "orders" ("id")\n'
        ")"
    ),
    "postgresql": (
        'CREATE TABLE "order_line" (\n'
        '    "order_id" BIGINT NOT NULL,\n'
        '    "line" BIGINT NOT NULL,\n'
        '    "sku" TEXT NOT NULL,\n'
        '    "qty" BIGINT NOT NULL,\n'
        '    PRIMARY KEY ("order_id", "line"),\n'
        '    CONSTRAINT "uq_order_line_order_id_sku" UNIQUE ("order_id", "sku"),\n'
        '    CONSTRAINT "ck_order_line_qty_gt" CHECK ("qty" > 0),\n'
        '    CONSTRAINT "ck_order_line_qty_le" CHECK ("qty" <= 999),\n'
        '    CONSTRAINT "fk_order_line_order_id" FOREIGN KEY ("order_id") REFERENCES "orders" ("id")\n'
        ")"
    ),
    "mysql": (
        "CREATE TABLE `order_line` (\n"
        "    `order_id` BIGINT NOT NULL,\n"
        "    `line` BIGINT NOT NULL,\n"
        "    `sku` VARCHAR(255) NOT NULL,\n"
        "    `qty` BIGINT NOT NULL,\n"
        "    PRIMARY KEY (`order_id`, `line`),\n"
        "    CONSTRAINT `uq_order_line_order_id_sku` UNIQUE (`order_id`, `sku`),\n"
        "    CONSTRAINT `ck_order_line_qty_gt` CHECK (`qty` > 0),\n"
        "    CONSTRAINT `ck_order_line_qty_le` CHECK (`qty` <= 999),\n"
        "    CONSTRAINT `fk_order_line_order_id` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`)\n"
        ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
    ),
}


@pytest.mark.parametrize("dialect", DIALECTS)
def test_create_table(dialect: str) -> None:
    assert compile_in(dialect, CreateTable(T)) == (USERS_DDL[dialect], [])


@pytest.mark.parametrize("dialect", DIALECTS)
def test_create_table_composite_key_and_foreign_key(dialect: str) -> None:
    assert compile_in(dialect, CreateTable(OrderLine.__table__, if_not_exists=False)) == (
        LINES_DDL[dialect],
        [],
    )


@pytest.mark.parametrize("dialect", DIALECTS)
def test_create_table_foreign_key_actions(dialect: str) -> None:
    sql, _ = compile_in(dialect, CreateTable(Order.__table__))
    q = "`" if dialect == "mysql" else '"'
    fk = f"CONSTRAINT {q}fk_orders_user_id{q} FOREIGN KEY ({q}user_id{q}) REFERENCES {q}users{q} ({q}id{q}) ON DELETE CASCADE"
    assert sql.splitlines()[-2].strip() == fk


def test_create_table_statements_add_indexes_except_on_mysql() -> None:
    assert get_dialect("sqlite").create_table_statements(T) == [
        USERS_DDL["sqlite"],
        'CREATE INDEX IF NOT EXISTS "ix_users_age" ON "users" ("age")',
    ]
    assert get_dialect("postgresql").create_table_statements(T, if_not_exists=False) == [
        USERS_DDL["postgresql"].replace("IF NOT EXISTS ", ""),
        'CREATE INDEX "ix_users_age" ON "users" ("age")',
    ]
    # indexes are inline in MySQL's CREATE TABLE
    assert get_dialect("mysql").create_table_statements(T) == [USERS_DDL["mysql"]]


def test_server_default_and_table_checks() -> None:
    class Flag(Model, checks=["length(label) > 0"]):
        id: PK[int]
        label: Annotated[Col[str], Column(server_default="none", check="label <> 'x'")] = column(
            default="none"
        )
        on: Col[bool] = column(default=False)

    sql, _ = compile_in("sqlite", CreateTable(Flag.__table__, if_not_exists=False))
    assert sql == (
        'CREATE TABLE "flag" (\n'
        '    "id" INTEGER NOT NULL PRIMARY KEY,\n'
        "    \"label\" TEXT NOT NULL DEFAULT 'none',\n"
        '    "on" BOOLEAN NOT NULL,\n'
        '    CONSTRAINT "ck_flag_on_t0" CHECK ("on" IN (0, 1)),\n'
        "    CONSTRAINT \"ck_flag_label\" CHECK (label <> 'x'),\n"
        '    CONSTRAINT "ck_flag_0" CHECK (length(label) > 0)\n'
        ")"
    )


@pytest.mark.parametrize(
    ("dialect", "sql"),
    [
        ("sqlite", 'DROP TABLE IF EXISTS "users"'),
        ("postgresql", 'DROP TABLE IF EXISTS "users"'),
        ("mysql", "DROP TABLE IF EXISTS `users`"),
    ],
)
def test_drop_table(dialect: str, sql: str) -> None:
    assert compile_in(dialect, DropTable(T)) == (sql, [])
    assert compile_in(dialect, DropTable(T, if_exists=False)) == (sql.replace("IF EXISTS ", ""), [])


IX = next(i for i in T.indexes if not i.unique)
UQ = next(i for i in T.indexes if i.unique)


@pytest.mark.parametrize(
    ("dialect", "create", "create_unique", "drop"),
    [
        (
            "sqlite",
            'CREATE INDEX IF NOT EXISTS "ix_users_age" ON "users" ("age")',
            'CREATE UNIQUE INDEX "uq_users_email" ON "users" ("email")',
            'DROP INDEX IF EXISTS "ix_users_age"',
        ),
        (
            "postgresql",
            'CREATE INDEX IF NOT EXISTS "ix_users_age" ON "users" ("age")',
            'CREATE UNIQUE INDEX "uq_users_email" ON "users" ("email")',
            'DROP INDEX IF EXISTS "ix_users_age"',
        ),
        # MySQL: no IF [NOT] EXISTS for indexes, and DROP INDEX names the table
        (
            "mysql",
            "CREATE INDEX `ix_users_age` ON `users` (`age`)",
            "CREATE UNIQUE INDEX `uq_users_email` ON `users` (`email`)",
            "DROP INDEX `ix_users_age` ON `users`",
        ),
    ],
)
def test_create_and_drop_index(dialect: str, create: str, create_unique: str, drop: str) -> None:
    assert compile_in(dialect, CreateIndex(T, IX)) == (create, [])
    assert compile_in(dialect, CreateIndex(T, UQ, if_not_exists=False)) == (create_unique, [])
    assert compile_in(dialect, DropIndex(T, IX)) == (drop, [])


# --- errors, immutability, quoting -------------------------------------------------------


def test_statements_are_immutable() -> None:
    base = select(User.id)
    narrowed = base.where(User.age > 1)
    limited = narrowed.limit(5)
    assert compile_in("sqlite", base) == ('SELECT "users"."id" FROM "users"', [])
    assert compile_in("sqlite", narrowed).sql.endswith('WHERE "users"."age" > ?')
    assert limited is not narrowed and narrowed.limit_ is None and limited.limit_ == 5
    ins = Insert(T, INS_COLS)
    ins.values(ROW1)
    assert ins.rows == ()


@pytest.mark.parametrize("bad", [-1, True, 1.5, "10"])
def test_limit_and_offset_must_be_non_negative_ints(bad: Any) -> None:
    with pytest.raises(ValueError):
        select(User.id).limit(bad)
    with pytest.raises(ValueError):
        select(User.id).offset(bad)


def test_predicates_have_no_truth_value() -> None:
    with pytest.raises(TypeError, match="no truth value"):
        bool(User.age > 1)
    with pytest.raises(TypeError, match="no truth value"):
        _ = (User.age > 1) and (User.age < 5)


def test_combining_with_a_non_predicate_rejected() -> None:
    with pytest.raises(TypeError, match="expected a predicate"):
        (User.age > 1) & True  # type: ignore[operator]
    with pytest.raises(TypeError, match="expected a predicate"):
        select(User.id).where(True)  # type: ignore[arg-type]


def test_in_with_a_single_string_rejected() -> None:
    with pytest.raises(TypeError, match="iterable"):
        User.name.in_("abc")
    with pytest.raises(TypeError, match="iterable"):
        User.name.not_in("abc")


def test_text_helpers_take_only_str() -> None:
    with pytest.raises(TypeError, match="expected a str"):
        User.name.contains(5)  # type: ignore[arg-type]


def test_select_needs_a_column() -> None:
    with pytest.raises(TypeError):
        select()  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="columns or expressions"):
        select("name")  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="no column of a model"):
        compile_in("sqlite", select(func.count()))


def test_label_must_be_an_identifier() -> None:
    with pytest.raises(ValueError, match="label"):
        User.name.label('x" FROM secrets --')


def test_order_by_rejects_non_expressions() -> None:
    with pytest.raises(TypeError, match="order_by"):
        select(User.id).order_by("name")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="nulls"):
        User.name.asc(nulls="middle")  # type: ignore[arg-type]


def test_like_escape_must_be_one_character() -> None:
    with pytest.raises(ValueError, match="single character"):
        User.name.like("x", escape="ab")


@pytest.mark.parametrize(
    ("dialect", "quoted"), [("sqlite", '"a""b"'), ("postgresql", '"a""b"'), ("mysql", "`a``b`")]
)
def test_identifier_quoting_doubles_the_quote_character(dialect: str, quoted: str) -> None:
    assert get_dialect(dialect).quote('a"b' if dialect != "mysql" else "a`b") == quoted


def test_dialect_capability_flags() -> None:
    s, p, m = SQLiteDialect(), PostgreSQLDialect(), MySQLDialect()
    assert (s.paramstyle, p.paramstyle, m.paramstyle) == ("qmark", "format", "format")
    assert (s.supports_ilike, p.supports_ilike, m.supports_ilike) == (False, True, False)
    assert (s.supports_nulls_order, p.supports_nulls_order, m.supports_nulls_order) == (True, True, False)
    assert (s.transactional_ddl, p.transactional_ddl, m.transactional_ddl) == (True, True, False)
    assert m.supports_update_returning is False
    assert all(d.supports_savepoints and d.supports_upsert for d in (s, p, m))


def test_transaction_sql() -> None:
    s, p, m = SQLiteDialect(), PostgreSQLDialect(), MySQLDialect()
    assert s.begin_sql() == ["BEGIN IMMEDIATE"]
    assert s.begin_sql(mode="deferred") == ["BEGIN DEFERRED"]
    assert p.begin_sql("serializable") == ["BEGIN ISOLATION LEVEL SERIALIZABLE"]
    assert m.begin_sql("read committed") == [
        "SET TRANSACTION ISOLATION LEVEL READ COMMITTED",
        "START TRANSACTION",
    ]
    assert p.savepoint_sql("sp1") == 'SAVEPOINT "sp1"'
    assert m.rollback_to_sql("sp1") == "ROLLBACK TO SAVEPOINT `sp1`"
    assert s.release_sql("sp1") == 'RELEASE SAVEPOINT "sp1"'
    with pytest.raises(ValueError):
        p.begin_sql("chaos")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        s.begin_sql(mode="whenever")


def test_get_dialect_unknown() -> None:
    with pytest.raises(ValueError, match="unknown dialect 'oracle'"):
        get_dialect("oracle")
