"""The documentation site: every snippet runs and type-checks, the site builds strictly and renders,
and the API reference documents every public name.

- Each ``docs/examples/*.py`` runs (SQLite; PostgreSQL and MariaDB/MySQL too for the server pages,
  same servers and skip rules as tests/integration) and prints exactly its recorded ``.out`` file.
- Each snippet passes ``mypy --strict`` and pyright strict.
- A deliberately broken snippet (wrong output, an exception, a type error) is reported.
- ``mkdocs build --strict`` succeeds; the built pages have their headings and code blocks and no
  broken internal link; a broken link or an unknown reference fails the build.
- Every public name (``typedorm.__all__``, ``typedorm.errors``, ``typedorm.fields``, ``typedorm.cache``) has a
  docstring with an example, its public methods have docstrings, and the reference pages list it.
"""

from __future__ import annotations

import html.parser
import importlib
import importlib.util
import os
import re
import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import _snippets as sn
import pytest

from typedorm.drivers import get_driver
from typedorm.engine.url import URL

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from _servers import require_server

pytestmark = pytest.mark.slow

ROOT = sn.ROOT
PUBLIC_MODULES = ("typedorm", "typedorm.errors", "typedorm.fields", "typedorm.cache")


def _unavailable(what: str) -> None:
    msg = f"{what} is not installed (pip install -e '.[docs]')"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{msg}; CI must build the documentation")
    pytest.skip(msg)


# --- slow commands, started together in the background ------------------------------------------

SAMPLE = sn.EXAMPLES / "getting_started.py"
_MKDOCS_ENV = {"NO_MKDOCS_2_WARNING": "1"}


def _mkdocs_cmd(config: Path, site: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "mkdocs",
        "build",
        "--strict",
        "--config-file",
        str(config),
        "--site-dir",
        str(site),
    ]


def _copy_project(tmp: Path) -> Path:
    shutil.copytree(sn.DOCS, tmp / "docs")
    shutil.copy(ROOT / "mkdocs.yml", tmp / "mkdocs.yml")
    (tmp / "typedorm").symlink_to(ROOT / "typedorm")
    (tmp / "benchmarks").symlink_to(ROOT / "benchmarks")
    return tmp / "mkdocs.yml"


class Jobs:
    """The checkers over every snippet (and a deliberately broken copy), and three site builds
    (the site, a copy with a broken link, a copy with an unknown reference), all started at once."""

    def __init__(self, tmp: Path) -> None:
        # A copy of getting_started.py with one type error (a str compared with an int column).
        # A module name of its own: mypy replays a cached module's errors under the path it was
        # checked at, so a name reused from an earlier run at another path would hide them.
        self.broken = tmp / f"broken_getting_started_{uuid.uuid4().hex[:8]}.py"
        lines = SAMPLE.read_text(encoding="utf-8").splitlines()
        self.broken_line = next(
            i for i, line in enumerate(lines, start=1) if "users.filter(User.age >= 18)" in line
        )
        lines[self.broken_line - 1] = lines[self.broken_line - 1].replace(
            "User.age >= 18", 'User.age >= "18"'
        )
        self.broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self.checked = [*sn.snippets(), self.broken]

        have_mypy = importlib.util.find_spec("mypy") is not None
        have_pyright = importlib.util.find_spec("pyright") is not None or shutil.which("pyright") is not None
        self.mypy = sn.Job(sn.mypy_cmd(self.checked), ROOT) if have_mypy else None
        self.pyright = sn.Job(sn.pyright_cmd(self.checked), ROOT) if have_pyright else None

        self.site_dir = tmp / "site"
        self.site: sn.Job | None = None
        self.broken_sites: dict[str, sn.Job] = {}
        if importlib.util.find_spec("mkdocs") is not None:
            self.site = sn.Job(_mkdocs_cmd(ROOT / "mkdocs.yml", self.site_dir), ROOT, _MKDOCS_ENV)
            link = _copy_project(tmp / "link")
            with (link.parent / "docs" / "queries.md").open("a", encoding="utf-8") as f:
                f.write("\nSee [the missing page](no-such-page.md).\n")
            ref = _copy_project(tmp / "ref")
            with (ref.parent / "docs" / "reference" / "models.md").open("a", encoding="utf-8") as f:
                f.write("\n::: typedorm.NoSuchName\n")
            for needle, config in (("no-such-page.md", link), ("NoSuchName", ref)):
                self.broken_sites[needle] = sn.Job(
                    _mkdocs_cmd(config, config.parent / "site"), config.parent, _MKDOCS_ENV
                )

    def stop(self) -> None:
        for job in (self.mypy, self.pyright, self.site, *self.broken_sites.values()):
            if job is not None:
                job.stop()


