"""The raw driver (sqlite3 / psycopg 3) returning tuples: the physical limit every ratio is measured against."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from typing import Any, ClassVar

from .common import SQLITE_PRAGMAS, Adapter, Shape, Target, Timer

_SQLITE_TYPES = {
    str: "VARCHAR({n})",
    int: "INTEGER",
    float: "REAL",
    bool: "BOOLEAN",
    dt.datetime: "TIMESTAMP",
}
_MYSQL_TYPES = {
    str: "VARCHAR({n})",
    int: "BIGINT",
    float: "DOUBLE",
    bool: "BOOLEAN",
    dt.datetime: "DATETIME(6)",
}
_PG_TYPES = {
    str: "VARCHAR({n})",
    int: "INTEGER",
    float: "DOUBLE PRECISION",
    bool: "BOOLEAN",
    dt.datetime: "TIMESTAMPTZ",
}


def ddl(shape: Shape, backend: str) -> str:
    types = {"sqlite": _SQLITE_TYPES, "mysql": _MYSQL_TYPES}.get(backend, _PG_TYPES)
    pk = {"sqlite": "id INTEGER PRIMARY KEY", "mysql": "id BIGINT AUTO_INCREMENT PRIMARY KEY"}.get(
        backend, "id SERIAL PRIMARY KEY"
    )
    cols = [pk]
    for f in shape.fields:
        cols.append(
            f"{f.name} {types[f.type].format(n=f.max_length)} NOT NULL" + (" UNIQUE" if f.unique else "")
        )
    tail = " CHARACTER SET utf8mb4" if backend == "mysql" else ""
    return f"CREATE TABLE {shape.table} ({', '.join(cols)}){tail}"


class Statements:
    """The SQL text of every workload for one shape, written once (as a raw-driver user would)."""

    def __init__(self, shape: Shape, backend: str) -> None:
        ph = "?" if backend == "sqlite" else "%s"
        t = shape.table
        names = shape.names
        cols = ", ".join(("id", *names))
        self.columns = ("id", *names)
        self.insert = f"INSERT INTO {t} ({', '.join(names)}) VALUES ({', '.join([ph] * len(names))})"
        self.insert_returning = self.insert + " RETURNING id"
        self.select_all = f"SELECT {cols} FROM {t}"
        self.filter = f"SELECT {cols} FROM {t} WHERE age >= {ph} AND active LIMIT 50"
        self.get = f"SELECT {cols} FROM {t} WHERE id = {ph}"
        self.update_two = f"UPDATE {t} SET age = {ph}, score = {ph} WHERE id = {ph}"
        self.update_all = f"UPDATE {t} SET {', '.join(f'{n} = {ph}' for n in names)} WHERE id = {ph}"
        self.update_where = f"UPDATE {t} SET score = {ph} WHERE age = {ph}"
        self.delete = f"DELETE FROM {t} WHERE id = {ph}"
        self.group = f"SELECT age, count(*), avg(score) FROM {t} GROUP BY age"
        self.json_dt_names = tuple(f.name for f in shape.fields if f.type is dt.datetime)
        # SQLite has no datetime type: aware datetimes are bound as ISO 8601 text.
        self.dt_index = (
            tuple(i for i, f in enumerate(shape.fields) if f.type is dt.datetime)
            if backend == "sqlite"
            else ()
        )

    def params(self, row: dict[str, Any], names: tuple[str, ...]) -> tuple[Any, ...]:
        vals = [row[n] for n in names]
        for i in self.dt_index:
            vals[i] = vals[i].isoformat()
        return tuple(vals)


class Raw(Adapter):
    key = "raw"
    title = "raw driver (tuples)"
    pg_dists = ("psycopg", "psycopg-binary")
    backends = ("sqlite", "postgresql", "mysql")
    validates = "no (the driver binds whatever it is given)"
    notes: ClassVar[dict[str, str]] = {
        "w1": "autocommitted INSERT; the new id from lastrowid / RETURNING",
        "w2": "executemany inside BEGIN/COMMIT",
        "w6": "UPDATE of the two changed columns by id",
        "w10": "json.loads, then executemany",
    }

    def __init__(self) -> None:
        self.conn: Any = None
        self.backend = ""
        self.st: dict[str, Statements] = {}

    # --- connection ----------------------------------------------------------------
    def open(self, target: Target) -> None:
        from .common import SHAPES

        self.backend = target.backend
        if target.backend == "sqlite":
            # isolation_level=None: autocommit, transactions are explicit BEGIN/COMMIT.
            self.conn = sqlite3.connect(target.path, isolation_level=None)
            for k, v in SQLITE_PRAGMAS.items():
                self.conn.execute(f"PRAGMA {k}={v}")
        elif target.backend == "mysql":
            import pymysql

            self.conn = _MySQLConn(
                pymysql.connect(
                    host=target.host,
                    port=target.port,
                    user=target.user,
                    password=target.password,
                    database=target.dbname,
                    autocommit=True,
                )
            )
        else:
            import psycopg

            self.conn = psycopg.connect(**target.pg_kwargs(), autocommit=True)
        for s in SHAPES:
            self.conn.execute(ddl(s, target.backend))
            self.st[s.name] = Statements(s, target.backend)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def sql(self, query: str) -> list[tuple[Any, ...]]:
        cur = self.conn.execute(query)
        return list(cur.fetchall()) if cur.description else []

    def _begin(self) -> Any:
        return _SqliteTx(self.conn) if self.backend in ("sqlite", "mysql") else self.conn.transaction()

    # --- workloads -----------------------------------------------------------------
    def w1(self, shape: Shape, rows: list[dict[str, Any]], t: Timer) -> list[int]:
        st = self.st[shape.name]
        conn = self.conn
        names = shape.names
        ids = []
        with t:
            if self.backend != "postgresql":
                for r in rows:
                    ids.append(conn.execute(st.insert, st.params(r, names)).lastrowid)
            else:
                for r in rows:
                    ids.append(conn.execute(st.insert_returning, st.params(r, names)).fetchone()[0])
        return ids

    def w2(self, shape: Shape, rows: list[dict[str, Any]], t: Timer) -> int:
        st = self.st[shape.name]
        names = shape.names
        with t:
            with self._begin():
                self.conn.cursor().executemany(st.insert, [st.params(r, names) for r in rows])
        return len(rows)

    def w3(self, shape: Shape, _: Any, t: Timer) -> list[Any]:
        sql = self.st[shape.name].select_all
        with t:
            rows = self.conn.execute(sql).fetchall()
        return list(rows)

    def w4(self, shape: Shape, ages: list[int], t: Timer) -> list[Any]:
        sql = self.st[shape.name].filter
        conn = self.conn
        out = []
        with t:
            for x in ages:
                out.append(conn.execute(sql, (x,)).fetchall())
        return out

    def w5(self, shape: Shape, ids: list[int], t: Timer) -> list[Any]:
        sql = self.st[shape.name].get
        conn = self.conn
        out = []
        with t:
            for i in ids:
                out.append(conn.execute(sql, (i,)).fetchone())
        return out

    def w6(self, shape: Shape, changes: list[tuple[int, int, float]], t: Timer) -> None:
        sql = self.st[shape.name].update_two
        conn = self.conn
        with t:
            with self._begin():
                for i, age, score in changes:
                    conn.execute(sql, (age, score, i))

    def w7(self, shape: Shape, pairs: list[tuple[int, float]], t: Timer) -> None:
        sql = self.st[shape.name].update_where
        conn = self.conn
        with t:
            for age, score in pairs:
                conn.execute(sql, (score, age))

    def w8(self, shape: Shape, ids: list[int], t: Timer) -> None:
        sql = self.st[shape.name].delete
        conn = self.conn
        with t:
            with self._begin():
                for i in ids:
                    conn.execute(sql, (i,))

    def w9(self, shape: Shape, n: int, t: Timer) -> list[Any]:
        sql = self.st[shape.name].group
        conn = self.conn
        out = []
        with t:
            for _ in range(n):
                out.append(conn.execute(sql).fetchall())
        return out

    def w10(self, shape: Shape, docs: list[bytes], t: Timer) -> int:
        st = self.st[shape.name]
        names = shape.names
        loads = json.loads
        # MariaDB's DATETIME takes no offset: the UTC text without it
        zoned = st.json_dt_names if self.backend == "mysql" else ()
        with t:
            params = []
            for d in docs:
                obj = loads(d)
                for n in zoned:
                    obj[n] = obj[n].removesuffix("+00:00")
                params.append(tuple([obj[n] for n in names]))
            with self._begin():
                self.conn.cursor().executemany(st.insert, params)
        return len(docs)


class _SqliteTx:
    """BEGIN ... COMMIT (ROLLBACK on error) on an autocommit sqlite3 (or PyMySQL) connection."""

    __slots__ = ("conn",)

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def __enter__(self) -> None:
        self.conn.execute("BEGIN")

    def __exit__(self, et: object, *exc: object) -> None:
        self.conn.execute("COMMIT" if et is None else "ROLLBACK")


class _MySQLConn:
    """A PyMySQL connection with the ``execute`` shortcut sqlite3 and psycopg have."""

    __slots__ = ("raw",)

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    def execute(self, sql: str, params: Any = None) -> Any:
        cur = self.raw.cursor()
        cur.execute(sql, params)
        return cur

    def cursor(self) -> Any:
        return self.raw.cursor()

    def close(self) -> None:
        self.raw.close()
