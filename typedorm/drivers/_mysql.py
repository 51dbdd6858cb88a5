"""What the MySQL/MariaDB adapters share: session setup, connect options and error-message parsing."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from typedorm.drivers.base import ErrorInfo, ErrorKind, option_bool, option_float, option_int
from typedorm.errors import ConfigurationError

if TYPE_CHECKING:
    from typedorm.engine.url import URL

__all__ = ["SESSION_INIT", "classify_mysql_error", "common_connect_kwargs", "error_args", "session_kwargs"]

# Run by the client library right after connecting (and after any reconnect):
# - UTC session time zone, so TIMESTAMP values are neither shifted nor ambiguous;
# - the server's own sql_mode plus the strict modes, so an over-long string, an out-of-range
#   number, a zero date or a division by zero in a write is an error, never a silent truncation
#   (dev.mysql.com/doc/refman/8.0/en/sql-mode.html#sql-mode-strict). MySQL ignores repeated modes.
SESSION_INIT = (
    "SET time_zone = '+00:00', sql_mode = TRIM(BOTH ',' FROM CONCAT(@@SESSION.sql_mode, "
    "',STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'))"
)

# URL query parameters both adapters understand, with their types.
_QUERY_OPTIONS: dict[str, str] = {
    "charset": "str",
    "unix_socket": "str",
    "connect_timeout": "int",
    "read_timeout": "int",
    "write_timeout": "int",
    "ssl_ca": "str",
    "ssl_cert": "str",
    "ssl_key": "str",
    "ssl_disabled": "bool",
    # Galera: which statements wait for the node to apply the cluster's earlier commits before they
    # run (a bitmask: 1 reads, 2 updates/deletes, 4 inserts, 8 SHOW),
    # mariadb.com/kb/en/galera-cluster-system-variables/#wsrep_sync_wait
    "wsrep_sync_wait": "int",
}

SERVER_STATUS_IN_TRANS = 1  # MySQL protocol status flag (dev.mysql.com/doc/dev/mysql-server/latest/)
CLIENT_FOUND_ROWS = 2  # rowcount of UPDATE counts matched rows, as on PostgreSQL and SQLite

_DUP_KEY_RE = re.compile(r"^Duplicate entry '.*' for key '([^']*)'\s*$", re.DOTALL)
_FK_RE = re.compile(
    r"\((?:`(?:[^`]|``)*`\.)?`((?:[^`]|``)*)`, CONSTRAINT `((?:[^`]|``)*)` FOREIGN KEY \(([^)]*)\) "
    r"REFERENCES (?:`(?:[^`]|``)*`\.)?`((?:[^`]|``)*)` \(([^)]*)\)"
)
_BACKTICK_RE = re.compile(r"`((?:[^`]|``)*)`")
_NULL_COLUMN_RE = re.compile(r"^Column '(.*)' cannot be null$", re.DOTALL)
_NO_DEFAULT_RE = re.compile(r"^Field '(.*)' doesn't have a default value$", re.DOTALL)
_CHECK_MYSQL_RE = re.compile(r"^Check constraint '(.*)' is violated\.?$", re.DOTALL)
_CHECK_MARIADB_RE = re.compile(
    r"^CONSTRAINT `((?:[^`]|``)*)` failed for (?:`(?:[^`]|``)*`\.)?`((?:[^`]|``)*)`", re.DOTALL
)
# "... for column 'name' at row 1" (MySQL) or "... for column `db`.`tbl`.`name` at row 1" (MariaDB)
_DATA_COLUMN_RE = re.compile(
    r"for column (?:'([^']*)'|(?:`(?:[^`]|``)*`\.)?`((?:[^`]|``)*)`\.`((?:[^`]|``)*)`|`((?:[^`]|``)*)`)"
)

# Error numbers: dev.mysql.com/doc/mysql-errors/8.0/en/server-error-reference.html and
# mariadb.com/kb/en/mariadb-error-code-reference/
_UNIQUE = frozenset({1062, 1586, 1022, 1169})
_FOREIGN_KEY = frozenset({1451, 1452, 1216, 1217})
_NOT_NULL = frozenset({1048, 1364})
_CHECK = frozenset({3819, 4025})
_DEADLOCK = frozenset({1213})
_SERIALIZATION = frozenset({1020})  # MariaDB: "Record has changed since last read" (snapshot isolation)
_DATA = frozenset({1264, 1265, 1292, 1300, 1366, 1367, 1406, 1411, 1690, 3140})
# 2002/2003 cannot connect, 2006 gone away, 2013/2055 lost during query, 2014 out of sync,
# 1053 server shutdown, 1927 MariaDB connection killed, 4031 MySQL idle disconnect.
_DISCONNECT = frozenset({2002, 2003, 2006, 2013, 2014, 2045, 2055, 1053, 1927, 4031})
# 1153 ER_NET_PACKET_TOO_LARGE (server) / 2020 CR_NET_PACKET_TOO_LARGE (client): a statement over
# max_allowed_packet. The value cannot be stored (a DataError, not retryable), and the server
# closes the connection after answering, so it must not be reused.
_PACKET_TOO_LARGE = frozenset({1153, 2020})


def _unquote_backticks(text: str) -> str:
    return text.replace("``", "`")


def _backtick_list(text: str) -> tuple[str, ...]:
    return tuple(_unquote_backticks(m.group(1)) for m in _BACKTICK_RE.finditer(text))


def error_args(exc: BaseException) -> tuple[int | None, str]:
    """``(errno, message)`` from a pymysql/MySQLdb exception; their ``args`` are ``(errno, message)``."""
    args = exc.args
    if len(args) >= 2 and isinstance(args[0], int):
        return args[0], str(args[1])
    if len(args) == 1:
        return None, str(args[0])
    return None, str(exc)


def classify_mysql_error(errno: int | None, message: str, sqlstate: str | None = None) -> ErrorInfo:
    """Map a MySQL/MariaDB error number and message to an ``ErrorInfo``."""
    kind: ErrorKind = "other"
    constraint: str | None = None
    table: str | None = None
    columns: tuple[str, ...] = ()
    if errno in _UNIQUE:
        kind = "unique"
        if m := _DUP_KEY_RE.match(message):
            key = m.group(1)
            # MySQL >= 8.0.19 prefixes the table: 'users.email'; MariaDB and older MySQL do not.
            tbl, dot, name = key.rpartition(".")
            constraint = name
            table = tbl if dot else None
    elif errno in _FOREIGN_KEY:
        kind = "foreign_key"
        if m := _FK_RE.search(message):
            child, constraint, fk_cols, parent, ref_cols = m.groups()
            constraint = _unquote_backticks(constraint)
            if errno == 1451:  # deleting/updating a parent row: name the parent and its columns
                table, columns = _unquote_backticks(parent), _backtick_list(ref_cols)
            else:
                table, columns = _unquote_backticks(child), _backtick_list(fk_cols)
    elif errno in _NOT_NULL:
        kind = "not_null"
        if m := _NULL_COLUMN_RE.match(message) or _NO_DEFAULT_RE.match(message):
            columns = (m.group(1),)
    elif errno in _CHECK:
        kind = "check"
        if m := _CHECK_MYSQL_RE.match(message):
            constraint = m.group(1)
        elif m := _CHECK_MARIADB_RE.match(message):
            constraint, table = _unquote_backticks(m.group(1)), _unquote_backticks(m.group(2))
    elif errno in _DEADLOCK:
        kind = "deadlock"
    elif errno in _SERIALIZATION:
        kind = "serialization"
    elif errno in _DATA:
        kind = "data"
        if m := _DATA_COLUMN_RE.search(message):
            quoted, tbl, col, bare = m.groups()
            if quoted is not None:
                columns = (quoted,)
            elif col is not None:
                table, columns = _unquote_backticks(tbl), (_unquote_backticks(col),)
            elif bare is not None:
                columns = (_unquote_backticks(bare),)
    elif errno in _DISCONNECT:
        kind = "disconnect"
    elif errno in _PACKET_TOO_LARGE:
        message = (
            f"{message}: the statement is larger than the server's max_allowed_packet; "
            "store smaller values or raise max_allowed_packet on the server"
        )
        return ErrorInfo("data", message, sqlstate=sqlstate, errno=errno, closes_connection=True)
    return ErrorInfo(kind, message, constraint, table, columns, sqlstate=sqlstate, errno=errno)


def common_connect_kwargs(url: URL) -> dict[str, Any]:
    """Keyword arguments both pymysql and MySQLdb accept, from the URL (query values typed)."""
    kwargs: dict[str, Any] = {}
    if len(url.hosts) > 1:
        raise ConfigurationError(
            "a MySQL/MariaDB URL names one host; several hosts (h1,h2) are libpq's syntax, for PostgreSQL"
        )
    if url.host is not None:
        kwargs["host"] = url.host
    if url.port is not None:
        kwargs["port"] = url.port
    if url.username is not None:
        kwargs["user"] = url.username
    if url.password is not None:
        kwargs["password"] = url.password
    if url.database is not None:
        kwargs["database"] = url.database
    kwargs.update(_typed_query(url.query))
    return kwargs


def _typed_query(query: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in query.items():
        kind = _QUERY_OPTIONS.get(key)
        if kind is None:
            raise ConfigurationError(
                f"unknown MySQL URL option {key!r}; valid: {', '.join(sorted(_QUERY_OPTIONS))} "
                "(pass anything else as a keyword argument)"
            )
        if kind == "int":
            out[key] = option_int(key, value)
        elif kind == "float":
            out[key] = option_float(key, value)
        elif kind == "bool":
            out[key] = option_bool(key, value)
        else:
            out[key] = value
    return out


def session_kwargs(kwargs: dict[str, Any], options: Mapping[str, Any]) -> dict[str, Any]:
    """Add typedorm's session settings to a driver's connect keywords, after the caller's ``options``:
    utf8mb4 unless a charset is given, autocommit enforced, CLIENT_FOUND_ROWS, and ``SESSION_INIT``."""
    kwargs.setdefault("charset", "utf8mb4")
    kwargs.update(options)
    check_autocommit_option(kwargs)
    kwargs["client_flag"] = int(kwargs.get("client_flag", 0)) | CLIENT_FOUND_ROWS
    init = SESSION_INIT
    sync_wait = kwargs.pop("wsrep_sync_wait", None)
    if sync_wait is not None:
        if type(sync_wait) is not int or not 0 <= sync_wait <= 15:
            raise ConfigurationError(f"wsrep_sync_wait must be an integer from 0 to 15, not {sync_wait!r}")
        init = f"{init}, wsrep_sync_wait = {sync_wait:d}"
    kwargs.setdefault("init_command", init)
    return kwargs


def check_autocommit_option(options: dict[str, Any]) -> None:
    if "autocommit" in options and options.pop("autocommit") is not True:
        raise ConfigurationError("typedorm manages transactions itself: connections are always autocommit")
