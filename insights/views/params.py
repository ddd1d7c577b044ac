"""What the insights pages read from the query string: the period (last 7/30/90 days or custom
dates), the cut, the filters a measure supports and the drill-down's key. Bad input is answered
with the form's errors (400), never with a guess."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from insights.measures import CUTS, Measure, Period
from orders.models import Order
from orders.money import CURRENCIES
from support.models import CaseReason

DEFAULT_DAYS = 30
# The cut value for "no cut": one row over everything.
OVERALL = "all"
PRESETS = (7, 30, 90)
# A custom period is capped so that one page never scans more than a year of facts.
MAX_CUSTOM_DAYS = 366

PERIOD_CHOICES = [
    ("7", _("Last 7 days")),
    ("30", _("Last 30 days")),
    ("90", _("Last 90 days")),
    ("custom", _("Custom dates")),
]
CUT_LABELS = {
    "warehouse": _("Warehouse"),
    "carrier": _("Carrier"),
    "region": _("Destination region"),
    "ship_date": _("Ship date"),
    "product": _("Product"),
    "channel": _("Sales channel"),
    # Cuts of their own that some measures take.
    "reason": _("Contact reason"),
    "return_reason": _("Return reason"),
    "component": _("Component"),
    "experience": _("Experience"),
}

# Filters the pages offer: the measure's own (Measure.filter_names: a contact reason, a
# currency) and the sales channel, which every measure cut by channel also filters by.
FILTER_LABELS = {
    "reason": _("Contact reason"),
    "return_reason": _("Return reason"),
    "currency": _("Currency"),
    "channel": _("Sales channel"),
    "component": _("Cost component"),
}
FILTER_ANY = {
    "reason": _("Any reason"),
    "return_reason": _("Any return reason"),
    # Money is never added across currencies: no choice is the store's own currency.
    "currency": _("Store currency"),
    "channel": _("Any sales channel"),
    "component": _("Every component"),
}
EXTRA_FILTERS = ("channel",)


def cut_label(measure: Measure, cut: str) -> str:
    return str(CUT_LABELS.get(cut) or cut.replace("_", " ").capitalize())


def _filter_choices(measure: Measure, name: str) -> list[tuple[str, str]]:
    if name in measure.cuts and name not in CUTS and measure.key_labels:
        return [(key, str(label)) for key, label in measure.key_labels.items()]
    if name == "reason":
        return list(CaseReason.choices)
    if name == "channel":
        return list(Order.Channel.choices)
    if name == "currency":
        return [(code, code) for code in CURRENCIES if code != settings.OMS_DEFAULT_CURRENCY]
    return []


def measure_filters(measure: Measure) -> tuple[str, ...]:
    """The filters the page offers for a measure."""
    names = [*measure.filter_names, *(name for name in EXTRA_FILTERS if name in measure.cuts)]
    return tuple(name for name in dict.fromkeys(names) if name in FILTER_LABELS)


def today() -> date:
    return timezone.localdate()


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def days_period(first: date, last: date) -> Period:
    """Whole days, first to last inclusive, in the console's time zone (end exclusive)."""
    return Period(start=_day_start(first), end=_day_start(last + timedelta(days=1)))


class PeriodForm(forms.Form):
    """Last 7, 30 or 90 days (today included), or custom dates. Presets are whole days, so a
    link made from a page (drill-down, CSV) covers exactly the rows the page counted."""

    period = forms.ChoiceField(label=_("Period"), choices=PERIOD_CHOICES, required=False)
    start = forms.DateField(label=_("From"), required=False)
    end = forms.DateField(label=_("To"), required=False)

    def clean(self):
        data = super().clean()
        choice = data.get("period") or str(DEFAULT_DAYS)
        data["period"] = choice
        if choice != "custom":
            last = today()
            data["first_day"] = last - timedelta(days=int(choice) - 1)
            data["last_day"] = last
            return data
        start, end = data.get("start"), data.get("end")
        if self.errors:
            return data
        if not start or not end:
            raise forms.ValidationError(_("Give both dates of a custom period."), code="required")
        if start > end:
            raise forms.ValidationError(_("The period starts after it ends."), code="order")
        if (end - start).days + 1 > MAX_CUSTOM_DAYS:
            raise forms.ValidationError(
                _("A period is at most %(days)s days long.") % {"days": MAX_CUSTOM_DAYS},
                code="too_long",
            )
        data["first_day"], data["last_day"] = start, end
        return data


