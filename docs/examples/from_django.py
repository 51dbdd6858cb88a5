"""Django ORM idioms and their typedorm counterparts."""

from typing import Annotated

from typedorm import AUTO, PK, Col, Database, ForeignKey, Model, NotFound, Q, Repository, column, select
from typedorm.fields import BooleanField, CharField, IntegerField


# --8<-- [start:model]
class Blog(Model, table="blogs"):  # class Blog(models.Model): class Meta: db_table = "blogs"
    id: PK[int] = column(default=AUTO)  # the implicit AutoField, made explicit
    name: Col[str] = CharField(max_length=100, unique=True)  # models.CharField(max_length=100, unique=True)


class Entry(Model, table="entries"):
    id: PK[int] = column(default=AUTO)
    blog_id: Annotated[
        Col[int], ForeignKey(Blog.id, on_delete="cascade")
    ]  # ForeignKey(Blog, on_delete=CASCADE)
    headline: Col[str] = CharField(max_length=255)
    rating: Col[int] = IntegerField(min_value=0, default=0)  # validated on construction, not only in forms
    published: Col[bool] = BooleanField(default=False)


# --8<-- [end:model]

db = Database("sqlite:///:memory:")
db.create_all(Blog, Entry)
blogs, entries = Repository(Blog, db), Repository(Entry, db)

# --8<-- [start:write]
b = blogs.insert(Blog(name="Beatles Blog"))  # Blog.objects.create(name="Beatles Blog")
entries.insert_many(  # Entry.objects.bulk_create([...])
    [
        Entry(blog_id=b.id, headline="Lennon", rating=5, published=True),
        Entry(blog_id=b.id, headline="McCartney", rating=3),
        Entry(blog_id=b.id, headline="Harrison", rating=4, published=True),
    ]
)
# Entry.objects.filter(rating__lt=4).update(rating=4)
print(entries.filter_by(rating__lt=4).update(Entry.rating.set(4)))
# --8<-- [end:write]

# --8<-- [start:query]
# Entry.objects.filter(published=True).exclude(headline__startswith="H").order_by("-rating")
q = entries.filter_by(published=True).exclude(headline__startswith="H").order_by("-rating")
print([e.headline for e in q.all()])
# Entry.objects.filter(Q(rating__gte=5) | Q(headline__icontains="harr")).count()
print(entries.filter(Q(rating__gte=5) | Q(headline__icontains="harr")).count())
# Entry.objects.values_list("headline", flat=False)
print(entries.order_by("id").values_list("headline", "rating"))
# Entry.objects.filter(blog__name="Beatles Blog"): a subquery here, or a lookup through a relation
print(entries.filter(Entry.blog_id.in_(select(Blog.id).where(Blog.name == "Beatles Blog"))).count())
# Entry.objects.get(pk=99) raises Entry.DoesNotExist
try:
    entries.get_or_raise(99)
except NotFound as e:
    print("NotFound:", e)
# --8<-- [end:query]
