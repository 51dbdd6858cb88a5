"""Statements as immutable trees, typed expressions, lookups and the dialect-neutral compiler."""

from . import functions
from .compiler import Compiled, Compiler
from .expr import Assignment, ColumnExpr, Expr, Ordering, Predicate, escape_like
from .functions import func
from .lookups import Q, resolve_lookups
from .relations import LoadPath, Relation, ToMany, ToOne
from .stmt import CreateIndex, CreateTable, Delete, DropIndex, DropTable, Insert, Select, Update, select

__all__ = [
    "Assignment",
    "ColumnExpr",
    "Compiled",
    "Compiler",
    "CreateIndex",
    "CreateTable",
    "Delete",
    "DropIndex",
    "DropTable",
    "Expr",
    "Insert",
    "LoadPath",
    "Ordering",
    "Predicate",
    "Q",
    "Relation",
    "Select",
    "ToMany",
    "ToOne",
    "Update",
    "escape_like",
    "func",
    "functions",
    "resolve_lookups",
    "select",
]