@dataclass(frozen=True)
class Selection:
    """Everything a measure page, its drill-down and its CSV are computed from."""

    period: Period
    period_choice: str
    first_day: date
    last_day: date
    cut: str | None = None
    filters: dict[str, str] = field(default_factory=dict)

    def period_query(self) -> dict[str, str]:
        """The query string of the period alone (for another measure, or the overview)."""
        params: dict[str, str] = {"period": self.period_choice}
        if self.period_choice == "custom":
            params["start"] = self.first_day.isoformat()
            params["end"] = self.last_day.isoformat()
        return params

    def query(self, **extra) -> dict[str, str]:
        """The query string that reproduces this selection (plus `extra`), for links."""
        params = self.period_query()
        params["cut"] = self.cut or OVERALL
        params.update(self.filters)
        params.update({key: value for key, value in extra.items() if value is not None})
        return params


class MeasureForm(PeriodForm):
    """The period, plus the cut ("all" for none; `default_cut` when not given) and the filters
    that this measure supports."""

    cut = forms.ChoiceField(label=_("Cut by"), required=False)

    def __init__(self, *args, measure: Measure, default_cut: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.measure = measure
        self.default_cut = default_cut if default_cut in measure.cuts else None
        self.fields["cut"].choices = [(OVERALL, _("Overall"))] + [
            (cut, cut_label(measure, cut)) for cut in measure.cuts
        ]
        for name in measure_filters(measure):
            blank = FILTER_ANY[name]
            if name == "currency":
                blank = _("%(code)s (the store's)") % {"code": settings.OMS_DEFAULT_CURRENCY}
            self.fields[name] = forms.ChoiceField(
                label=FILTER_LABELS[name],
                choices=[("", blank), *_filter_choices(measure, name)],
                required=False,
            )


def selection_from(form: PeriodForm) -> Selection:
    """The selection of a valid form."""
    data = form.cleaned_data
    filters = {}
    cut = None
    if isinstance(form, MeasureForm):
        cut = data.get("cut") or form.default_cut or OVERALL
        cut = None if cut == OVERALL else cut
        filters = {name: data[name] for name in measure_filters(form.measure) if data.get(name)}
    return Selection(
        period=days_period(data["first_day"], data["last_day"]),
        period_choice=data["period"],
        first_day=data["first_day"],
        last_day=data["last_day"],
        cut=cut,
        filters=filters,
    )


def form_errors(form: forms.Form) -> list[str]:
    """Every error of a form as one flat list of sentences, field label first."""
    messages = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else None
        for error in errors:
            messages.append(f"{label}: {error}" if label else str(error))
    return messages


def filter_chips(form: MeasureForm, selection: Selection) -> list[tuple[str, str]]:
    """The filters in force, as (label, chosen value's label), for the page's summary line."""
    chips = []
    for name, value in selection.filters.items():
        choices = dict(form.fields[name].choices)
        chips.append((str(FILTER_LABELS[name]), str(choices.get(value, value))))
    return chips


def display_unit(measure: Measure, selection: Selection | None = None) -> str:
    """The unit the pages format a measure's values in: money names its currency (the
    currency filter's, else the store's)."""
    if not measure.unit.startswith("money"):
        return measure.unit
    currency = (selection.filters.get("currency") if selection else None) or (
        settings.OMS_DEFAULT_CURRENCY
    )
    return f"{measure.unit}:{currency}"
