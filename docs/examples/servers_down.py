"""What connecting raises when the server is not there or refuses the login."""

import dataclasses
import os

from typedorm import URL, ConnectionLost, Database, DatabaseError


# --8<-- [start:down]
def select_one(url: URL) -> None:
    db = Database(url)  # on MySQL this connects already (to read the server version)
    try:
        db.execute("SELECT 1")
    finally:
        db.close()


server = URL.parse(os.environ["DATABASE_URL"])
for what, url in (
    ("nothing listens on the port", dataclasses.replace(server, port=1)),
    ("the login is refused", dataclasses.replace(server, username="no_such_user")),
):
    try:
        select_one(url)
    except ConnectionLost:
        print(f"{what}: ConnectionLost (a subclass of {ConnectionLost.__mro__[1].__name__})")
    except DatabaseError as e:
        print(f"{what}: {type(e).__name__}")
# --8<-- [end:down]
