"""The second process of the stateful cache test: runs reads and writes sent as JSON lines on stdin.

Usage: python _cache_worker.py DB_URL REDIS_URL PREFIX. Each request is ``{"op": "read"|"write"|"tx",
...}``; each reply is one JSON line, ``{"ok": result}`` or ``{"error": "..."}``.
"""

from __future__ import annotations

import json
import sys
import traceback

from _cache_ops import read, transaction, write

from typedorm import Database
from typedorm.cache import RedisCache


def main() -> None:
    db = Database(
        sys.argv[1], cache=RedisCache(sys.argv[2], prefix=sys.argv[3], retry_after=0.2, timeout=1.0)
    )
    for line in sys.stdin:
        req = json.loads(line)
        try:
            op = req["op"]
            if op == "read":
                out = read(db, req["name"], req["arg"], req["cached"])
            elif op == "write":
                write(db, req["name"], req["a"], req["b"])
                out = None
            elif op == "tx":
                out = transaction(db, req["writes"], req["rollback"], req["name"], req["arg"])
            elif op == "stats":
                out = db.cache.stats().hits
            else:
                raise ValueError(op)
            reply = {"ok": out}
        except Exception:
            reply = {"error": traceback.format_exc()}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()
    db.close()


if __name__ == "__main__":
    main()
