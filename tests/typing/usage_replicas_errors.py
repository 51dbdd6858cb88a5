# pyright: strict
"""Expected errors of the read replica API (see usage_errors.py for the markers). Never executed."""

from __future__ import annotations

from typing_models import User

from typedorm import Database, Repository

db = Database("postgresql://primary/shop", replicas=["postgresql://replica/shop"])
db.execute("SELECT 1", using="standby")  # E: arg-type
Database("postgresql://primary/shop", replica_strategy="random")  # E: arg-type
Repository(User, db, using="any")  # E: arg-type
Repository(User, db).using("other")  # E: arg-type