@pytest.fixture(scope="module", autouse=True)
def jobs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Jobs]:
    started = Jobs(tmp_path_factory.mktemp("docs-jobs"))
    try:
        yield started
    finally:
        started.stop()


# --- snippets run -------------------------------------------------------------------------------


def _quote(kind: str, name: str) -> str:
    return f'"{name}"' if kind == "postgresql" else f"`{name}`"


def _server_ddl(base: URL, sql: str) -> None:
    driver = get_driver(base)
    conn = driver.connect(base)
    try:
        cur = conn.cursor()
        cur.execute(sql)
        cur.close()
    finally:
        driver.close(conn)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL for the snippet: a SQLite file, or a fresh database of its own on a test server."""
    kind: str = request.param
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'docs.db'}"
        return
    base = require_server(kind)  # type: ignore[arg-type]
    name = f"typedorm_doc{os.getpid()}_{uuid.uuid4().hex[:6]}"
    _server_ddl(base, f"CREATE DATABASE {_quote(kind, name)}")
    try:
        yield base.with_database(name).render(hide_password=False)
    finally:
        force = " WITH (FORCE)" if kind == "postgresql" else ""
        _server_ddl(base, f"DROP DATABASE IF EXISTS {_quote(kind, name)}{force}")


RUNS = [(p, b) for p in sn.runnable() for b in sn.backends(p)]


def test_there_are_snippets() -> None:
    assert len(sn.snippets()) >= 20
    for name in sn.SERVER_SNIPPETS:
        assert (sn.EXAMPLES / name).exists(), f"SERVER_SNIPPETS names a missing snippet {name}"


@pytest.mark.parametrize(
    ("path", "database_url"), RUNS, ids=[f"{p.name}-{b}" for p, b in RUNS], indirect=["database_url"]
)
def test_snippet_runs_and_prints_its_recorded_output(path: Path, database_url: str, tmp_path: Path) -> None:
    backend = database_url.split(":", 1)[0]
    # Only the server snippets read DATABASE_URL; the others name their database themselves.
    proc = sn.run_snippet(path, tmp_path, database_url if path.name in sn.SERVER_SNIPPETS else None)
    problems = sn.check_run(path, sn.expected_output(path, backend), proc, backend)
    assert not problems, "\n".join(problems)


# --- snippets type-check ------------------------------------------------------------------------


def _mypy_all(jobs: Jobs) -> dict[Path, list[str]]:
    if jobs.mypy is None:
        _unavailable("mypy")
    assert jobs.mypy is not None
    return sn.mypy_errors(jobs.mypy.result())


def _pyright_all(jobs: Jobs) -> dict[Path, list[str]]:
    if jobs.pyright is None:
        _unavailable("pyright")
    assert jobs.pyright is not None
    return sn.pyright_errors(jobs.pyright.result(), len(jobs.checked))


@pytest.mark.parametrize("path", sn.runnable(), ids=lambda p: p.name)
def test_snippet_passes_mypy_strict(path: Path, jobs: Jobs) -> None:
    errors = _mypy_all(jobs).get(path.resolve(), [])
    assert not errors, "mypy --strict:\n" + "\n".join(errors)


@pytest.mark.parametrize("path", sn.runnable(), ids=lambda p: p.name)
def test_snippet_passes_pyright_strict(path: Path, jobs: Jobs) -> None:
    errors = _pyright_all(jobs).get(path.resolve(), [])
    assert not errors, "pyright (strict):\n" + "\n".join(errors)


def _error_lines(messages: list[str]) -> set[int]:
    return {int(m.split(":")[1]) for m in messages}


@pytest.mark.parametrize("path", sn.error_snippets(), ids=lambda p: p.name)
@pytest.mark.parametrize("checker", ["mypy", "pyright"])
def test_error_snippet_is_rejected_on_exactly_its_marked_lines(path: Path, checker: str, jobs: Jobs) -> None:
    marked = sn.marked_lines(path)
    assert marked, f"{path.name} marks no line with '# E:'"
    got = (_mypy_all(jobs) if checker == "mypy" else _pyright_all(jobs)).get(path.resolve(), [])
    assert _error_lines(got) == marked, (
        f"{checker} errors:\n" + "\n".join(got) + f"\nmarked lines: {sorted(marked)}"
    )


# --- a broken snippet is caught -----------------------------------------------------------------


def _copy_sample(tmp_path: Path) -> tuple[Path, Path]:
    src = tmp_path / SAMPLE.name
    shutil.copy(SAMPLE, src)
    out = src.with_suffix(".out")
    shutil.copy(SAMPLE.with_suffix(".out"), out)
    return src, out


def test_unchanged_copy_of_a_snippet_passes(tmp_path: Path) -> None:
    # The control for the tests below: the copying itself breaks nothing.
    src, out = _copy_sample(tmp_path)
    assert sn.check_run(src, out, sn.run_snippet(src, tmp_path)) == []


def test_snippet_with_wrong_output_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TYPEDORM_DOCS_UPDATE", raising=False)
    src, out = _copy_sample(tmp_path)
    text = src.read_text(encoding="utf-8")
    assert "age=30" in text
    src.write_text(text.replace("age=30", "age=29", 1), encoding="utf-8")
    problems = sn.check_run(src, out, sn.run_snippet(src, tmp_path))
    assert problems and "printed something else" in problems[0]


def test_snippet_that_raises_fails(tmp_path: Path) -> None:
    src, out = _copy_sample(tmp_path)
    text = src.read_text(encoding="utf-8")
    src.write_text(
        text.replace("users.filter(User.age >= 18)", "users.filter_by(agee__gte=18)", 1), encoding="utf-8"
    )
    problems = sn.check_run(src, out, sn.run_snippet(src, tmp_path))
    assert problems and "exited with 1" in problems[0] and "UnknownField" in problems[0]


def test_snippet_with_a_type_error_fails_both_checkers(jobs: Jobs) -> None:
    # The broken copy (see Jobs) differs from getting_started.py in one line only: both checkers
    # report that line and no other, so the copy is otherwise as clean as the original.
    mypy = _mypy_all(jobs).get(jobs.broken.resolve(), [])
    pyright = _pyright_all(jobs).get(jobs.broken.resolve(), [])
    assert _error_lines(mypy) == {jobs.broken_line}, mypy
    assert _error_lines(pyright) == {jobs.broken_line}, pyright
    assert not _mypy_all(jobs).get(SAMPLE.resolve()) and not _pyright_all(jobs).get(SAMPLE.resolve())


# --- the site builds and renders ----------------------------------------------------------------


@pytest.fixture(scope="module")
def site(jobs: Jobs) -> Path:
    if jobs.site is None:
        _unavailable("mkdocs")
    assert jobs.site is not None
    proc = jobs.site.result()
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stdout}\n{proc.stderr}"
    return jobs.site_dir


class _Page(html.parser.HTMLParser):
    """The headings, code blocks, ids and links of one built page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.h1 = 0
        self.h2 = 0
        self.pre = 0
        self.code_text: list[str] = []
        self._in_pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(str(a["id"]))
        if tag == "a" and a.get("href"):
            self.links.append(str(a["href"]))
        if tag == "h1":
            self.h1 += 1
        elif tag == "h2":
            self.h2 += 1
        elif tag == "pre":
            self.pre += 1
            self._in_pre += 1
            self.code_text.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self._in_pre -= 1

    def handle_data(self, data: str) -> None:
        if self._in_pre:
            self.code_text[-1] += data


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _pages(site: Path) -> list[Path]:
    return [p for p in site.rglob("*.html") if p.name != "404.html" and "assets" not in p.parts]


