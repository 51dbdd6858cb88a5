"""Parsing, rendering and password hiding of database URLs."""

from __future__ import annotations

import dataclasses
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from typedorm.engine.url import URL, make_url
from typedorm.errors import ConfigurationError

SECRET = "s3cr:t@/x?#%"  # characters that must be percent-encoded in a URL


# -- SQLite ----------------------------------------------------------------------------------------


def test_sqlite_relative_path() -> None:
    url = URL.parse("sqlite:///relative.db")
    assert (url.dialect, url.driver, url.database) == ("sqlite", None, "relative.db")
    assert url.host is None and url.port is None and url.username is None
    assert not url.is_memory


def test_sqlite_relative_path_with_directories() -> None:
    assert URL.parse("sqlite:///data/app.db").database == "data/app.db"


def test_sqlite_absolute_path() -> None:
    url = URL.parse("sqlite:////abs/path.db")
    assert url.database == "/abs/path.db"
    assert os.path.isabs(url.database)


@pytest.mark.parametrize("text", ["sqlite:///:memory:", "sqlite://", "sqlite:///"])
def test_sqlite_memory(text: str) -> None:
    url = URL.parse(text)
    assert url.database == ":memory:"
    assert url.is_memory


def test_sqlite_shared_memory_uri_parameters() -> None:
    url = URL.parse("sqlite:///shared?mode=memory&cache=shared")
    assert url.database == "shared"
    assert dict(url.query) == {"mode": "memory", "cache": "shared"}
    assert url.is_memory


def test_sqlite_percent_decoded_path() -> None:
    assert URL.parse("sqlite:///my%20data.db").database == "my data.db"


def test_sqlite_explicit_driver() -> None:
    assert URL.parse("sqlite+sqlite3:///x.db").driver == "sqlite3"
    assert URL.parse("sqlite+pysqlite:///x.db").driver == "sqlite3"


def test_sqlite_with_host_is_rejected() -> None:
    with pytest.raises(ConfigurationError, match=r"sqlite:///"):
        URL.parse("sqlite://localhost/x.db")


def test_is_memory_false_for_servers() -> None:
    assert not URL.parse("postgresql://localhost/test").is_memory


# -- PostgreSQL ------------------------------------------------------------------------------------


def test_postgresql_full() -> None:
    url = URL.parse("postgresql://app:pw@db.example.com:6543/shop")
    assert url == URL("postgresql", None, "app", "pw", "db.example.com", 6543, "shop")


@pytest.mark.parametrize("scheme", ["postgresql", "postgres", "POSTGRESQL"])
def test_postgresql_scheme_aliases(scheme: str) -> None:
    url = URL.parse(f"{scheme}://u@h/db")
    assert (url.dialect, url.driver, url.username, url.host, url.database) == (
        "postgresql",
        None,
        "u",
        "h",
        "db",
    )


def test_postgresql_explicit_driver() -> None:
    url = URL.parse("postgresql+psycopg://u@h/db")
    assert (url.dialect, url.driver) == ("postgresql", "psycopg")


def test_postgresql_minimal() -> None:
    url = URL.parse("postgresql://")
    assert url == URL("postgresql")
    assert url.render() == "postgresql://"


def test_query_parameters() -> None:
    url = URL.parse("postgresql://u@h/db?sslmode=require&connect_timeout=10&application_name=my%20app")
    assert dict(url.query) == {"sslmode": "require", "connect_timeout": "10", "application_name": "my app"}
    assert url.query["sslmode"] == "require"


def test_percent_decoding_of_user_password_database() -> None:
    url = URL.parse("postgresql://us%40er:p%40ss%3Aw%2Fd%23@h/my%2Fdb")
    assert (url.username, url.password, url.database) == ("us@er", "p@ss:w/d#", "my/db")


def test_unix_socket_directory_as_host() -> None:
    url = URL.parse("postgresql://u@%2Fvar%2Frun%2Fpostgresql/db")
    assert url.host == "/var/run/postgresql"
    assert URL.parse(url.render(hide_password=False)) == url


def test_ipv6_host() -> None:
    url = URL.parse("postgresql://u:pw@[::1]:5432/db")
    assert (url.host, url.port) == ("::1", 5432)
    assert url.render(hide_password=False) == "postgresql://u:pw@[::1]:5432/db"


def test_ipv6_host_without_port() -> None:
    assert URL.parse("mysql://[2001:db8::1]/db").host == "2001:db8::1"


def test_empty_password_is_kept_distinct_from_none() -> None:
    assert URL.parse("postgresql://u:@h/db").password == ""
    assert URL.parse("postgresql://u@h/db").password is None


# -- MySQL / MariaDB -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "driver"),
    [
        ("mysql://root@127.0.0.1:3306/test", None),
        ("mariadb://root@127.0.0.1:3306/test", None),
        ("mysql+pymysql://root@127.0.0.1:3306/test", "pymysql"),
        ("mysql+mysqlclient://root@127.0.0.1:3306/test", "mysqlclient"),
        ("mysql+mysqldb://root@127.0.0.1:3306/test", "mysqlclient"),
        ("mariadb+pymysql://root@127.0.0.1:3306/test", "pymysql"),
    ],
)
def test_mysql_forms(text: str, driver: str | None) -> None:
    url = URL.parse(text)
    assert (url.dialect, url.driver) == ("mysql", driver)
    assert (url.username, url.host, url.port, url.database) == ("root", "127.0.0.1", 3306, "test")


