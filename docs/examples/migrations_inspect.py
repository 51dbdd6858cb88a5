"""`typedorm inspect` on a legacy SQLite database: typed models, relationships and link tables."""

import contextlib
import io
import shutil
import sqlite3
import tempfile
from pathlib import Path

from typedorm.cli import main as typedorm

work = Path(tempfile.mkdtemp())

# --8<-- [start:legacy]
legacy = sqlite3.connect(work / "legacy.db")
legacy.executescript(
    """
    CREATE TABLE authors (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL);
    CREATE TABLE books (
        id INTEGER PRIMARY KEY,
        author_id INTEGER NOT NULL REFERENCES authors (id),
        title TEXT NOT NULL,
        price NUMERIC(8, 2),
        stock INTEGER NOT NULL DEFAULT 0,
        added DATETIME DEFAULT CURRENT_TIMESTAMP
    );
    CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
    CREATE TABLE book_tags (
        book_id INTEGER NOT NULL REFERENCES books (id),
        tag_id INTEGER NOT NULL REFERENCES tags (id),
        PRIMARY KEY (book_id, tag_id)
    );
    """
)
legacy.close()
# --8<-- [end:legacy]

# --8<-- [start:inspect]
out = io.StringIO()
with contextlib.redirect_stdout(out):
    code = typedorm(["inspect", f"sqlite:///{work / 'legacy.db'}"])
print(out.getvalue().replace(str(work), "~/project"), end="")
print(f"(exit {code})")
# --8<-- [end:inspect]

shutil.rmtree(work)
