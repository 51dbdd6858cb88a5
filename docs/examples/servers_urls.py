"""Database URLs: parsing, drivers, the hidden password, and connecting to the one in DATABASE_URL."""

from typedorm import URL, ConfigurationError, Database

# --8<-- [start:parse]
url = URL.parse("postgresql://app:s%40cret@db.example.com:5432/shop?sslmode=require&connect_timeout=5")
print(url)  # the password never appears in repr() or logs
print(url.dialect, url.driver, url.username, url.password, url.host, url.port, url.database, dict(url.query))
for text in (
    "sqlite:///relative/app.db",
    "sqlite:////var/lib/app.db",
    "sqlite:///:memory:",
    "postgresql+psycopg://localhost/shop",
    "mysql://root@127.0.0.1:3306/shop",
    "mysql+pymysql://root@127.0.0.1/shop",
    "mariadb://root@127.0.0.1/shop",
):
    u = URL.parse(text)
    print(f"{text:38} -> dialect={u.dialect} driver={u.driver} database={u.database}")
# --8<-- [end:parse]

# --8<-- [start:bad]
for bad in ("oracle://scott@db/orcl", "postgresql://app@db:port/shop", "localhost/shop"):
    try:
        URL.parse(bad)
    except ConfigurationError as e:
        print("ConfigurationError:", e)
# --8<-- [end:bad]

# --8<-- [start:connect]
db = Database.from_env("DATABASE_URL", pool_size=5, pool_pre_ping=True)
print(db.dialect.name, db.execute("SELECT 1 + 1").scalar())
db.close()
# --8<-- [end:connect]
