"""Outcome events (issue 17, part 4), append-only in the database too.

Written once; the one change allowed is linking an event to the move it goes with, once
(`OutcomeEvent.link_to`): step_change from empty to a move, every other column unchanged.
PostgreSQL: a trigger refuses any other UPDATE, and DELETE (TRUNCATE, used only by test
teardown and `flush`, is not a row operation). SQLite: a trigger refuses any other UPDATE;
DELETE stays refused by the application (Django's `flush` empties SQLite tables with DELETE),
as for the step history (0004).
"""

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

SAME = " AND ".join(
    f"NEW.{column} IS NOT DISTINCT FROM OLD.{column}"
    for column in (
        "id",
        "resident_id",
        "kind",
        "occurred_on",
        "place",
        "note",
        "recorded_by_id",
        "recorded_at",
    )
)
LINK_ONCE = f"OLD.step_change_id IS NULL AND NEW.step_change_id IS NOT NULL AND {SAME}"

PG_UP = f"""
CREATE OR REPLACE FUNCTION kernteam_outcome_event_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND {LINK_ONCE} THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'outcome events are append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER steps_outcomeevent_append_only
    BEFORE UPDATE OR DELETE ON steps_outcomeevent
    FOR EACH ROW EXECUTE FUNCTION kernteam_outcome_event_append_only();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS steps_outcomeevent_append_only ON steps_outcomeevent;
DROP FUNCTION IF EXISTS kernteam_outcome_event_append_only();
"""
SQLITE_UP = f"""
CREATE TRIGGER steps_outcomeevent_append_only BEFORE UPDATE ON steps_outcomeevent
WHEN NOT ({LINK_ONCE.replace("IS NOT DISTINCT FROM", "IS")})
BEGIN SELECT RAISE(ABORT, 'outcome events are append-only: UPDATE refused'); END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS steps_outcomeevent_append_only;"


def run(schema_editor, by_vendor: dict[str, str]) -> None:
    sql = by_vendor.get(schema_editor.connection.vendor)
    if sql:
        with schema_editor.connection.cursor() as cursor:  # no params: '%' stays literal
            cursor.execute(sql)


def forwards(apps, schema_editor):
    run(schema_editor, {"postgresql": PG_UP, "sqlite": SQLITE_UP})


def backwards(apps, schema_editor):
    run(schema_editor, {"postgresql": PG_DOWN, "sqlite": SQLITE_DOWN})


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0009_carer_account_address_unique"),
        ("steps", "0007_stepchange_kind_review"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="OutcomeEvent",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("fall", "fall"),
                            ("emergency", "emergency-department visit"),
                            ("out_of_hours", "out-of-hours GP contact"),
                            ("hospital", "hospital admission"),
                            ("crisis", "crisis admission"),
                            ("nursing_home", "permanent nursing-home admission"),
                            ("death", "death"),
                        ],
                        max_length=16,
                        verbose_name="event",
                    ),
                ),
                ("occurred_on", models.DateField(verbose_name="date")),
                (
                    "place",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("home", "at home"),
                            ("nursing_home", "in a nursing home"),
                            ("hospice", "in a hospice"),
                            ("hospital", "in hospital"),
                            ("elsewhere", "elsewhere"),
                            ("unknown", "not recorded"),
                        ],
                        max_length=16,
                        verbose_name="place of death",
                    ),
                ),
                (
                    "note",
                    models.TextField(
                        blank=True,
                        max_length=2000,
                        validators=[django.core.validators.MaxLengthValidator(2000)],
                        verbose_name="note",
                    ),
                ),
                (
                    "recorded_at",
                    models.DateTimeField(
                        db_index=True, default=django.utils.timezone.now, verbose_name="recorded at"
                    ),
                ),
                (
                    "recorded_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="recorded by",
                    ),
                ),
                (
                    "resident",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="outcome_events",
                        to="clients.resident",
                        verbose_name="resident",
                    ),
                ),
                (
                    "step_change",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="outcome_event",
                        to="steps.stepchange",
                        verbose_name="step change",
                    ),
                ),
            ],
            options={
                "verbose_name": "outcome event",
                "verbose_name_plural": "outcome events",
                "ordering": ["-occurred_on", "-recorded_at", "-pk"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("kind", "death"), models.Q(("place", ""), _negated=True)),
                            models.Q(models.Q(("kind", "death"), _negated=True), ("place", "")),
                            _connector="OR",
                        ),
                        name="outcome_event_place_only_for_death",
                    )
                ],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
