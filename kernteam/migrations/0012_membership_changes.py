"""The team's history of who joined and left (issue 21 §2): `MembershipChange`, append-only in
the database too, as the referral updates (steps 0012): on PostgreSQL a trigger refuses UPDATE
and DELETE; on SQLite UPDATE (Django's `flush` empties SQLite tables with DELETE)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

PG_UP = """
CREATE OR REPLACE FUNCTION kernteam_membership_change_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'membership changes are append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER kernteam_membershipchange_append_only
    BEFORE UPDATE OR DELETE ON kernteam_membershipchange
    FOR EACH ROW EXECUTE FUNCTION kernteam_membership_change_append_only();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS kernteam_membershipchange_append_only ON kernteam_membershipchange;
DROP FUNCTION IF EXISTS kernteam_membership_change_append_only();
"""
SQLITE_UP = """
CREATE TRIGGER kernteam_membershipchange_append_only BEFORE UPDATE ON kernteam_membershipchange
BEGIN SELECT RAISE(ABORT, 'membership changes are append-only: UPDATE refused'); END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS kernteam_membershipchange_append_only;"


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
        ("kernteam", "0011_membership_agb_code_uzi_number"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="MembershipChange",
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
                            ("added", "added"),
                            ("invited", "invitation sent again"),
                            ("not_sent", "invitation not sent"),
                            ("ended", "ended"),
                            ("changed", "changed"),
                        ],
                        max_length=10,
                        verbose_name="what",
                    ),
                ),
                (
                    "at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, editable=False, verbose_name="when"
                    ),
                ),
                (
                    "by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="by",
                    ),
                ),
                (
                    "membership",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="changes",
                        to="kernteam.membership",
                    ),
                ),
                (
                    "team",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="membership_changes",
                        to="kernteam.team",
                    ),
                ),
            ],
            options={
                "verbose_name": "membership change",
                "verbose_name_plural": "membership changes",
                "ordering": ["-at", "-pk"],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
