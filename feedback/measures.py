"""Feedback in insights: NPS, the average product rating, the share of reviews that mention
damage and the return-experience score, cut by product, warehouse and carrier (and region,
channel). Registered into insights' MEASURES when imported (feedback.console.register, from
FeedbackConfig.ready): insights never imports feedback. Behind every number the drill-down
lists the orders with the customers' own words (`comments`)."""

from functools import reduce
from operator import or_

from django.db.models import Count, Q, Sum
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from feedback.models import Review, SurveyResponse
from insights.measures.base import Attribution, Measure, Unit, grouped, ratio, register

SURVEY = Attribution(order="order")
REVIEW = Attribution(order="order", line="line")
CUTS = ("product", "warehouse", "carrier", "region", "channel")
PROMOTERS = Q(score__gte=9)
DETRACTORS = Q(score__lte=6)
COMMENT_MAX = 300
# Words a customer uses when the product arrived damaged, per review language (the review's
# locale, its first two letters); matched anywhere in the title or the text, ignoring case.
DAMAGE_WORDS = {
    "en": (
        "damage",
        "broken",
        "broke",
        "crack",
        "dent",
        "torn",
        "ripped",
        "scratch",
        "smashed",
        "crushed",
        "defective",
        "leak",
        "shattered",
    ),
    "pt": (
        "danific",
        "quebrad",
        "quebrou",
        "rachad",
        "amassad",
        "rasgad",
        "arranhad",
        "avariad",
        "defeito",
        "defeituos",
        "vazand",
        "vazou",
        "estragad",
    ),
}
ATTRIBUTION_TEXT = _(
    "An answer about an order counts under the warehouse, carrier and ship date of the order's "
    "first shipment and once under each product on the order; a review counts under its own "
    "product and the first shipment that carried its order line."
)


def _damage_condition() -> Q:
    by_language = []
    for language, words in DAMAGE_WORDS.items():
        mentions = reduce(or_, (Q(title__icontains=w) | Q(body__icontains=w) for w in words))
        by_language.append(Q(locale__istartswith=language) & mentions)
    known = reduce(or_, (Q(locale__istartswith=language) for language in DAMAGE_WORDS))
    # A review in another language is read with the English list.
    english = DAMAGE_WORDS["en"]
    fallback = ~known & reduce(or_, (Q(title__icontains=w) | Q(body__icontains=w) for w in english))
    return reduce(or_, by_language) | fallback


def numerator_and_denominator(facts, key, numerator) -> tuple[dict, dict]:
    """One query: `numerator` and the number of facts per key, as a measure's counts()."""
    rows = grouped(facts, key, {"numerator": numerator, "denominator": Count("pk", distinct=True)})
    return (
        {key: row["numerator"] for key, row in rows.items()},
        {key: row["denominator"] for key, row in rows.items()},
    )


def _stars(rating: int) -> str:
    return "★" * rating + "☆" * (5 - rating)


class SurveyMeasure(Measure):
    kind: str
    cuts = CUTS
    higher_is_better = True

    def answers(self, period, filters):
        facts = SurveyResponse.objects.filter(kind=self.kind).filter(period.contains("created_at"))
        return self.apply_filters(facts, SURVEY, filters)

    def behind(self, period, filters):
        return Q(pk__in=self.answers(period, filters).values("order_id"))

    def comments(self, order_ids, period, filters) -> dict[int, list[str]]:
        """The score and comment of each answer on these orders (one query)."""
        out: dict[int, list[str]] = {}
        rows = self.answers(period, filters).filter(order_id__in=order_ids).order_by("id")
        out_of = 10 if self.kind == SurveyResponse.Kind.NPS else 5
        for order_id, score, comment in rows.values_list("order_id", "score", "comment"):
            text = f"{score}/{out_of}"
            if comment:
                text += f" · “{comment[:COMMENT_MAX]}”"
            out.setdefault(order_id, []).append(text)
        return out