def _md_pages() -> list[Path]:
    return sorted(p for p in sn.DOCS.rglob("*.md") if sn.EXAMPLES not in p.parents)


def _built(site: Path, md: Path) -> Path:
    rel = md.relative_to(sn.DOCS).with_suffix("")
    return (
        site / "index.html"
        if rel.name == "index" and rel.parent == Path()
        else (site / rel.parent / "index.html" if rel.name == "index" else site / rel / "index.html")
    )


def test_every_page_is_built_with_its_headings_and_code_blocks(site: Path) -> None:
    problems = []
    for md in _md_pages():
        built = _built(site, md)
        if not built.exists():
            problems.append(f"{md.name}: not built ({built})")
            continue
        page = _parse(built)
        src = md.read_text(encoding="utf-8")
        fences = len(re.findall(r"^\s*```", src, re.M)) // 2
        if page.h1 != 1:
            problems.append(f"{md.name}: {page.h1} <h1> headings")
        if src.count("\n## ") and page.h2 < src.count("\n## "):
            problems.append(f"{md.name}: {page.h2} <h2> for {src.count(chr(10) + '## ')} sections")
        if page.pre < fences:
            problems.append(f"{md.name}: {page.pre} code blocks rendered, {fences} in the source")
        empty = [i for i, t in enumerate(page.code_text) if not t.strip()]
        if empty:
            problems.append(f"{md.name}: empty code blocks {empty}")
        if "--8<--" in page_text(built):
            problems.append(f"{md.name}: an unexpanded snippet include")
    assert not problems, "\n".join(problems)


