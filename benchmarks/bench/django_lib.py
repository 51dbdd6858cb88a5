"""Django ORM, standalone: settings configured in code, models with an explicit app_label."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import django
from django.conf import settings

from .common import SQLITE_PRAGMAS, Adapter, Shape, Target, Timer

MODELS: dict[str, Any] = {}


def _configure(target: Target) -> dict[str, Any]:
    if target.backend == "sqlite":
        db: dict[str, Any] = {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": target.path,
            # Django 5.1+: statements run on every new connection.
            "OPTIONS": {"init_command": "".join(f"PRAGMA {k}={v};" for k, v in SQLITE_PRAGMAS.items())},
        }
    else:
        db = {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": target.dbname,
            "USER": target.user,
            "PASSWORD": target.password,
            "HOST": target.host,
            "PORT": str(target.port),
        }
    if not settings.configured:
        settings.configure(
            DATABASES={"default": db},
            INSTALLED_APPS=[],
            USE_TZ=True,
            TIME_ZONE="UTC",
            DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        )
        django.setup()
        _define_models()
    elif settings.DATABASES["default"]["NAME"] != db["NAME"]:
        raise RuntimeError("Django is configured once per process: one database per library")
    return db


def _define_models() -> None:
    from django.db import models

    class User(models.Model):  # type: ignore[misc]  # no django-stubs installed
        name = models.CharField(max_length=100)
        email = models.CharField(max_length=255, unique=True)
        age = models.IntegerField()
        score = models.FloatField()
        active = models.BooleanField()
        created = models.DateTimeField()

        class Meta:
            app_label = "bench"
            db_table = "users"

    class WideUser(models.Model):  # type: ignore[misc]  # no django-stubs installed
        name = models.CharField(max_length=100)
        email = models.CharField(max_length=255, unique=True)
        age = models.IntegerField()
        score = models.FloatField()
        active = models.BooleanField()
        created = models.DateTimeField()
        title = models.CharField(max_length=200)
        city = models.CharField(max_length=50)
        country = models.CharField(max_length=50)
        phone = models.CharField(max_length=30)
        notes = models.CharField(max_length=500)
        views = models.IntegerField()
        likes = models.IntegerField()
        stars = models.IntegerField()
        visits = models.IntegerField()
        ratio = models.FloatField()
        balance = models.FloatField()
        verified = models.BooleanField()
        updated = models.DateTimeField()

        class Meta:
            app_label = "bench"
            db_table = "wide_users"

    MODELS.update(narrow=User, wide=WideUser)


class DjangoORM(Adapter):
    key = "django"
    title = "Django ORM"
    dists = ("django",)
    validates = (
        "partly: bulk_create() converts values (int(), datetime parsing) and fails on what it cannot "
        "convert; max_length is not checked (only full_clean() or forms validate)"
    )
    notes: ClassVar[dict[str, str]] = {
        "w1": "Model.objects.create(**row) (autocommit)",
        "w2": "transaction.atomic(): bulk_create([Model(**row), ...])",
        "w3": "list(Model.objects.all())",
        "w4": "list(Model.objects.filter(age__gte=x, active=True)[:50])",
        "w5": "Model.objects.get(pk=pk)",
        "w6": "objects loaded beforehand; atomic(): assign, obj.save()",
        "w7": "Model.objects.filter(age=a).update(score=s)",
        "w8": "objects loaded beforehand; atomic(): obj.delete()",
        "w9": "values('age').annotate(n=Count('id'), avg=Avg('score'))",
        "w10": "Model(**json.loads(doc)), then bulk_create (no full_clean())",
    }

    def open(self, target: Target) -> None:
        _configure(target)
        from django.db import connection

        with connection.schema_editor() as editor:
            editor.create_model(MODELS["narrow"])
            editor.create_model(MODELS["wide"])

    def close(self) -> None:
        from django.db import connections

        connections.close_all()

    def sql(self, query: str) -> list[tuple[Any, ...]]:
        from django.db import connection, transaction

        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(query)
            return [tuple(r) for r in cur.fetchall()] if cur.description else []

    def w1(self, shape: Shape, rows: list[dict[str, Any]], t: Timer) -> list[int]:
        objects = MODELS[shape.name].objects
        ids = []
        with t:
            for r in rows:
                ids.append(objects.create(**r).pk)
        return ids

    def w2(self, shape: Shape, rows: list[dict[str, Any]], t: Timer) -> int:
        from django.db import transaction

        model = MODELS[shape.name]
        with t:
            with transaction.atomic():
                out = model.objects.bulk_create([model(**r) for r in rows])
        return len(out)

    def w3(self, shape: Shape, _: Any, t: Timer) -> list[Any]:
        objects = MODELS[shape.name].objects
        with t:
            out = list(objects.all())
        return out

    def w4(self, shape: Shape, ages: list[int], t: Timer) -> list[Any]:
        objects = MODELS[shape.name].objects
        out = []
        with t:
            for x in ages:
                out.append(list(objects.filter(age__gte=x, active=True)[:50]))
        return out

    def w5(self, shape: Shape, ids: list[int], t: Timer) -> list[Any]:
        objects = MODELS[shape.name].objects
        out = []
        with t:
            for i in ids:
                out.append(objects.get(pk=i))
        return out

    def w6(self, shape: Shape, changes: list[tuple[int, int, float]], t: Timer) -> None:
        from django.db import transaction

        objects = MODELS[shape.name].objects
        by_id = objects.in_bulk([c[0] for c in changes])
        objs = [(by_id[i], age, score) for i, age, score in changes]
        with t:
            with transaction.atomic():
                for o, age, score in objs:
                    o.age = age
                    o.score = score
                    o.save()

    def w7(self, shape: Shape, pairs: list[tuple[int, float]], t: Timer) -> None:
        objects = MODELS[shape.name].objects
        with t:
            for age, score in pairs:
                objects.filter(age=age).update(score=score)

    def w8(self, shape: Shape, ids: list[int], t: Timer) -> None:
        from django.db import transaction

        by_id = MODELS[shape.name].objects.in_bulk(ids)
        objs = [by_id[i] for i in ids]
        with t:
            with transaction.atomic():
                for o in objs:
                    o.delete()

    def w9(self, shape: Shape, n: int, t: Timer) -> list[Any]:
        from django.db.models import Avg, Count

        objects = MODELS[shape.name].objects
        out = []
        with t:
            for _ in range(n):
                out.append(list(objects.values("age").annotate(n=Count("id"), avg=Avg("score"))))
        return out

    def w10(self, shape: Shape, docs: list[bytes], t: Timer) -> int:
        from django.db import transaction

        model = MODELS[shape.name]
        with t:
            objs = [model(**json.loads(d)) for d in docs]
            with transaction.atomic():
                model.objects.bulk_create(objs)
        return len(objs)
