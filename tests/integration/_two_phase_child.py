"""Child process for test_two_phase: a coordinator that stops for good at one stage of two_phase().

Usage: python _two_phase_child.py PG_URL MYSQL_URL TABLE MARKER COORDINATOR STAGE
Inserts MARKER into TABLE on both databases inside ``two_phase(pg, mysql)``; when the protocol
reaches STAGE (``prepared``: both branches prepared, nothing decided; ``decided``: the commit
decision is logged, no branch committed) it prints ``PAUSED <gid>`` and sleeps until it is killed.
"""

from __future__ import annotations

import sys
import time

from typedorm import Database, two_phase


def main() -> None:
    pg_url, mysql_url, table, marker, coordinator, stage = sys.argv[1:7]
    pg, my = Database(pg_url), Database(mysql_url)

    def on_stage(name: str, gid: str) -> None:
        if name == stage:
            print(f"PAUSED {gid}", flush=True)
            time.sleep(300)

    with two_phase(pg, my, coordinator=coordinator, on_stage=on_stage):
        pg.execute(f'INSERT INTO "{table}" (marker) VALUES (?)', (marker,))
        my.execute(f"INSERT INTO `{table}` (marker) VALUES (?)", (marker,))
    print("FINISHED", flush=True)


if __name__ == "__main__":
    main()