def page_text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_no_broken_internal_link(site: Path) -> None:
    parsed = {p.resolve(): _parse(p) for p in _pages(site)}
    broken = []
    for path, page in parsed.items():
        for href in page.links:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or href.startswith(("mailto:", "javascript:")):
                continue
            target = path if not parts.path else (path.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{path.relative_to(site.resolve())}: {href} (no such file)")
                continue
            if parts.fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else _parse(target).ids
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{path.relative_to(site.resolve())}: {href} (no such anchor)")
    assert not broken, "broken internal links:\n" + "\n".join(sorted(set(broken)))


def test_site_needs_no_network(site: Path) -> None:
    # Material's default fonts come from a CDN; the built pages must not reach out for anything.
    for path in _pages(site):
        text = page_text(path)
        assert "fonts.googleapis.com" not in text and "fonts.gstatic.com" not in text, path
        for m in re.finditer(r'<(?:script|link)[^>]+(?:src|href)="(https?://[^"]+)"', text):
            pytest.fail(f"{path}: loads {m.group(1)}")


def test_every_snippet_is_shown_on_a_page() -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in _md_pages())
    included = set(re.findall(r'--8<--\s+"([^":]+)', text))
    for path in sn.snippets():
        assert path.name in included, f"{path.name} is on no page"
        for out in sn.EXAMPLES.glob(f"{path.stem}*.out"):
            assert out.name in included, f"{out.name} (output of {path.name}) is on no page"


def test_broken_link_or_unknown_reference_fails_the_strict_build(jobs: Jobs) -> None:
    # Two copies of the site (see Jobs), each broken in one way: a link to a missing page, and a
    # reference to a name typedorm does not have.
    if not jobs.broken_sites:
        _unavailable("mkdocs")
    for needle, job in jobs.broken_sites.items():
        proc = job.result()
        out = proc.stdout + proc.stderr
        assert proc.returncode != 0, f"the build with {needle} passed:\n{out}"
        assert needle in out, out


# --- docstrings and the API reference -----------------------------------------------------------

# An example in a docstring: inline code that calls, indexes, assigns or compares, or a code block.
EXAMPLE = re.compile(r"``[^`]*[(\[=<>.][^`]*``|`[^`]*[(\[=<>.][^`]*`|::\s*$|>>>|```", re.M)


def _public_names() -> list[tuple[str, str]]:
    out = []
    for mod_name in PUBLIC_MODULES:
        mod = importlib.import_module(mod_name)
        out += [(mod_name, n) for n in mod.__all__ if not n.startswith("__")]
    return out


@pytest.fixture(scope="module")
def griffe_package():  # type: ignore[no-untyped-def]
    if importlib.util.find_spec("griffe") is None:
        _unavailable("griffe (mkdocstrings[python])")
    import griffe

    return griffe.load("typedorm", search_paths=[str(ROOT)], resolve_aliases=True, resolve_external=False)


def _griffe_obj(pkg, mod_name: str, name: str):  # type: ignore[no-untyped-def]
    mod = pkg if mod_name == "typedorm" else pkg[mod_name.split(".", 1)[1]]
    obj = mod[name]
    return obj.final_target if obj.is_alias else obj


def test_every_public_name_has_a_docstring_with_an_example(griffe_package) -> None:  # type: ignore[no-untyped-def]
    missing, no_example = [], []
    for mod_name, name in _public_names():
        obj = _griffe_obj(griffe_package, mod_name, name)
        doc = obj.docstring.value if obj.docstring else ""
        if not doc.strip():
            missing.append(f"{mod_name}.{name}")
        elif not obj.is_module and not EXAMPLE.search(doc):
            no_example.append(f"{mod_name}.{name}")
    assert not missing, f"public names without a docstring: {missing}"
    assert not no_example, f"public docstrings without an example: {no_example}"


