"""The reads every API request makes run SQL compiled once (`kernteam.prepared`): it must be
exactly what the ORM writes for the same values, and give the same objects."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from clients.models import Resident
from frontend.api import auth
from kernteam import policy
from kernteam.models import Meeting, Membership, Team
from kernteam.prepared import Prepared
from steps import panel, services
from tests.factories import open_meeting
from tests.test_api import api_as


def fresh(prepared: Prepared, **values) -> tuple[str, tuple]:
    sql, params = prepared.build(**values).query.get_compiler(using="default").as_sql()
    return sql, tuple(params)


def test_each_prepared_read_runs_what_the_orm_would_write(daalhof, resident_in):
    resident = resident_in("step2")
    key = "abcd1234"
    cases = [
        (auth._tokens, {"key": key}),
        (policy._memberships, {"user_id": daalhof.gp.pk}),
        (policy._resident, {"pk": resident.pk}),
        (panel._open_meetings, {"team_id": daalhof.team.pk}),
    ]
    for prepared, values in cases:
        assert prepared.sql_for(**values) == fresh(prepared, **values), prepared.build
    with transaction.atomic():  # (a lock is only compiled inside one)
        values = {"resident_id": resident.pk}
        locked = services._trajectory_locked
        assert locked.sql_for(**values) == fresh(locked, **values)


def test_the_resident_comes_with_team_coordinator_and_trajectory_as_the_orm_gives_them(
    daalhof, resident_in, django_assert_num_queries
):
    resident = resident_in("step2", coordinator=daalhof.district_nurse)
    with django_assert_num_queries(1):
        (found,) = policy._resident.objects(pk=resident.pk)
        assert (found.team, found.coordinator, found.trajectory) == (
            daalhof.team,
            daalhof.district_nurse,
            resident.trajectory,
        )
        assert found.trajectory.state == "step2"
    orm = Resident.objects.get(pk=resident.pk)
    fields = [f.attname for f in Resident._meta.concrete_fields]
    assert [getattr(found, f) for f in fields] == [getattr(orm, f) for f in fields]
    assert policy._resident.objects(pk=resident.pk + 1000) == []


def test_an_ended_membership_gives_no_roles(daalhof, malberg):
    Membership.objects.create(team=malberg.team, user=daalhof.gp, role="poh")
    assert policy.member_roles(daalhof.gp) == {
        daalhof.team.pk: frozenset({"gp"}),
        malberg.team.pk: frozenset({"poh"}),
    }
    ended = Membership.objects.get(team=malberg.team, user=daalhof.gp)
    ended.ended_on = timezone.localdate()
    ended.save()
    next_request = type(daalhof.gp).objects.get(pk=daalhof.gp.pk)
    assert policy.member_roles(next_request) == {daalhof.team.pk: frozenset({"gp"})}


def test_only_a_meeting_opened_today_takes_decisions(daalhof):
    assert panel.open_meeting_for(team=daalhof.team) is None
    last_week = open_meeting(daalhof.team, daalhof.coordinator)
    Meeting.objects.filter(pk=last_week.pk).update(
        opened_at=timezone.now() - datetime.timedelta(days=7)
    )
    assert panel.open_meeting_for(team=daalhof.team) is None
    today = open_meeting(daalhof.team, daalhof.coordinator)
    assert panel.open_meeting_for(team=daalhof.team) == today


def test_a_value_of_another_type_is_refused_not_guessed(daalhof):
    with pytest.raises(TypeError, match="pk must be int"):
        policy._resident.objects(pk=str(daalhof.team.pk))
    with pytest.raises(TypeError, match="values for"):
        policy._resident.objects(id=1)


def test_an_integer_no_column_can_hold_finds_nothing(daalhof):
    """As the ORM answers (an API caller may send any number)."""
    assert policy._resident.objects(pk=2**70) == []
    assert api_as(daalhof.gp).get(f"/api/v1/residents/{2**70}/").status_code == 404


def test_only_instances_or_tuples_can_be_prepared(db):
    names = Prepared(lambda pk: Team.objects.filter(pk=pk).values_list("name", flat=True), pk=0)
    with pytest.raises(TypeError, match="not flat"):
        names.rows(pk=1)


def test_a_query_whose_sql_holds_the_value_cannot_be_prepared(db):
    """`icontains` puts the value inside a pattern: a marker would not be found, so it fails
    at once instead of running with the wrong value."""
    contains = Prepared(lambda name: Team.objects.filter(name__icontains=name), name="")
    with pytest.raises(ValueError, match="did not become parameters"):
        contains.objects(name="Daal")


@pytest.mark.django_db(transaction=True)
def test_a_lock_outside_a_transaction_is_refused(daalhof, resident_in):
    resident = resident_in("step2")
    assert connection.get_autocommit()
    with pytest.raises(TransactionManagementError):
        services._trajectory_locked.objects(resident_id=resident.pk)
    with transaction.atomic():
        (trajectory,) = services._trajectory_locked.objects(resident_id=resident.pk)
    assert trajectory.state == "step2"


def test_each_parse_has_fields_of_its_own():
    """Input serializers copy their fields shallowly (`FlatInput`): still one set per parse."""
    from rest_framework import serializers

    from frontend.api.serializers import FlatInput, TransitionInputSerializer

    one = TransitionInputSerializer(data={"transition": "nonsense", "expected_state": "step2"})
    other = TransitionInputSerializer(data={"transition": "close", "expected_state": "step1"})
    assert not one.is_valid() and other.is_valid()
    assert set(one.errors) == {"transition"}
    for name in ["transition", "expected_state", "reason"]:
        assert one.fields[name] is not other.fields[name]
        assert one.fields[name].parent is one and other.fields[name].parent is other
    nested = [
        serializers.ListField(child=serializers.CharField()),
        serializers.PrimaryKeyRelatedField(many=True, queryset=Team.objects.all()),
    ]
    for field in nested:
        with pytest.raises(TypeError, match="plain fields only"):
            type("Nested", (FlatInput,), {"items": field})


def test_a_key_of_any_integer_column_can_be_prepared(daalhof):
    """The marker fits a 32-bit id (auth's users): the ORM refuses a value out of a column's
    range while compiling."""
    from django.contrib.auth import get_user_model

    users = Prepared(lambda pk: get_user_model().objects.filter(pk=pk), pk=0)
    assert users.objects(pk=daalhof.gp.pk) == [daalhof.gp]
