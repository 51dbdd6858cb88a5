"""The raw driver plus Pydantic ``model_validate`` on every row in and out: the floor for any Pydantic ORM."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

from .common import Shape, Timer
from .raw import Raw

Name = Annotated[str, Field(max_length=100)]
Email = Annotated[str, Field(max_length=255)]


class User(BaseModel):
    # validate_assignment: a validating ORM checks assignments too (W6 assigns).
    model_config = ConfigDict(validate_assignment=True)

    id: int | None = None
    name: Name
    email: Email
    age: int
    score: float
    active: bool
    created: AwareDatetime


class WideUser(User):
    title: Annotated[str, Field(max_length=200)]
    city: Annotated[str, Field(max_length=50)]
    country: Annotated[str, Field(max_length=50)]
    phone: Annotated[str, Field(max_length=30)]
    notes: Annotated[str, Field(max_length=500)]
    views: int
    likes: int
    stars: int
    visits: int
    ratio: float
    balance: float
    verified: bool
    updated: AwareDatetime


MODELS: dict[str, type[User]] = {"narrow": User, "wide": WideUser}
_GROUP_ROW = TypeAdapter(list[tuple[int, int, float]])
_FLOAT = TypeAdapter(float)


class RawPydantic(Raw):
    key = "raw_pydantic"
    title = "raw driver + Pydantic"
    dists = ("pydantic", "pydantic-core")
    validates = "yes: types and max_length (Pydantic v2)"
    notes: ClassVar[dict[str, str]] = {
        "w1": "Model(**row), autocommitted INSERT of its values, id assigned back",
        "w2": "Model(**row) for each, executemany inside BEGIN/COMMIT",
        "w3": "Model.model_validate(dict(zip(columns, row))) per row",
        "w6": "attribute assignment (validated), full-row UPDATE from the model",
        "w7": "the new value validated, then UPDATE",
        "w9": "rows validated as list[tuple[int, int, float]]",
        "w10": "Model.model_validate_json per document, then executemany",
    }

    def _values(self, shape: Shape, m: User) -> tuple[Any, ...]:
        d = m.__dict__
        vals = [d[n] for n in shape.names]
        if self.backend == "sqlite":
            vals = [v.isoformat() if isinstance(v, dt.datetime) else v for v in vals]
        return tuple(vals)

    def _hydrate(self, shape: Shape, rows: list[Any]) -> list[User]:
        validate = MODELS[shape.name].model_validate
        cols = self.st[shape.name].columns
        if self.backend == "mysql":
            # DATETIME(6) keeps no zone: the UTC the rows were written in is put back
            zoned = [i for i, c in enumerate(cols) if c in self.st[shape.name].json_dt_names]
            out = []
            for r in rows:
                d = dict(zip(cols, r, strict=True))
                for i in zoned:
                    d[cols[i]] = r[i].replace(tzinfo=dt.UTC)
                out.append(validate(d))
            return out
        return [validate(dict(zip(cols, r, strict=True))) for r in rows]

    def w1(self, shape: Shape, rows: list[dict[str, Any]], t: Timer) -> list[int]:
        model = MODELS[shape.name]
        st = self.st[shape.name]
        conn = self.conn
        ids = []
        with t:
            for r in rows:
                m = model(**r)
                if self.backend != "postgresql":
                    m.id = conn.execute(st.insert, self._values(shape, m)).lastrowid
                else:
                    m.id = conn.execute(st.insert_returning, self._values(shape, m)).fetchone()[0]
                ids.append(m.id)
        return ids

    def w2(self, shape: Shape, rows: list[dict[str, Any]], t: Timer) -> int:
        model = MODELS[shape.name]
        st = self.st[shape.name]
        with t:
            models = [model(**r) for r in rows]
            with self._begin():
                self.conn.cursor().executemany(st.insert, [self._values(shape, m) for m in models])
        return len(models)

    def w3(self, shape: Shape, _: Any, t: Timer) -> list[Any]:
        sql = self.st[shape.name].select_all
        with t:
            out = self._hydrate(shape, self.conn.execute(sql).fetchall())
        return out

    def w4(self, shape: Shape, ages: list[int], t: Timer) -> list[Any]:
        sql = self.st[shape.name].filter
        conn = self.conn
        out = []
        with t:
            for x in ages:
                out.append(self._hydrate(shape, conn.execute(sql, (x,)).fetchall()))
        return out

    def w5(self, shape: Shape, ids: list[int], t: Timer) -> list[Any]:
        sql = self.st[shape.name].get
        validate = MODELS[shape.name].model_validate
        cols = self.st[shape.name].columns
        conn = self.conn
        mysql = self.backend == "mysql"
        out = []
        with t:
            for i in ids:
                row = conn.execute(sql, (i,)).fetchone()
                if mysql:
                    out.append(self._hydrate(shape, [row])[0] if row is not None else None)
                    continue
                out.append(validate(dict(zip(cols, row, strict=True))) if row is not None else None)
        return out

    def w6(self, shape: Shape, changes: list[tuple[int, int, float]], t: Timer) -> None:
        st = self.st[shape.name]
        ids = [c[0] for c in changes]
        placeholders = ", ".join(["?" if self.backend == "sqlite" else "%s"] * len(ids))
        rows = self.conn.execute(f"{st.select_all} WHERE id IN ({placeholders})", ids).fetchall()
        by_id = {m.id: m for m in self._hydrate(shape, rows)}
        objs = [(by_id[i], age, score) for i, age, score in changes]
        conn = self.conn
        with t:
            with self._begin():
                for m, age, score in objs:
                    m.age = age
                    m.score = score
                    conn.execute(st.update_all, (*self._values(shape, m), m.id))

    def w7(self, shape: Shape, pairs: list[tuple[int, float]], t: Timer) -> None:
        sql = self.st[shape.name].update_where
        conn = self.conn
        validate = _FLOAT.validate_python
        with t:
            for age, score in pairs:
                conn.execute(sql, (validate(score), age))

    def w9(self, shape: Shape, n: int, t: Timer) -> list[Any]:
        sql = self.st[shape.name].group
        conn = self.conn
        validate = _GROUP_ROW.validate_python
        out = []
        with t:
            for _ in range(n):
                out.append(validate(conn.execute(sql).fetchall()))
        return out

    def w10(self, shape: Shape, docs: list[bytes], t: Timer) -> int:
        model = MODELS[shape.name]
        st = self.st[shape.name]
        with t:
            models = [model.model_validate_json(d) for d in docs]
            with self._begin():
                self.conn.cursor().executemany(st.insert, [self._values(shape, m) for m in models])
        return len(models)
