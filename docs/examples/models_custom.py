"""A custom column type: a Python class stored as text, registered once."""

from typing import Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

from typedorm import AUTO, PK, Col, ColumnSpec, ColumnType, Database, Model, Repository, column, register_type
from typedorm.dialects import Dialect
from typedorm.schema.types import Processor


# --8<-- [start:type]
class Point:
    """A point on a plane; Pydantic validates it through the hook below."""

    def __init__(self, x: float, y: float) -> None:
        self.x, self.y = x, y

    def __repr__(self) -> str:
        return f"Point({self.x}, {self.y})"

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        def parse(v: Any) -> "Point":
            if isinstance(v, Point):
                return v
            x, y = str(v).split(",")
            return Point(float(x), float(y))

        return core_schema.no_info_plain_validator_function(
            parse, serialization=core_schema.plain_serializer_function_ser_schema(lambda p: f"{p.x},{p.y}")
        )


class PointType(ColumnType):
    logical = "point"

    def sql_type(self, dialect: Dialect, column: ColumnSpec) -> str:
        # ask the dialect in use: its type for text that may be indexed (VARCHAR(255) on MySQL)
        return dialect.indexable_text_type

    def bind_processor(self, dialect: Dialect) -> Processor | None:
        return lambda p: f"{p.x},{p.y}"  # Python -> database

    # result_processor() is not needed: Point's validator parses the stored text.


register_type(Point, PointType())
# --8<-- [end:type]


# --8<-- [start:use]
class Place(Model):
    id: PK[int] = column(default=AUTO)
    where: Col[Point]


db = Database("sqlite:///:memory:")
db.create_all(Place)
places = Repository(Place, db)
saved = places.insert(Place(where=Point(1.5, -2)))
print(places.get_or_raise(saved.id).where, Place.__table__.by_field["where"].sql_type("postgresql"))
# --8<-- [end:use]
