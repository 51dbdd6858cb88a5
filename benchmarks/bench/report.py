"""Results: medians, ratios to the raw driver, geometric means, machine and versions; JSON and Markdown."""

from __future__ import annotations

import datetime as dt
import importlib.metadata as md
import math
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from .common import (
    NARROW,
    SHAPES,
    SQLITE_PRAGMAS,
    WIDE_WORKLOADS,
    WORKLOAD_TITLES,
    WORKLOADS,
    validation_probes,
)
from .registry import LIBRARIES

MEMORY_METHOD = (
    "tracemalloc peak of the Python allocations made during one extra W3 run (after the timed one, "
    "same process), with the fetched result still alive; median over repetitions"
)


def describe_row(row: Any, field: str) -> str:
    """What one fetched row is, and what its datetime column came back as."""
    if isinstance(row, dict):
        v = row[field]
    elif hasattr(row, field):
        v = getattr(row, field)
    else:
        v = row[1 + NARROW.names.index(field)]
    if isinstance(v, dt.datetime):
        what = "aware datetime" if v.utcoffset() is not None else "naive datetime"
    else:
        what = type(v).__name__
    mod = type(row).__module__.split(".")[0]
    kind = type(row).__name__ if mod in ("builtins", "benchmarks") else f"{mod}.{type(row).__name__}"
    return f"{kind}; {field} -> {what}"


def machine_info() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    os_name = platform.platform()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = f"{line.split('=', 1)[1].strip(chr(34))} (kernel {platform.release()})"
    except OSError:
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram": ram,
        "os": os_name,
        "arch": platform.machine(),
        "load_average_at_end": [round(x, 2) for x in load] if load else None,
    }


def _version(dist: str) -> str:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return "not installed"


def _git_commit() -> str:
    root = Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "typedorm"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + (" (typedorm/ modified)" if dirty else "")


def _median(xs: list[float]) -> float | None:
    return statistics.median(xs) if xs else None


def _geomean(xs: list[float]) -> float | None:
    xs = [x for x in xs if x and x > 0]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def build(bench: Any, *, command: str, started: dt.datetime, duration: float) -> dict[str, Any]:
    keys = [e.key for e in LIBRARIES if e.key in bench.libs]
    results: dict[str, Any] = {}
    geomean: dict[str, Any] = {}
    for shape in SHAPES:
        wls = WORKLOADS if shape is NARROW else WIDE_WORKLOADS
        res: dict[str, Any] = {}
        for wl in wls:
            times = bench.times[shape.name].get(wl, {})
            errs = bench.errors[shape.name].get(wl, {})
            raw_med = _median(times.get("raw", []))
            cell: dict[str, Any] = {}
            for k in keys:
                if k not in bench.adapters:
                    continue
                med = _median(times.get(k, []))
                cell[k] = {
                    "times_ms": [round(x * 1000, 3) for x in times.get(k, [])],
                    "median_ms": round(med * 1000, 3) if med is not None else None,
                    "min_ms": round(min(times[k]) * 1000, 3) if times.get(k) else None,
                    "ratio": round(med / raw_med, 3) if med is not None and raw_med else None,
                    "errors": errs.get(k, []),
                }
            res[wl] = cell
        results[shape.name] = res
        g: dict[str, Any] = {}
        for k in keys:
            if k not in bench.adapters:
                continue
            ratios = [res[wl][k]["ratio"] for wl in wls if res[wl].get(k, {}).get("ratio")]
            gm = _geomean(ratios)
            g[k] = {"value": round(gm, 3) if gm else None, "workloads": len(ratios), "of": len(wls)}
        geomean[shape.name] = g
    memory: dict[str, Any] = {}
    for shape in SHAPES:
        mem = bench.memory[shape.name]
        raw = _median([float(x) for x in mem.get("raw", [])])
        memory[shape.name] = {
            k: {
                "peaks_mb": [round(x / 2**20, 2) for x in v],
                "median_mb": round(statistics.median(v) / 2**20, 2),
                "ratio": round(statistics.median(v) / raw, 2) if raw else None,
            }
            for k, v in mem.items()
        }
    versions: dict[str, dict[str, str]] = {}
    for k in keys:
        a = bench.adapters.get(k)
        dists = (
            list(a.dists)
            + list(
                a.pg_dists
                if bench.backend == "postgresql"
                else a.mysql_dists
                if bench.backend == "mysql"
                else ()
            )
            if a
            else []
        )
        v = {d: _version(d) for d in dists}
        if k == "typedorm":
            v["typedorm commit"] = _git_commit()
        versions[k] = v
    libs = {}
    for k in keys:
        info = dict(bench.libs[k])
        # Errors outside the workloads (opening or closing a database) would otherwise show nowhere.
        setup = {
            f"{shape}/{wl}": errs[k]
            for shape, per in bench.errors.items()
            for wl, errs in per.items()
            if wl in ("open", "close") and k in errs
        }
        if setup:
            info["setup_errors"] = setup
        libs[k] = info
    return {
        "command": command,
        "backend": bench.backend,
        "started": started.isoformat(timespec="seconds"),
        "duration_s": round(duration, 1),
        "n": bench.n,
        "repeat": bench.args.repeat,
        "quick": bench.args.quick,
        "counts": bench.counts,
        "machine": machine_info(),
        "python": f"{platform.python_implementation()} {platform.python_version()} ({sys.executable})",
        "sqlite_version": sqlite3.sqlite_version,
        "server_version": bench.server_version or None,
        "pragmas": {"configured": SQLITE_PRAGMAS, "measured": bench.pragmas}
        if bench.backend == "sqlite"
        else None,
        "memory_method": MEMORY_METHOD,
        "shapes": {s.name: {"table": s.table, "columns": 1 + len(s.fields)} for s in SHAPES},
        "workloads": WORKLOAD_TITLES,
        "libraries": libs,
        "versions": versions,
        "results": results,
        "geomean": geomean,
        "memory": memory,
        "readback": bench.readback,
        "validation_probe": bench.probes,
        "discarded_repetitions": bench.discarded,
    }


