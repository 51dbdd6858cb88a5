"""MySQL and its MariaDB variant: dialects importable without a MySQL driver."""

from .dialect import GaleraDialect, MariaDBDialect, MySQLDialect

__all__ = ["GaleraDialect", "MariaDBDialect", "MySQLDialect"]
