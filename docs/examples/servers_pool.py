"""The connection pool of a server database: limits, timeouts, stats."""

import threading

from typedorm import Database, PoolTimeout

# --8<-- [start:pool]
db = Database.from_env(
    "DATABASE_URL",
    pool_size=2,  # connections kept open
    max_overflow=1,  # extra connections allowed under load, closed when returned
    pool_timeout=0.5,  # seconds to wait for a free connection, then PoolTimeout
    pool_recycle=3600,  # replace connections older than this (seconds)
    pool_pre_ping=True,  # test a connection before handing it out
)
held = threading.Barrier(4)  # three holders and the main thread
release = threading.Event()


def hold() -> None:
    with db.transaction():  # a transaction keeps its connection until it ends
        db.execute("SELECT 1")
        held.wait()
        release.wait()


threads = [threading.Thread(target=hold) for _ in range(3)]
for t in threads:
    t.start()
held.wait()  # all three connections (2 + 1 overflow) are now checked out
stats = db.pool.stats()
print("checked out:", stats.checked_out, "overflow in use:", stats.overflow_in_use)
try:
    db.execute("SELECT 1")
except PoolTimeout as e:
    print("PoolTimeout:", e)
release.set()
for t in threads:
    t.join()
print("after:", db.pool.stats().checked_out, "checked out,", db.pool.stats().idle, "idle")
db.close()
# --8<-- [end:pool]
