"""``relation(through="LinkModel")``: a string naming a model class is that model, on every backend.

The hero/team shape of the SQLModel tutorial, ported: the link model has an extra column and is
declared after the models that name it. Before, the string was taken for a table name: SQLite got
a second, automatic link table differing only in case (and a NotNullViolation), PostgreSQL two
tables and a rejected ``is_training``.
"""

from __future__ import annotations

from typing import Annotated

import pytest

from typedorm import (
    AUTO,
    PK,
    Col,
    Database,
    ForeignKey,
    Model,
    ModelDefinitionError,
    RelList,
    Repository,
    column,
    link_models,
    relation,
)


class Team(Model, table="tut_team"):
    id: PK[int] = column(default=AUTO)
    name: Col[str]
    headquarters: Col[str]
    heroes: RelList[Hero] = relation(through="HeroTeamLink", order_by="name")


class Hero(Model, table="tut_hero"):
    id: PK[int] = column(default=AUTO)
    name: Col[str]
    secret_name: Col[str]
    age: Col[int | None] = column(default=None)
    teams: RelList[Team] = relation(through="HeroTeamLink", order_by="name")


class HeroTeamLink(Model, table="tut_hero_team_link", primary_key=("team_id", "hero_id")):
    team_id: Annotated[Col[int], ForeignKey(Team.id, on_delete="cascade")]
    hero_id: Annotated[Col[int], ForeignKey(Hero.id, on_delete="cascade")]
    is_training: Col[bool] = column(default=False)


# By table name, declared later too.
class Mission(Model, table="tut_mission"):
    id: PK[int] = column(default=AUTO)
    title: Col[str]
    heroes: RelList[Hero] = relation(through="tut_mission_hero")


class MissionHero(Model, table="tut_mission_hero", primary_key=("mission_id", "hero_id")):
    mission_id: Annotated[Col[int], ForeignKey(Mission.id, on_delete="cascade")]
    hero_id: Annotated[Col[int], ForeignKey(Hero.id, on_delete="cascade")]
    role: Col[str] = column(default="member")


def _tables(db: Database) -> set[str]:
    kind = db.dialect.name
    if kind == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    elif kind == "postgresql":
        sql = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    else:
        sql = "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()"
    return {str(r[0]) for r in db.execute(sql).rows}


def test_a_class_name_resolves_to_the_declared_link_model() -> None:
    assert Hero.teams.spec.link is HeroTeamLink
    assert Team.heroes.spec.link is HeroTeamLink
    assert Mission.heroes.spec.link is MissionHero
    assert link_models(Team, Hero, Mission) == []  # nothing automatic to create


def test_hero_team_tutorial(db: Database) -> None:
    db.create_all(Team, Hero, HeroTeamLink)
    assert _tables(db) == {"tut_team", "tut_hero", "tut_hero_team_link"}
    teams, heroes, links = Repository(Team, db), Repository(Hero, db), Repository(HeroTeamLink, db)
    preventers = teams.insert(Team(name="Preventers", headquarters="Sharp Tower"))
    z_force = teams.insert(Team(name="Z-Force", headquarters="Sister Margaret's Bar"))
    deadpond = heroes.insert(Hero(name="Deadpond", secret_name="Dive Wilson"))
    rusty = heroes.insert(Hero(name="Rusty-Man", secret_name="Tommy Sharp", age=48))
    spider = heroes.insert(Hero(name="Spider-Boy", secret_name="Pedro Parqueador"))

    assert heroes.add_related(deadpond, Hero.teams, z_force, preventers) == 2
    assert heroes.add_related(spider, Hero.teams, preventers, is_training=True) == 1
    assert teams.add_related(preventers, Team.heroes, rusty) == 1

    got = {(link.team_id, link.hero_id): link.is_training for link in links.all()}
    assert got == {
        (z_force.id, deadpond.id): False,
        (preventers.id, deadpond.id): False,
        (preventers.id, spider.id): True,
        (preventers.id, rusty.id): False,
    }
    loaded = teams.filter_by(name="Preventers").load(Team.heroes).one()
    assert [h.name for h in loaded.heroes] == ["Deadpond", "Rusty-Man", "Spider-Boy"]
    assert [t.name for t in heroes.load_related(deadpond, Hero.teams).teams] == ["Preventers", "Z-Force"]
    assert [h.name for h in heroes.filter_by(teams__name="Z-Force").all()] == ["Deadpond"]
    assert heroes.remove_related(deadpond, Hero.teams, z_force) == 1
    assert heroes.filter_by(teams__name="Z-Force").count() == 0


def test_link_model_named_by_its_table(db: Database) -> None:
    db.create_all(Hero, Mission, MissionHero)
    assert "tut_mission_hero" in _tables(db) and len(_tables(db)) == 3
    heroes, missions = Repository(Hero, db), Repository(Mission, db)
    h = heroes.insert(Hero(name="Ann", secret_name="A"))
    m = missions.insert(Mission(title="Rescue"))
    assert missions.add_related(m, Mission.heroes, h, role="lead") == 1
    assert [r.role for r in Repository(MissionHero, db).all()] == ["lead"]


def test_a_class_like_name_that_names_no_model_is_an_error() -> None:
    class Squad(Model, table="tut_squad"):
        id: PK[int] = column(default=AUTO)
        members: RelList[Hero] = relation(through="SquadMembership")

    with pytest.raises(
        ModelDefinitionError, match=r"through='SquadMembership' names no table model.*'squad_membership'"
    ):
        _ = Squad.members.spec


def test_a_lower_case_name_is_still_an_automatic_link_table() -> None:
    class Badge(Model, table="tut_badge"):
        id: PK[int] = column(default=AUTO)
        holders: RelList[Hero] = relation(through="tut_badge_holders")

    link = Badge.holders.spec.link
    assert link is not None and link.__table__.name == "tut_badge_holders"
    assert link_models(Badge) == [link]
