"""Statements as immutable trees, typed expressions, lookups and the dialect-neutral compiler."""

from . import functions
from .compiler import Compiled, Compiler
from .expr import Assignment, ColumnExpr, Expr, Ordering, Predicate, escape_like
from .functions import func
from .lookups import Q, resolve_lookups
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
    "Ordering",
    "Predicate",
    "Q",
    "Select",
    "Update",
    "escape_like",
    "func",
    "functions",
    "resolve_lookups",
    "select",
]
