"""The factories' promise that tests rely on: staff never carry a resident's name, so a page or
mail that names a member can never pass (or fail) a check about a resident."""

from faker import Faker

from tests.factories import (
    RESIDENT_FIRST_NAMES,
    RESIDENT_SURNAMES,
    staff_first_name,
    staff_last_name,
)


def test_staff_never_carry_a_name_tests_give_residents():
    # Faker's Dutch surnames include "van der Heijden", which once turned a coordinator into a
    # resident of the first-day test's caseload
    assert any("Heijden" in Faker("nl_NL").last_name() for _ in range(5000))
    assert "Heijden" in RESIDENT_SURNAMES
    for _ in range(2000):
        last, first = staff_last_name(), staff_first_name()
        assert not [name for name in RESIDENT_SURNAMES if name.lower() in last.lower()]
        assert not [name for name in RESIDENT_FIRST_NAMES if name.lower() in first.lower()]