def test_every_public_method_has_a_docstring(griffe_package) -> None:  # type: ignore[no-untyped-def]
    missing = []
    for mod_name, name in _public_names():
        obj = _griffe_obj(griffe_package, mod_name, name)
        if not obj.is_class:
            continue
        for member_name, member in obj.members.items():
            if member_name.startswith("_"):
                continue
            target = member.final_target if member.is_alias else member
            if target.is_function and not target.docstring:
                missing.append(f"{name}.{member_name}")
    assert not missing, f"public methods without a docstring: {sorted(set(missing))}"


def _reference_idents(mod_name: str, name: str) -> set[str]:
    """The identifiers under which the reference may document ``mod_name.name``."""
    obj = getattr(importlib.import_module(mod_name), name)
    if getattr(obj, "__name__", None) in PUBLIC_MODULES:
        return {obj.__name__}
    idents = {f"{mod_name}.{name}"}
    for other in PUBLIC_MODULES[1:]:
        # typedorm.UniqueViolation is typedorm.errors.UniqueViolation: documented once, there.
        if getattr(importlib.import_module(other), name, None) is obj:
            idents.add(f"{other}.{name}")
    return idents


def test_reference_pages_list_every_public_name() -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in (sn.DOCS / "reference").glob("*.md"))
    directives = set(re.findall(r"^:::\s+(\S+)", text, re.M))
    missing = []
    for mod_name, name in _public_names():
        idents = _reference_idents(mod_name, name)
        # ``::: typedorm.errors`` documents every member of the module.
        if not idents & directives and not any(
            i.rsplit(".", 1)[0] in directives - {"typedorm"} for i in idents
        ):
            missing.append(f"{mod_name}.{name}")
    assert not missing, f"names missing from docs/reference/*.md: {missing}"


def test_reference_renders_every_public_name(site: Path) -> None:
    text = "\n".join(page_text(p) for p in (site / "reference").rglob("*.html"))
    ids = set(re.findall(r'id="([^"]+)"', text))
    missing = [f"{m}.{n}" for m, n in _public_names() if not _reference_idents(m, n) & ids]
    assert not missing, f"reference pages render no heading for: {missing}"


# --- the tables of the performance page and the README ------------------------------------------


def test_performance_page_includes_whole_benchmark_tables() -> None:
    # The page includes line ranges of benchmarks/results/*.md; a re-run that moves the tables
    # must not leave the page showing half a table or the wrong one.
    text = (sn.DOCS / "performance.md").read_text(encoding="utf-8")
    ranges = re.findall(r'--8<--\s+"(benchmarks/results/[^":]+):(\d+):(\d+)"', text)
    assert {r[0] for r in ranges} == {"benchmarks/results/sqlite.md", "benchmarks/results/postgresql.md"}
    for path, first, last in ranges:
        lines = (ROOT / path).read_text(encoding="utf-8").splitlines()
        a, b = int(first), int(last)
        assert lines[a - 1].startswith("| library | W1 "), f"{path}:{a} is not the table header"
        assert lines[a - 3].startswith("Median time of each library divided by the raw driver"), path
        assert all(line.startswith("|") for line in lines[a - 1 : b]), f"{path}:{a}-{b} is not all table"
        assert b == len(lines) or not lines[b].strip(), f"{path}: the table goes on after line {b}"
        assert any(line.startswith("| typedorm |") for line in lines[a - 1 : b])


def _readme_block(marker: str) -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    after = text.split(f"<!-- {marker} -->", 1)[1]
    block = after.split("```bash\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip()]


def test_readme_says_how_to_build_and_serve_the_docs_in_one_command() -> None:
    docs = _readme_block("docs-command")
    assert len(docs) == 1 and "mkdocs serve" in docs[0] and '".[docs]"' in docs[0], docs
    test = _readme_block("test-command")
    assert len(test) == 1, test
    extras = re.search(r'-e "\.\[([\w,]+)\]"', test[0])
    assert extras and "docs" in extras.group(1).split(","), (
        f"CI's test command does not install the docs extra: {test}"
    )
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    docs_extra = pyproject.split("\ndocs = [", 1)[1].split("]\n", 1)[0]
    for package in ("mkdocs", "mkdocs-material", "mkdocstrings[python"):
        assert f'"{package}' in docs_extra, f"the docs extra lacks {package}"
