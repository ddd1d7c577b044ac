"""Resolution: first-contact resolution (the console's order-aware definition, from
support.selectors.cases) and customer satisfaction, over the cases opened in the period."""

from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from insights.measures.base import CUTS, Measure, Period, Unit, grouped, ratio, register
from insights.measures.contacts import ATTRIBUTION_TEXT, CASE, REASONS
from support.models import Case
from support.selectors.cases import Fcr, annotate_fcr

SCORES = (1, 2, 3, 4, 5)
SATISFIED = (4, 5)


class CaseMeasure(Measure):
    cuts = (*CUTS, "reason")
    filter_names = ("reason",)
    key_labels = REASONS

    def cases(self, period: Period, filters: dict):
        facts = Case.objects.filter(period.contains("opened_at"))
        return self.apply_filters(
            facts, CASE, filters, own={"reason": lambda q, v: q.filter(reason=v)}
        )

    def key(self, cut):
        return self.key_expression(cut, CASE, {"reason": F("reason")})


@register
class FcrRate(CaseMeasure):
    code = "fcr_rate"
    title = _("First-contact resolution")
    unit = Unit.PERCENT
    higher_is_better = True
    definition = format_lazy(
        "{}{}",
        _(
            "Of the support cases opened in the period and resolved, the share resolved on the "
            "first contact, in percent: one contact on the case and no repeat case by the same "
            "customer about the same order (or, without an order, with the same reason) within 7 "
            "days of the resolution. Cases resolved less than 7 days ago are left out until the "
            "window closes (the console's definition). "
        ),
        ATTRIBUTION_TEXT,
    )
    drill = _("The orders of the cases not resolved on the first contact.")

    def counts(self, period, cut, filters):
        facts = annotate_fcr(
            self.cases(period, filters).filter(status=Case.Status.RESOLVED), now=timezone.now()
        )
        rows = grouped(
            facts,
            self.key(cut),
            {
                "yes": Count("pk", distinct=True, filter=Q(fcr=Fcr.YES)),
                "settled": Count("pk", distinct=True, filter=Q(fcr__in=(Fcr.YES, Fcr.NO))),
            },
        )
        return (
            {key: row["yes"] for key, row in rows.items()},
            {key: row["settled"] for key, row in rows.items()},
        )

    def behind(self, period, filters):
        facts = annotate_fcr(self.cases(period, filters), now=timezone.now()).filter(fcr=Fcr.NO)
        return Q(pk__in=facts.values("order_id"))


class SatisfactionMeasure(CaseMeasure):
    higher_is_better = True
    drill = _("The orders of the cases scored 1 to 3.")

    def scores(self, period, cut, filters) -> dict[str, dict[int, int]]:
        facts = self.cases(period, filters).filter(csat_score__isnull=False)
        rows = grouped(
            facts,
            self.key(cut),
            {f"s{s}": Count("pk", distinct=True, filter=Q(csat_score=s)) for s in SCORES},
        )
        return {key: {s: row[f"s{s}"] or 0 for s in SCORES} for key, row in rows.items()}

    def behind(self, period, filters):
        facts = self.cases(period, filters).filter(csat_score__lte=3)
        return Q(pk__in=facts.values("order_id"))


@register
class Csat(SatisfactionMeasure):
    code = "csat"
    title = _("Customer satisfaction (average score)")
    unit = Unit.SCORE
    definition = format_lazy(
        "{}{}",
        _(
            "The average satisfaction score (1 to 5) of the support cases opened in the period "
            "whose survey was answered; numerator: the sum of the scores, denominator: the "
            "answers. "
        ),
        ATTRIBUTION_TEXT,
    )

    def counts(self, period, cut, filters):
        scores = self.scores(period, cut, filters)
        return (
            {key: sum(s * n for s, n in by.items()) for key, by in scores.items()},
            {key: sum(by.values()) for key, by in scores.items()},
        )

    def value(self, numerator, denominator, filters):
        return ratio(numerator, denominator, scale=1)


@register
class CsatSatisfied(SatisfactionMeasure):
    code = "csat_satisfied"
    title = _("Satisfied customers (score 4 or 5)")
    unit = Unit.PERCENT
    definition = format_lazy(
        "{}{}",
        _(
            "Of the support cases opened in the period whose survey was answered, the share scored "
            "4 or 5, in percent. "
        ),
        ATTRIBUTION_TEXT,
    )

    def counts(self, period, cut, filters):
        scores = self.scores(period, cut, filters)
        return (
            {key: sum(by[s] for s in SATISFIED) for key, by in scores.items()},
            {key: sum(by.values()) for key, by in scores.items()},
        )
