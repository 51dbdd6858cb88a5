"""Parsing and rendering of database URLs (``postgresql://user:pw@host/db``) into an immutable ``URL``."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from typedorm.errors import ConfigurationError

from ..dialects.base import Dialect as _Dialect
from ..dialects.registry import dialect_class, is_builtin_scheme, registered_schemes

__all__ = ["URL", "Dialect", "QueryParams", "make_url"]

#: a URL's dialect family: the registry scheme of a family's own dialect (``"postgresql"``, ...)
Dialect = str

# Schemes map to Dialect classes in typedorm.dialects.registry (``postgres`` is what Heroku & co.
# hand out; ``mariadb`` and registered variants speak their family's protocol); the URL keeps
# the family, which picks the driver. Each dialect lists its driver spellings (``url_drivers``)
# and whether its URLs name a file (``url_is_path``).

_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://(.*)$", re.DOTALL)
_MEMORY = ":memory:"
_MASK = "***"


def _family_dialect(family: str) -> type[_Dialect] | None:
    """The dialect class a family name stands for (its own scheme in the registry), or None."""
    cls = dialect_class(family) if isinstance(family, str) else None
    return cls if cls is not None and cls.family == family else None


def _families() -> list[type[_Dialect]]:
    out: dict[str, type[_Dialect]] = {}
    for scheme in registered_schemes():
        cls = dialect_class(scheme)
        if cls is not None and cls.family not in out and _family_dialect(cls.family) is not None:
            out[cls.family] = cls
    return list(out.values())


def _valid_schemes() -> str:
    names = registered_schemes()
    for cls in _families():
        names.extend(f"{cls.family}+{d}" for d, canonical in cls.url_drivers.items() if d == canonical)
    return ", ".join(names)


class QueryParams(Mapping[str, str]):
    """An immutable, hashable ``str -> str`` mapping holding a URL's ``?key=value`` options."""

    __slots__ = ("_hash", "_items")

    def __init__(self, items: Mapping[str, str] | None = None) -> None:
        self._items: dict[str, str] = dict(items or {})
        self._hash: int | None = None

    def __getitem__(self, key: str) -> str:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._items.items()))
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self._items == dict(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"QueryParams({self._items!r})"


@dataclass(frozen=True, repr=False)
class URL:
    """A parsed database URL. The password never appears in ``repr()``/``str()``.

    >>> url = URL.parse("postgresql://app:s%40cret@db.example.com:5432/shop?sslmode=require")
    >>> url.username, url.password, url.host, url.port, url.database, dict(url.query)
    ('app', 's@cret', 'db.example.com', 5432, 'shop', {'sslmode': 'require'})
    >>> url
    URL('postgresql://app:***@db.example.com:5432/shop?sslmode=require')
    """

    dialect: Dialect
    driver: str | None = None
    username: str | None = None
    password: str | None = None
    host: str | None = None
    port: int | None = None
    database: str | None = None
    query: Mapping[str, str] = field(default_factory=QueryParams)
    #: the URL scheme of a dialect variant (``mariadb``, a registered ``cockroachdb``), or None
    #: for the family's own dialect
    variant: str | None = None
    #: every ``host:port`` of a multi-host URL (``postgresql://h1:5432,h2:5433/db``, libpq's
    #: syntax), in order; ``host``/``port`` are the first. Empty for a single-host URL.
    hosts: tuple[tuple[str, int | None], ...] = ()

    def __post_init__(self) -> None:
        cls = _family_dialect(self.dialect)
        if cls is None:
            raise ConfigurationError(
                f"unknown dialect {self.dialect!r}; valid dialects: {', '.join(c.family for c in _families())}"
            )
        if self.driver is not None and self.driver not in cls.url_drivers.values():
            valid = ", ".join(sorted(set(cls.url_drivers.values())))
            raise ConfigurationError(
                f"unknown driver {self.driver!r} for {self.dialect}; valid drivers: {valid}"
            )
        if self.port is not None and not 0 < self.port < 65536:
            raise ConfigurationError(f"port {self.port} is out of range 1..65535")
        for _, p in self.hosts:
            if p is not None and not 0 < p < 65536:
                raise ConfigurationError(f"port {p} is out of range 1..65535")
        if not isinstance(self.query, QueryParams):
            object.__setattr__(self, "query", QueryParams(self.query))

    # -- construction -------------------------------------------------------------------------------

    @classmethod
    def parse(cls, url: str | URL) -> URL:
        """Parse ``url``; raise ``ConfigurationError`` naming the problem (never echoing the password)."""
        if isinstance(url, URL):
            return url
        if not isinstance(url, str):
            raise ConfigurationError(f"a database URL must be a str, not {type(url).__name__}")
        m = _SCHEME_RE.match(url.strip())
        if m is None:
            raise ConfigurationError(
                f"not a database URL (expected '<scheme>://...'); valid schemes: {_valid_schemes()}"
            )
        scheme, rest = m.group(1).lower(), m.group(2)
        name, _, driver_name = scheme.partition("+")
        found = dialect_class(name)
        own = _family_dialect(found.family) if found is not None else None
        dialect: Dialect | None = own.family if own is not None else None
        variant = name if dialect is not None and not is_builtin_scheme(name) else None
        driver: str | None = None
        if own is not None and driver_name:
            driver = own.url_drivers.get(driver_name)
        if own is None or dialect is None or (driver_name and driver is None):
            raise ConfigurationError(
                f"unknown database URL scheme {scheme!r}; valid schemes: {_valid_schemes()}"
            )
        if "#" in rest:
            raise ConfigurationError(
                "database URL contains '#': percent-encode it as %23 (e.g. in the password)"
            )
        rest, _, query_string = rest.partition("?")
        query = _parse_query(query_string)
        if found is not None and found.url_defaults:
            # a variant's own defaults (Galera's causal reads), overridden by the URL's options
            query = QueryParams({**found.url_defaults, **query})
        if own.url_is_path:
            url = cls._parse_path(dialect, rest, driver, query)
        else:
            url = cls._parse_server(scheme, dialect, driver, rest, query)
        return dataclasses.replace(url, variant=variant) if variant is not None else url

    @classmethod
    def _parse_path(cls, dialect: Dialect, rest: str, driver: str | None, query: QueryParams) -> URL:
        # sqlite:///relative.db -> rest "/relative.db"; sqlite:////abs.db -> "//abs.db"; sqlite:// -> ""
        if rest and not rest.startswith("/"):
            raise ConfigurationError(
                f"a {dialect} URL has no host: write {dialect}:///relative/path.db, {dialect}:////absolute/path.db "
                f"or {dialect}:///:memory:"
            )
        path = unquote(rest[1:]) if rest else ""
        return cls(dialect, driver, database=path or _MEMORY, query=query)

    @classmethod
    def _parse_server(
        cls, scheme: str, dialect: Dialect, driver: str | None, rest: str, query: QueryParams
    ) -> URL:
        netloc, _, path = rest.partition("/")
        userinfo, at, hostspec = netloc.rpartition("@")
        if "," in hostspec:
            # libpq's multi-host form: host1:port1,host2:port2 (tried in order)
            hosts = tuple(cls._parse_host(scheme, entry) for entry in hostspec.split(","))
            single = cls._parse_server(
                scheme, dialect, driver, f"{userinfo}{at}{hostspec.split(',')[0]}/{path}", query
            )
            return dataclasses.replace(single, hosts=hosts)
        # urlsplit handles user:pw@host:port and [ipv6]; it splits userinfo at the LAST '@'.
        parts = urlsplit(f"//{netloc}")
        try:
            port = parts.port
        except ValueError:
            port_text = netloc.rpartition(":")[2]
            raise ConfigurationError(f"invalid port {port_text!r} in {scheme} URL") from None
        host = parts.hostname
        if host is not None and "[" not in netloc:
            host = unquote(host)
        if "[" in netloc and "]" not in netloc:
            raise ConfigurationError("unterminated IPv6 address in URL: write it as [::1]")
        username = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password is not None else None
        database = unquote(path) if path else None
        return cls(dialect, driver, username, password, host or None, port, database, query)

    @staticmethod
    def _parse_host(scheme: str, entry: str) -> tuple[str, int | None]:
        """One ``host[:port]`` (or ``[ipv6][:port]``) of a multi-host URL."""
        if not entry:
            raise ConfigurationError(f"empty host in the host list of a {scheme} URL")
        parts = urlsplit(f"//{entry}")
        try:
            port = parts.port
        except ValueError:
            raise ConfigurationError(f"invalid port {entry.rpartition(':')[2]!r} in {scheme} URL") from None
        host = parts.hostname
        if not host:
            raise ConfigurationError(f"no host in {entry!r} of a {scheme} URL's host list")
        return (host if "[" in entry else unquote(host)), port

    # -- derived values -----------------------------------------------------------------------------

    @property
    def is_file(self) -> bool:
        """True when the URL names a database file (SQLite), not a server."""
        cls = _family_dialect(self.dialect)
        return cls is not None and cls.url_is_path

    @property
    def is_memory(self) -> bool:
        """True for an in-memory SQLite database (``sqlite://``, ``sqlite:///:memory:``, ``?mode=memory``)."""
        if not self.is_file:
            return False
        return self.database in (None, "", _MEMORY) or self.query.get("mode") == "memory"

    @property
    def dialect_scheme(self) -> str:
        """The scheme that names this URL's dialect in the registry (the variant's, else the family's)."""
        return self.variant or self.dialect

    def with_database(self, name: str | None) -> URL:
        """A copy pointing at another database (or SQLite file)."""
        return dataclasses.replace(self, database=name)

    def render(self, hide_password: bool = True) -> str:
        """The URL as a string; the password is shown as ``***`` unless ``hide_password=False``."""
        scheme = self.dialect_scheme + (f"+{self.driver}" if self.driver else "")
        if self.is_file:
            body = "/" + quote(self.database or _MEMORY, safe="/:")
        else:
            userinfo = ""
            if self.username is not None or self.password is not None:
                userinfo = quote(self.username or "", safe="")
                if self.password is not None:
                    userinfo += ":" + (_MASK if hide_password else quote(self.password, safe=""))
                userinfo += "@"
            db = "/" + quote(self.database, safe="") if self.database is not None else ""
            hosts = self.hosts or ((self.host or "", self.port),)
            body = userinfo + ",".join(_render_host(h, p) for h, p in hosts) + db
        query = "?" + urlencode(list(self.query.items())) if self.query else ""
        return f"{scheme}://{body}{query}"

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"URL({self.render()!r})"


def _render_host(host: str, port: int | None) -> str:
    text = f"[{host}]" if ":" in host else quote(host, safe="")
    return text + (f":{port}" if port is not None else "")


def _parse_query(text: str) -> QueryParams:
    if not text:
        return QueryParams()
    try:
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise ConfigurationError(f"malformed query string {text!r} in database URL") from None
    out: dict[str, str] = {}
    for key, value in pairs:
        if key in out:
            raise ConfigurationError(f"query parameter {key!r} is given twice in the database URL")
        out[key] = value
    return QueryParams(out)


def make_url(url: str | URL) -> URL:
    """Alias of ``URL.parse``: accept a string or an already-parsed URL."""
    return URL.parse(url)
