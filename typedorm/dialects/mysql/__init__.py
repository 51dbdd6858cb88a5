"""MySQL and its MariaDB variant: dialects importable without a MySQL driver."""

from .dialect import MariaDBDialect, MySQLDialect

__all__ = ["MariaDBDialect", "MySQLDialect"]