# -- errors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["oracle://u@h/db", "postgresql+asyncpg://u@h/db", "mysql+psycopg://h/db"])
def test_unknown_scheme_names_it_and_the_valid_ones(text: str) -> None:
    scheme = text.split("://")[0]
    with pytest.raises(ConfigurationError) as info:
        URL.parse(text)
    message = str(info.value)
    assert repr(scheme) in message
    for valid in ("sqlite", "postgresql", "postgresql+psycopg", "mysql", "mariadb", "mysql+pymysql"):
        assert valid in message


@pytest.mark.parametrize("text", ["", "localhost/db", "just text", "://x"])
def test_not_a_url(text: str) -> None:
    with pytest.raises(ConfigurationError, match="valid schemes"):
        URL.parse(text)


@pytest.mark.parametrize("text", ["postgresql://h:notaport/db", "postgresql://h:70000/db"])
def test_bad_port(text: str) -> None:
    with pytest.raises(ConfigurationError, match="port"):
        URL.parse(text)


def test_unencoded_hash_is_rejected_without_echoing_the_password() -> None:
    with pytest.raises(ConfigurationError, match="%23") as info:
        URL.parse("postgresql://u:pa#ss@h/db")
    assert "pa#ss" not in str(info.value)


def test_bad_port_error_does_not_echo_the_password() -> None:
    with pytest.raises(ConfigurationError) as info:
        URL.parse("postgresql://u:hunter2@h:x/db")
    assert "hunter2" not in str(info.value)


def test_duplicate_query_parameter() -> None:
    with pytest.raises(ConfigurationError, match="sslmode"):
        URL.parse("postgresql://h/db?sslmode=a&sslmode=b")


def test_malformed_query() -> None:
    with pytest.raises(ConfigurationError, match="query"):
        URL.parse("postgresql://h/db?sslmode")


def test_non_string() -> None:
    with pytest.raises(ConfigurationError, match="str"):
        URL.parse(42)  # type: ignore[arg-type]


def test_constructor_validates() -> None:
    with pytest.raises(ConfigurationError, match="dialect"):
        URL("oracle")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="driver"):
        URL("postgresql", "pymysql")
    with pytest.raises(ConfigurationError, match="port"):
        URL("postgresql", port=0)


# -- password hiding -------------------------------------------------------------------------------


def test_password_hidden_in_repr_str_and_render() -> None:
    url = URL("postgresql", None, "app", SECRET, "h", 5432, "db", {"sslmode": "require"})
    for shown in (repr(url), str(url), url.render(), f"{url}", f"{url!r}", repr([url])):
        assert SECRET not in shown
        assert "s3cr" not in shown
        assert "***" in shown
    assert repr(url) == "URL('postgresql://app:***@h:5432/db?sslmode=require')"
    assert str(url) == "postgresql://app:***@h:5432/db?sslmode=require"


def test_render_with_password_round_trips() -> None:
    url = URL("postgresql", None, "app", SECRET, "h", 5432, "db")
    text = url.render(hide_password=False)
    assert "s3cr%3At%40%2Fx%3F%23%25" in text
    assert URL.parse(text) == url


def test_render_normalizes_scheme_aliases() -> None:
    assert URL.parse("postgres://u@h/db").render() == "postgresql://u@h/db"
    assert URL.parse("mariadb+pymysql://u@h/db").render() == "mysql+pymysql://u@h/db"
    assert URL.parse("sqlite://").render() == "sqlite:///:memory:"
    assert URL.parse("sqlite:////abs/p.db").render() == "sqlite:////abs/p.db"


def test_password_without_username() -> None:
    url = URL.parse("postgresql://:pw@h/db")
    assert (url.username, url.password) == (None, "pw")
    assert url.render() == "postgresql://:***@h/db"
    assert URL.parse(url.render(hide_password=False)) == url


# -- immutability and helpers ----------------------------------------------------------------------


def test_frozen_and_hashable() -> None:
    a = URL.parse("postgresql://u@h/db?sslmode=require")
    b = URL.parse("postgresql://u@h/db?sslmode=require")
    assert a == b and hash(a) == hash(b)
    assert len({a, b}) == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.host = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        a.query["sslmode"] = "disable"  # type: ignore[index]


def test_query_from_plain_dict_is_frozen_copy() -> None:
    params = {"sslmode": "require"}
    url = URL("postgresql", query=params)
    params["sslmode"] = "disable"
    assert url.query["sslmode"] == "require"
    assert hash(url) == hash(URL("postgresql", query={"sslmode": "require"}))


def test_with_database() -> None:
    url = URL.parse("postgresql://u:pw@h:1/db?sslmode=require")
    other = url.with_database("other")
    assert other.database == "other"
    assert dataclasses.replace(other, database="db") == url
    assert URL.parse("sqlite:///a.db").with_database("b.db").database == "b.db"


def test_make_url_accepts_url_or_string() -> None:
    url = make_url("mysql://root@h/test")
    assert make_url(url) is url
    assert URL.parse(url) is url


_names = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), min_size=1, max_size=12)


@given(
    user=st.none() | _names,
    password=st.none() | _names,
    host=st.none() | st.sampled_from(["localhost", "db.example.com", "::1", "10.0.0.1"]),
    port=st.none() | st.integers(1, 65535),
    database=st.none() | _names,
    query=st.dictionaries(_names, st.text(max_size=8), max_size=3),
)
def test_render_parse_round_trip(
    user: str | None,
    password: str | None,
    host: str | None,
    port: int | None,
    database: str | None,
    query: dict[str, str],
) -> None:
    url = URL("postgresql", "psycopg", user, password, host, port, database, query)
    assert URL.parse(url.render(hide_password=False)) == url
    if password:
        assert "***" in repr(url)
