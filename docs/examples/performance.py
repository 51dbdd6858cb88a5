"""The fast paths, measured in statements sent: bulk writes, set-based updates, narrow reads."""

from collections.abc import Callable

from typedorm import AUTO, PK, Col, Database, Model, Repository, column


class Row(Model, table="rows"):
    id: PK[int] = column(default=AUTO)
    name: Col[str]
    score: Col[float] = column(default=0.0)


db = Database("sqlite:///:memory:")
db.create_all(Row)
rows = Repository(Row, db)


def statements(label: str, fn: Callable[[], object]) -> None:
    with db.count_queries() as counter:
        fn()
    print(f"{label:44} {counter.count:5} statements")


# --8<-- [start:compare]
data = [Row(name=f"row {i}") for i in range(1000)]
statements("insert() x 1000", lambda: [rows.insert(r) for r in data])
statements("insert_many(1000 rows)", lambda: rows.insert_many(data))
statements(
    "insert_many_json(1000 documents)",
    lambda: rows.insert_many_json([r.model_dump_json(exclude={"id"}) for r in data]),
)
statements(
    "update(obj) x 1000",
    lambda: [rows.update(r.model_copy(update={"score": 1.0})) for r in rows.all()[:1000]],
)
statements(
    "filter(...).update(...) (one UPDATE)", lambda: rows.filter(Row.id <= 1000).update(Row.score.set(2.0))
)
statements("get() x 100", lambda: [rows.get(i) for i in range(1, 101)])
statements("filter(Row.id.in_(...)).all()", lambda: rows.filter(Row.id.in_(list(range(1, 101)))).all())
statements("query().rows(Row.id, Row.score)", lambda: rows.query().rows(Row.id, Row.score))
statements("iterate(batch_size=1000)", lambda: sum(1 for _ in rows.iterate(batch_size=1000)))
print(rows.count())
# --8<-- [end:compare]