@register
class NetPromoterScore(SurveyMeasure):
    code = "nps"
    kind = SurveyResponse.Kind.NPS
    title = _("Net Promoter Score")
    unit = Unit.NPS
    definition = format_lazy(
        "{} {}",
        _(
            'Of the NPS answers given in the period ("how likely are you to recommend us", 0 to '
            "10, asked after delivery), the share of promoters (9 or 10) minus the share of "
            "detractors (0 to 6), from -100 to 100; numerator: promoters minus detractors, "
            "denominator: the answers."
        ),
        ATTRIBUTION_TEXT,
    )
    drill = _("The orders whose customer answered, with the score and the comment.")

    def counts(self, period, cut, filters):
        return numerator_and_denominator(
            self.answers(period, filters),
            self.key_expression(cut, SURVEY),
            Count("pk", distinct=True, filter=PROMOTERS)
            - Count("pk", distinct=True, filter=DETRACTORS),
        )


@register
class ReturnExperience(SurveyMeasure):
    code = "return_experience"
    kind = SurveyResponse.Kind.RETURN_EXPERIENCE
    title = _("Return experience (average score)")
    unit = Unit.SCORE
    definition = format_lazy(
        "{} {}",
        _(
            "The average score (1 to 5) customers gave their return when it closed, over the "
            "answers given in the period; numerator: the sum of the scores, denominator: the "
            "answers."
        ),
        ATTRIBUTION_TEXT,
    )
    drill = _("The orders whose return was rated, with the score and the comment.")

    def counts(self, period, cut, filters):
        return numerator_and_denominator(
            self.answers(period, filters), self.key_expression(cut, SURVEY), Sum("score")
        )

    def value(self, numerator, denominator, filters):
        return ratio(numerator, denominator, scale=1)


class ReviewMeasure(Measure):
    cuts = CUTS

    def reviews(self, period, filters):
        """Reviews written in the period, except rejected ones (spam, abuse, off topic)."""
        facts = Review.objects.filter(period.contains("created_at")).exclude(
            status=Review.Status.REJECTED
        )
        return self.apply_filters(facts, REVIEW, filters)

    def behind_reviews(self, period, filters):
        return self.reviews(period, filters)

    def behind(self, period, filters):
        return Q(pk__in=self.behind_reviews(period, filters).values("order_id"))

    def comments(self, order_ids, period, filters) -> dict[int, list[str]]:
        """Each review behind the number on these orders: stars, product, title and text."""
        out: dict[int, list[str]] = {}
        rows = (
            self.behind_reviews(period, filters)
            .filter(order_id__in=order_ids)
            .order_by("id")
            .values_list("order_id", "rating", "product__name", "title", "body")
        )
        for order_id, rating, product, title, body in rows:
            words = " — ".join(part for part in (title, body[:COMMENT_MAX]) if part)
            text = f"{_stars(rating)} {product}"
            if words:
                text += f" · “{words}”"
            out.setdefault(order_id, []).append(text)
        return out


@register
class AverageRating(ReviewMeasure):
    code = "review_rating"
    title = _("Average product rating")
    unit = Unit.SCORE
    higher_is_better = True
    definition = format_lazy(
        "{} {}",
        _(
            "The average number of stars (1 to 5) of the product reviews written in the period, "
            "published or waiting for moderation (rejected reviews are left out); numerator: the "
            "sum of the stars, denominator: the reviews."
        ),
        ATTRIBUTION_TEXT,
    )
    drill = _("The orders with a review, with the stars and the text.")

    def counts(self, period, cut, filters):
        return numerator_and_denominator(
            self.reviews(period, filters), self.key_expression(cut, REVIEW), Sum("rating")
        )

    def value(self, numerator, denominator, filters):
        return ratio(numerator, denominator, scale=1)


@register
class DamageMentions(ReviewMeasure):
    code = "review_damage"
    title = _("Reviews mentioning damage")
    unit = Unit.PERCENT
    definition = format_lazy(
        "{} {}",
        _(
            "Of the product reviews written in the period (rejected ones left out), the share "
            "whose title or text mentions damage (broken, dented, cracked, torn, leaking… in the "
            "review's language: English or Portuguese word lists, English for other languages), "
            "in percent: a product that arrives damaged, or a warehouse or carrier that damages "
            "it."
        ),
        ATTRIBUTION_TEXT,
    )
    drill = _("The orders whose review mentions damage, with the text.")

    def counts(self, period, cut, filters):
        return numerator_and_denominator(
            self.reviews(period, filters),
            self.key_expression(cut, REVIEW),
            Count("pk", distinct=True, filter=_damage_condition()),
        )

    def behind_reviews(self, period, filters):
        return self.reviews(period, filters).filter(_damage_condition())
