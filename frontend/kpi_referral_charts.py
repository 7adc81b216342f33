"""The referral KPIs' charts and tiles on the KPI dashboard (`steps.kpi.referrals`): referrals
per kind of local offer, step-downs with a referral, feedback within six weeks."""

from __future__ import annotations

from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from frontend.kpi_charts import Chart, LegendItem, Tile
from frontend.svg_charts import Series, column_chart, number, percent
from steps.kpi import Dashboard
from steps.referrals import OfferKind


def offer_css(kind: str) -> str:
    return f"kpi-fill-offer-{kind}"


def referral_charts(d: Dashboard) -> list[Chart]:
    months = d.months
    n = len(months)
    per_kind, downs, feedback = d.referrals, d.step_down_referrals, d.referral_feedback
    kinds = [
        Series(offer_css(kind), str(capfirst(OfferKind(kind).label)), per_kind.counts[kind])
        for kind in OfferKind.values
    ]
    return [
        Chart(
            "referrals",
            _("Referrals to local offers per month"),
            _(
                "Referrals of the residents to the neighbourhood's and the region's offers, by "
                "the month they were made and the kind of offer; every status counts, declined "
                "and stopped included."
            ),
            column_chart(months, kinds, totals=[number(per_kind.total(i)) for i in range(n)]),
            per_kind.table(),
            [
                *(
                    LegendItem(s.css, s.label, number(per_kind.kind_total(kind)))
                    for kind, s in reversed(list(zip(OfferKind.values, kinds, strict=True)))
                ),
                LegendItem("", _("the numbers: referrals in these 12 months")),
            ],
        ),
        Chart(
            "step_down_referrals",
            _("Step-downs with a referral to a local offer"),
            _(
                "Of the step-downs in each month, the share whose resident was referred to a "
                "local offer from 30 days before to 30 days after; beneath: the step-downs."
            ),
            _share_columns(
                months,
                [downs.share(i) for i in range(n)],
                _("with a referral"),
                downs.step_downs,
            ),
            downs.table(),
            [
                LegendItem(
                    "kpi-fill-good",
                    _("with a referral, in 12 months"),
                    _("%(n)s of %(total)s")
                    % {
                        "n": number(sum(downs.with_referral)),
                        "total": number(sum(downs.step_downs)),
                    },
                ),
                LegendItem("", _("step-downs (the number beneath the month)")),
                LegendItem(
                    "", _("the last 30 days can still rise: a referral up to 30 days after counts")
                ),
            ],
        ),
        Chart(
            "referral_feedback",
            _("Feedback from the provider within 6 weeks"),
            _(
                "Of the referrals whose 6 weeks ended in each month, the share the provider gave "
                "feedback on within those 6 weeks; beneath: the referrals whose 6 weeks ended."
            ),
            _share_columns(
                months,
                [feedback.share(i) for i in range(n)],
                _("feedback within 6 weeks"),
                feedback.due,
            ),
            feedback.table(),
            [
                LegendItem(
                    "kpi-fill-good",
                    _("feedback within 6 weeks, in 12 months"),
                    _("%(n)s of %(total)s")
                    % {"n": number(sum(feedback.in_time)), "total": number(sum(feedback.due))},
                ),
                LegendItem("", _("referrals whose 6 weeks ended (the number beneath the month)")),
            ],
        ),
    ]


def _share_columns(months, shares, label, wholes):
    return column_chart(
        months,
        [Series("kpi-fill-good", str(label), [v or 0 for v in shares])],
        totals=[percent(v) for v in shares],
        sublabels=[number(v) for v in wholes],
        top=100,
    )


def referral_tiles(d: Dashboard) -> list[Tile]:
    """The headline figures, over the 12 months (the referrals per kind: on their chart)."""
    downs, feedback = d.step_down_referrals, d.referral_feedback
    return [
        Tile(
            "step_down_referrals",
            percent(downs.total_share),
            _("of step-downs with a referral to a local offer"),
            _("%(n)s of %(total)s in 12 months")
            % {"n": number(sum(downs.with_referral)), "total": number(sum(downs.step_downs))},
        ),
        Tile(
            "referral_feedback",
            percent(feedback.total_share),
            _("of referrals with feedback within 6 weeks"),
            _("%(n)s of %(total)s in 12 months")
            % {"n": number(sum(feedback.in_time)), "total": number(sum(feedback.due))},
        ),
    ]
