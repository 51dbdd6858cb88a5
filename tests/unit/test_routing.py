"""Replica routing without servers: which SQL is a plain read, replication positions, ``using``,
multi-host URLs. (The routing itself runs against real clusters in tests/integration/test_replicas.py.)"""

from __future__ import annotations

import pytest

from typedorm import Database
from typedorm.dialects import get_dialect
from typedorm.dialects.replication import MariaDBGtidPositions, PostgresWalPositions
from typedorm.engine.routing import check_using, is_plain_read
from typedorm.engine.url import URL
from typedorm.errors import ConfigurationError, InvalidArgument


@pytest.mark.parametrize(
    ("sql", "read"),
    [
        ('SELECT "t"."id" FROM "t" WHERE "t"."id" = $1', True),
        ("  (SELECT 1) UNION (SELECT 2)", True),
        ("select count(*) from t", True),
        ("SELECT * FROM t FOR UPDATE", False),
        ("SELECT * FROM t FOR NO KEY UPDATE SKIP LOCKED", False),
        ("SELECT * FROM t for share", False),
        ("SELECT * FROM t LOCK IN SHARE MODE", False),
        ("SELECT * INTO new_table FROM t", False),
        ("INSERT INTO t VALUES (1)", False),
        ("UPDATE t SET a = 1", False),
        ("WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x", False),
        ("DELETE FROM t", False),
        ("CREATE TABLE t (id int)", False),
    ],
)
def test_plain_reads(sql: str, read: bool) -> None:
    assert is_plain_read(sql) is read


def test_wal_positions() -> None:
    p = PostgresWalPositions()
    assert p.parse("0/3000000") == 0x3000000
    assert p.parse("16/B374D848") == (0x16 << 32) + 0xB374D848
    assert p.parse(None) is None and p.parse("garbage") is None and p.parse("x/y") is None
    assert p.reached(p.parse("1/0"), p.parse("0/FFFFFFFF"))
    assert not p.reached(p.parse("0/10"), p.parse("0/11"))
    assert p.merge(5, 9) == 9


def test_gtid_positions() -> None:
    g = MariaDBGtidPositions()
    assert g.parse("0-1-100") == ((0, 100),)
    assert g.parse(b"0-1-100,1-2-7") == ((0, 100), (1, 7))
    assert (
        g.parse("") is None and g.parse(None) is None and g.parse("0-1") is None and g.parse("a-b-c") is None
    )
    need = g.parse("0-1-100,1-2-7")
    assert g.reached(g.parse("0-1-100,1-2-7"), need)
    assert g.reached(g.parse("0-3-150,1-2-9,2-1-1"), need)  # a later server in a domain counts too
    assert not g.reached(g.parse("0-1-150"), need)  # domain 1 not applied at all
    assert not g.reached(g.parse("0-1-99,1-2-7"), need)
    assert g.merge(g.parse("0-1-5,1-1-9"), g.parse("0-1-7")) == ((0, 7), (1, 9))


def test_dialects_know_their_positions() -> None:
    assert isinstance(get_dialect("postgresql").replication, PostgresWalPositions)
    assert isinstance(get_dialect("mariadb").replication, MariaDBGtidPositions)
    mysql = get_dialect("mysql")
    mysql.apply_server_version("8.0.36")
    assert mysql.replication is None  # MySQL's GTID sets differ: reads after a write stay on the primary
    mysql.apply_server_version("10.11.6-MariaDB-0+deb12u1")
    assert isinstance(mysql.replication, MariaDBGtidPositions)
    assert get_dialect("sqlite").replication is None


def test_check_using() -> None:
    assert check_using(None) is None
    assert check_using("primary") == "primary" and check_using("replica") == "replica"
    with pytest.raises(InvalidArgument, match="using must be"):
        check_using("standby")


def test_multi_host_urls() -> None:
    url = URL.parse("postgresql://app:pw@h1:5432,h2:5433,[::1]/db?target_session_attrs=read-write")
    assert url.hosts == (("h1", 5432), ("h2", 5433), ("::1", None))
    assert (url.host, url.port, url.database, url.username) == ("h1", 5432, "db", "app")
    assert url.render() == "postgresql://app:***@h1:5432,h2:5433,[::1]/db?target_session_attrs=read-write"
    assert URL.parse(url.render(hide_password=False)) == url
    assert url.with_database("other").hosts == url.hosts
    assert URL.parse("postgresql://h1/db").hosts == ()
    from typedorm.drivers.psycopg import connect_params

    params, _ = connect_params(url, {})
    assert (params["host"], params["port"], params["target_session_attrs"]) == (
        "h1,h2,::1",
        "5432,5433,",
        "read-write",
    )
    for bad, match in [
        ("postgresql://h1:x,h2/db", "invalid port"),
        ("postgresql://h1,,h2/db", "empty host"),
        ("postgresql://h1,h2:70000/db", "invalid port"),
    ]:
        with pytest.raises(ConfigurationError, match=match):
            URL.parse(bad)


def test_multi_host_mysql_url_is_refused() -> None:
    from typedorm.drivers._mysql import common_connect_kwargs

    with pytest.raises(ConfigurationError, match="one host"):
        common_connect_kwargs(URL.parse("mysql://root@h1,h2/test"))


def test_replicas_argument_is_checked() -> None:
    with pytest.raises(InvalidArgument, match="replicas must be a list"):
        Database("sqlite:///:memory:", replicas="sqlite:///:memory:")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="not the primary's kind"):
        Database("sqlite:///:memory:", replicas=["postgresql://h/db"])
