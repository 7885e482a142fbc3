"""When an organizer user's list may page through `organizer_customers`
(data/service_sets.py, `organizer_rows`): only when the policy's keys are rules B and
C's shape and fix one organizer, so that each visible customer is one row; anything
else keeps the policy's own statement. No database: the statements' shapes alone."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.dialects import postgresql

from voucher_graph.data import models as m
from voucher_graph.data.service_sets import organizer_rows

PP = m.PurchasingPower.__table__.alias("pp")


def keys(*where: ColumnElement[bool]) -> Select[Any]:
    return select(PP.c.customer_id).where(*where)


def sql(statement: Select[Any]) -> str:
    return str(statement.compile(dialect=postgresql.dialect()))


def test_an_admins_organizer_is_the_range_and_every_set_of_it_matches() -> None:
    found = organizer_rows(keys(PP.c.organizer_id == "o1"))
    assert found is not None
    organizer, sets = found
    assert organizer.value == "o1"
    text = sql(sets)
    assert text.startswith("SELECT service_set_members.set_id \nFROM service_set_members")
    assert "service_set_members.organizer_id = " in text and "service_id" not in text


def test_a_staff_members_services_are_tested_on_the_set_members() -> None:
    where = and_(PP.c.organizer_id == "o1", or_(PP.c.service_id == "s1", PP.c.service_id == "s2"))
    found = organizer_rows(keys(where))
    assert found is not None
    organizer, sets = found
    assert organizer.value == "o1"
    text = sql(sets)
    assert "service_set_members.organizer_id = " in text
    assert "service_set_members.service_id = " in text
    assert "purchasing_powers" not in text and "pp." not in text


def test_an_organizer_inside_an_or_is_not_one_organizer() -> None:
    where = or_(PP.c.organizer_id == "o1", and_(PP.c.organizer_id == "o2", PP.c.service_id == "s9"))
    assert organizer_rows(keys(where)) is None


def test_grants_of_two_organizers_keep_the_policys_statement() -> None:
    where = or_(
        and_(PP.c.organizer_id == "o1", PP.c.service_id == "s1"),
        and_(PP.c.organizer_id == "o2", PP.c.service_id == "s9"),
    )
    assert organizer_rows(keys(where)) is None


def test_a_condition_on_anything_but_organizer_and_service_keeps_the_policys_statement() -> None:
    where = and_(PP.c.organizer_id == "o1", PP.c.kind == "BALANCE")
    assert organizer_rows(keys(where)) is None
    assert organizer_rows(select(PP.c.id).where(PP.c.organizer_id == "o1")) is None


def test_other_relations_keep_the_policys_statement() -> None:
    pairs = m.ProviderCustomer.__table__
    assert organizer_rows(select(pairs.c.customer_id).where(pairs.c.provider_id == "p1")) is None
