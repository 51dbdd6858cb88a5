"""The query cache: opt in per query, hits that skip the database, invalidation after commit."""

from typedorm import AUTO, PK, Col, Database, Model, Repository, column
from typedorm.cache import MemoryCache


class Product(Model):
    id: PK[int] = column(default=AUTO)
    name: Col[str]
    price: Col[int]


# --8<-- [start:setup]
db = Database("sqlite:///:memory:", cache=MemoryCache(max_entries=10_000, max_bytes=64 * 2**20))
db.create_all(Product)
products = Repository(Product, db)
lamp = products.insert(Product(name="lamp", price=30))
products.insert(Product(name="desk", price=120))

cheap = products.filter(Product.price < 100).order_by(Product.id).cached(ttl=60)
with db.count_queries() as q:
    print(cheap.all())  # a miss: runs the query and stores the rows
    print(cheap.all())  # a hit: no query
    print(products.get(lamp.id, cached=True) == products.get(lamp.id, cached=True))
print("queries:", q.count)
# --8<-- [end:setup]

# --8<-- [start:invalidate]
products.update(Product.id == lamp.id, Product.price.set(150))  # bumps the table after its commit
print(cheap.all())  # never stale: the write changed a table the query reads
with db.transaction():
    products.insert(Product(name="pen", price=2))
    print([p.name for p in cheap.all()])  # read-your-writes: this transaction wrote the table
print([p.name for p in cheap.all()])
db.execute("UPDATE product SET price = price + 1", touches=[Product])  # raw SQL names its tables
s = db.cache.stats()
print(f"hits={s.hits} misses={s.misses} bypasses={s.bypasses} hit ratio={s.hit_ratio:.2f}")
# --8<-- [end:invalidate]