# --- Markdown ---------------------------------------------------------------------------
def _f(x: float | None, nd: int = 2) -> str:
    if x is None:
        return "—"
    if nd == 2 and x >= 100:
        return f"{x:.0f}"
    return f"{x:.{nd}f}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|",
    ]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def _wl_head(wls: tuple[str, ...]) -> list[str]:
    return [w.upper() for w in wls]


def _result_tables(r: dict[str, Any], *, medians: bool = True, level: str = "##") -> list[str]:
    """The ratio tables (narrow, then wide), each optionally followed by its medians."""
    lines: list[str] = []
    keys = [k for k in r["libraries"] if k in r["results"]["narrow"]["w1"]]
    title = {k: r["libraries"][k]["title"] for k in r["libraries"]}
    for shape in ("narrow", "wide"):
        wls = WORKLOADS if shape == "narrow" else WIDE_WORKLOADS
        res = r["results"][shape]
        gm = r["geomean"][shape]
        mem = r["memory"].get(shape, {})
        cols = 1 + (6 if shape == "narrow" else 19)
        heading = "Ratio to the raw driver" + (" (the main table)" if shape == "narrow" else "")
        lines += [
            f"{level} {heading}: {shape} rows ({cols} columns)",
            "",
            "Median time of each library divided by the raw driver's in the same run; lower is better, "
            "1.00 is the raw driver.",
            "",
        ]
        rows = []
        for k, info in r["libraries"].items():
            if k not in keys:  # not installed, import failed, unsupported: a row all the same
                rows.append([title[k], f"*{info['status']}*", *(["—"] * (len(wls) + 1))])
                continue
            failed = "failed" if info.get("setup_errors") else "—"
            cells = []
            for wl in wls:
                cell = res[wl].get(k, {})
                cells.append(
                    _f(cell.get("ratio"))
                    if cell.get("ratio") is not None
                    else ("error" if cell.get("errors") else failed)
                )
            g = gm.get(k, {})
            gtxt = _f(g.get("value")) + (
                "" if g.get("workloads") == g.get("of") else f" ({g.get('workloads')}/{g.get('of')})"
            )
            memtxt = _f(mem.get(k, {}).get("median_mb"), 1) if k in mem else "—"
            rows.append([title[k], *cells, gtxt, memtxt])
        lines += [*_table(["library", *_wl_head(wls), "geo mean", "W3 peak MB"], rows), ""]
        if not medians:
            continue
        lines += [f"{level}# Medians (ms): {shape} rows", ""]
        rows = []
        for k in keys:
            rows.append([title[k], *(_f(res[wl].get(k, {}).get("median_ms"), 1) for wl in wls)])
        lines += [*_table(["library", *_wl_head(wls)], rows), ""]

    return lines


BACKEND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mysql": "MariaDB"}


def markdown(r: dict[str, Any]) -> str:
    be = BACKEND_NAMES.get(r["backend"], r["backend"])
    m = r["machine"]
    c = r["counts"]
    lines = [
        f"# Benchmarks on {be}",
        "",
        f"Command: `{r['command']}`  ",
        f"Run {r['started']}, {r['duration_s']} s. N = {r['n']:,} rows, median of {r['repeat']} repetition(s)"
        + (" (quick: reduced operation counts, timings not meaningful)" if r["quick"] else "")
        + ".  ",
        f"Operation counts: W1 {c['w1']}, W4 {c['w4']}, W5 {c['w5']}, W6 {c['w6']}, W7 {c['w7']}, W8 {c['w8']}, "
        f"W9 {c['w9']}.  ",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram']} RAM, {m['os']}; load average at end "
        f"{m['load_average_at_end']}.  ",
        f"{r['python']}; SQLite {r['sqlite_version']}"
        + (f"; PostgreSQL server {r['server_version']}" if r.get("server_version") else "")
        + ".",
        "",
    ]
    if r.get("pragmas"):
        conf = ", ".join(f"{k}={v}" for k, v in r["pragmas"]["configured"].items())
        lines += [
            f"PRAGMAs set for every library: {conf}; foreign_keys left to each library. "
            "Read back through each library's own connection:",
            "",
        ]
        rows = [
            [r["libraries"][k]["title"], *(str(v) for v in p.values())]
            for k, p in r["pragmas"]["measured"].items()
        ]
        lines += [*_table(["library", "journal_mode", "synchronous (1 = NORMAL)", "foreign_keys"], rows), ""]
    else:
        lines += [
            "PostgreSQL server defaults; each library gets its own freshly created database per repetition.",
            "",
        ]

    lines += _result_tables(r)
    keys = [k for k in r["libraries"] if k in r["results"]["narrow"]["w1"]]
    title = {k: r["libraries"][k]["title"] for k in r["libraries"]}
    lines += ["## Workloads", ""]
    for wl in WORKLOADS:
        n = {
            "w1": c["w1"],
            "w4": c["w4"],
            "w5": c["w5"],
            "w6": c["w6"],
            "w7": c["w7"],
            "w8": c["w8"],
            "w9": c["w9"],
        }.get(wl, r["n"])
        lines.append(f"- **{wl.upper()}** ({n:,}): {WORKLOAD_TITLES[wl]}")
    lines += ["", f"W3 peak memory: {r['memory_method']}.", ""]

    probes = r.get("validation_probe") or {}
    lines += ["## Which libraries validate on W10", ""]
    if probes:
        cases = list(validation_probes(NARROW))
        lines += [
            "Each library's W10 path was fed one invalid document per case (SQLite itself accepts all "
            "three, so a rejection is the library's).",
            "",
        ]
        rows = [
            [title[k], r["libraries"][k].get("validates", ""), *(probes[k].get(cs, "—") for cs in cases)]
            for k in keys
            if k in probes
        ]
        lines += [*_table(["library", "what its W10 path checks", *cases], rows), ""]
    else:
        lines += [
            "(The probe runs on SQLite only: PostgreSQL rejects these documents itself. See sqlite.md.)",
            "",
        ]
        rows = [[title[k], r["libraries"][k].get("validates", "")] for k in keys]
        lines += [*_table(["library", "what its W10 path checks"], rows), ""]

    if r.get("readback"):
        lines += ["## What W3 returns", ""]
        rows = [[title[k], *(v.get(s, "—") for s in ("narrow", "wide"))] for k, v in r["readback"].items()]
        lines += [*_table(["library", "narrow rows", "wide rows"], rows), ""]

    problems = []
    for info in r["libraries"].values():
        if info["status"] != "ok":
            problems.append(f"- **{info['title']}**: {info['status']} — {info.get('error', '')}")
        for where, errs in (info.get("setup_errors") or {}).items():
            problems.append(
                f"- **{info['title']}** {where.split('/')[1]}: {len(errs)} error(s), first: `{errs[0][:300]}`"
            )
    for shape, res in r["results"].items():
        for wl, cells in res.items():
            for k, cell in cells.items():
                if cell["errors"]:
                    problems.append(
                        f"- **{title[k]}** {shape} {wl.upper()}: {len(cell['errors'])} error(s), first: "
                        f"`{cell['errors'][0][:300]}`"
                    )
    lines += ["## Libraries or workloads that did not run", ""]
    lines += problems or ["None: every library produced a number for every workload."]
    for d in r.get("discarded_repetitions") or []:
        lines.append(
            f"- Repetition {d['repetition']} was run again: the database server dropped every connection during it "
            "(a restart by another job, say), so it measured no library."
        )
    lines += ["", "## Versions", ""]
    rows = [
        [title[k], ", ".join(f"{d} {v}" for d, v in vs.items()) or "(standard library)"]
        for k, vs in r["versions"].items()
    ]
    lines += [*_table(["library", "packages"], rows), ""]
    lines += ["## How each library is written", ""]
    for k in keys:
        notes = r["libraries"][k].get("notes") or {}
        if notes:
            lines.append(
                f"- **{title[k]}**: "
                + "; ".join(f"{w.upper()}: {t}" if w != "*" else t for w, t in notes.items())
            )
    lines.append("")
    return "\n".join(lines)


def summary(r: dict[str, Any]) -> str:
    """The ratio tables with the command and machine that made them (for benchmarks/README.md)."""
    be = BACKEND_NAMES.get(r["backend"], r["backend"])
    m = r["machine"]
    lines = [
        f"{be}, `{r['command']}` ({r['started']}; N = {r['n']:,}, median of {r['repeat']}; "
        f"{m['cpu']}, {m['cores']} cores, {m['ram']} RAM, {r['python'].split(' (')[0]}; "
        f"load average at end {m['load_average_at_end']}). Full report: `results/{r['backend']}.md`.",
        "",
        *_result_tables(r, medians=False, level="####"),
    ]
    return "\n".join(lines)


def update_readme(path: Path, r: dict[str, Any]) -> bool:
    """Replace the text between ``<!-- results:<backend> -->`` and ``<!-- /results:<backend> -->``."""
    begin, end = f"<!-- results:{r['backend']} -->", f"<!-- /results:{r['backend']} -->"
    text = path.read_text()
    if begin not in text or end not in text:
        return False
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    path.write_text(f"{head}{begin}\n{summary(r)}\n{end}{tail}")
    return True
