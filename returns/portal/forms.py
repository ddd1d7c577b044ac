"""The portal's forms: the lookup, the code, and the return form built from the policy's answer
for one order (a quantity, reason, comment, photos and exchange variant per returnable line)."""

import re
import uuid

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from oms.exceptions import DomainError
from returns.models import Resolution
from returns.policy import OrderDecision, RequestedLine

# Messages for the codes the services raise where the customer reads them; a code without an
# entry shows the service's own message (already translated by the policy and the services).
MESSAGES = {
    "invalid_code": _("This code is not valid or has expired. Check the latest email we sent."),
    "too_many_attempts": _("Too many attempts. Please wait a few minutes and try again."),
}


class StartForm(forms.Form):
    """Order number and either the order's email or its shipping postal code."""

    IDENTIFY_BY = [("email", _("Email")), ("postal_code", _("Postal code"))]

    order_number = forms.CharField(
        label=_("Order number"),
        max_length=24,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "inputmode": "numeric", "placeholder": "100042"}
        ),
    )
    identify_by = forms.ChoiceField(
        label=_("Confirm with"),
        choices=IDENTIFY_BY,
        initial="email",
        widget=forms.RadioSelect,
    )
    email = forms.EmailField(
        label=_("Email used for the order"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    postal_code = forms.CharField(
        label=_("Shipping postal code"),
        required=False,
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code"}),
    )

    def clean(self):
        data = super().clean()
        by = data.get("identify_by") or "email"
        if by == "email" and not data.get("email"):
            if "email" not in self.errors:
                self.add_error("email", _("Enter the email address you ordered with."))
        elif by == "postal_code" and not (data.get("postal_code") or "").strip():
            self.add_error("postal_code", _("Enter the postal code the order was shipped to."))
        return data

    def identity(self) -> dict[str, str]:
        if self.cleaned_data.get("identify_by") == "postal_code":
            return {"postal_code": self.cleaned_data["postal_code"]}
        return {"email": self.cleaned_data["email"]}


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("6-digit code"),
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": r"[0-9 ]*",
                "placeholder": "123456",
                "class": "code-input",
            }
        ),
    )

    def clean_code(self) -> str:
        code = re.sub(r"\s", "", self.cleaned_data["code"])
        if not re.fullmatch(r"\d{6}", code):
            raise forms.ValidationError(_("The code has 6 digits."))
        return code


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several files in one input; the services check each one's type and size."""

    def __init__(self, **kwargs):
        accept = ",".join(settings.OMS_RETURN_PHOTO_TYPES)
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": accept}))
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [super(PhotosField, self).clean(file, initial) for file in files]


def add_domain_error(form: forms.Form, error: DomainError, fields: dict[str, str] | None = None):
    """Put a service's errors on the form: `lines[0].reason` (or `lines.0.reason`) on the
    field `fields` names for it, others on the form as a whole."""
    placed = False
    for item in error.errors:
        name = _field_for(item.get("field") or "", fields or {})
        message = str(MESSAGES.get(item.get("code") or "", item.get("message") or error.message))
        if name and name in form.fields:
            form.add_error(name, message)
            placed = True
        elif item.get("message"):
            form.add_error(None, message)
            placed = True
    if not placed:
        form.add_error(None, str(MESSAGES.get(error.code, error.message)))


LINE_FIELD = re.compile(r"^lines(?:\[(\d+)\]|\.(\d+))(?:\.(\w+))?")


def _field_for(field: str, fields: dict[str, str]) -> str | None:
    match = LINE_FIELD.match(field)
    if match:
        index = match.group(1) or match.group(2)
        return fields.get(f"{index}.{match.group(3) or 'quantity'}")
    return fields.get(field, field)


class ReturnForm(forms.Form):
    """What the customer asks for. Built from the policy's decision: only returnable lines get
    fields, reasons are the policy's, resolutions the ones offered for this order."""

    # The idempotency reference: a double submit or a retry creates one return, not two.
    form_token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, decision: OrderDecision, *args, variants=None, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("form_token", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
        self.decision = decision
        self.variants = variants or {}  # order line id -> [ExchangeOption]
        # Units returnable only under the withdrawal right go through the withdrawal button.
        self.returnable = [d for d in decision.lines if d.is_returnable and not d.is_statutory_only]
        reason_choices = [("", _("Choose a reason"))] + [
            (r.code, r.label) for r in decision.reasons
        ]
        for line in self.returnable:
            pk = line.order_line.pk
            self.fields[f"quantity_{pk}"] = forms.TypedChoiceField(
                label=_("Quantity to return"),
                choices=[(n, str(n)) for n in range(line.returnable_quantity + 1)],
                coerce=int,
                initial=0,
                required=False,
                empty_value=0,
            )
            self.fields[f"reason_{pk}"] = forms.ChoiceField(
                label=_("Reason"), choices=reason_choices, required=False
            )
            self.fields[f"comment_{pk}"] = forms.CharField(
                label=_("Comment (optional)"),
                required=False,
                max_length=1000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            options = self.variants.get(pk, [])
            self.fields[f"variant_{pk}"] = forms.TypedChoiceField(
                label=_("Exchange for"),
                choices=[("", _("Choose a variant"))] + [(o.pk, o.label) for o in options],
                coerce=int,
                required=False,
                empty_value=None,
            )
            self.fields[f"photos_{pk}"] = PhotosField(
                label=_("Photos"),
                help_text=_("Up to %(count)d photos (JPEG, PNG or WebP).")
                % {"count": settings.OMS_RETURN_PHOTOS_PER_LINE},
            )
            self.fields[f"photo_count_{pk}"] = forms.IntegerField(
                required=False, min_value=0, widget=forms.HiddenInput
            )
        self.fields["resolution"] = forms.ChoiceField(
            label=_("What would you like?"),
            choices=[(r, Resolution(r).label) for r in decision.resolutions],
            initial=decision.resolutions[0] if decision.resolutions else None,
            widget=forms.RadioSelect,
            error_messages={"required": _("Choose a refund, store credit or an exchange.")},
        )
        self.fields["instant_exchange"] = forms.BooleanField(required=False)

    @property
    def offers_instant_exchange(self) -> bool:
        return (
            self.decision.policy.offers_instant_exchange
            and Resolution.EXCHANGE in self.decision.resolutions
        )

    def line_rows(self) -> list[dict]:
        """One row per order line for the template: its decision and, if returnable, its fields."""
        rows = []
        for decision in self.decision.lines:
            pk = decision.order_line.pk
            has_fields = f"quantity_{pk}" in self.fields
            rows.append(
                {
                    "decision": decision,
                    "line": decision.order_line,
                    "quantity": self[f"quantity_{pk}"] if has_fields else None,
                    "quantities": range(1, decision.returnable_quantity + 1),
                    "reason": self[f"reason_{pk}"] if has_fields else None,
                    "comment": self[f"comment_{pk}"] if has_fields else None,
                    "variant": self[f"variant_{pk}"] if has_fields else None,
                    "photos": self[f"photos_{pk}"] if has_fields else None,
                    "photo_count": self[f"photo_count_{pk}"] if has_fields else None,
                    "variants": self.variants.get(pk, []),
                }
            )
        return rows

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        chosen = [d for d in self.returnable if data.get(f"quantity_{d.order_line.pk}")]
        if not chosen:
            raise forms.ValidationError(_("Choose at least one item to return."))
        for line in chosen:
            pk = line.order_line.pk
            if not data.get(f"reason_{pk}"):
                self.add_error(f"reason_{pk}", _("Tell us why you return this item."))
            if data.get("resolution") == Resolution.EXCHANGE and not data.get(f"variant_{pk}"):
                self.add_error(f"variant_{pk}", _("Choose the variant you want instead."))
        return data

    def photos(self) -> dict[int, list[UploadedFile]]:
        """The uploaded photos of the chosen lines, by order line id."""
        return {
            line.order_line_id: files
            for line in self.requested_lines()
            if (files := self.cleaned_data.get(f"photos_{line.order_line_id}"))
        }

    def requested_lines(self) -> list[RequestedLine]:
        """The chosen lines, in the order they appear (cleaned_data needed). The photo count is
        the files sent, or (the live estimate sends none) the count the page's script keeps."""
        data = self.cleaned_data
        resolution = data.get("resolution")
        lines = []
        for decision in self.returnable:
            pk = decision.order_line.pk
            quantity = data.get(f"quantity_{pk}") or 0
            if quantity <= 0:
                continue
            files = data.get(f"photos_{pk}") or []
            lines.append(
                RequestedLine(
                    order_line_id=pk,
                    quantity=quantity,
                    reason=data.get(f"reason_{pk}") or "",
                    comment=data.get(f"comment_{pk}") or "",
                    exchange_variant_id=(
                        data.get(f"variant_{pk}") if resolution == Resolution.EXCHANGE else None
                    ),
                    photo_count=len(files) or data.get(f"photo_count_{pk}") or 0,
                )
            )
        return lines

    def error_fields(self, lines: list[RequestedLine]) -> dict[str, str]:
        """Where each service error about `lines[i]` goes on this form."""
        fields = {"resolution": "resolution", "is_instant_exchange": "instant_exchange"}
        for index, line in enumerate(lines):
            pk = line.order_line_id
            fields |= {
                f"{index}.quantity": f"quantity_{pk}",
                f"{index}.order_line_id": f"quantity_{pk}",
                f"{index}.reason": f"reason_{pk}",
                f"{index}.comment": f"comment_{pk}",
                f"{index}.exchange_variant_id": f"variant_{pk}",
                f"{index}.photos": f"photos_{pk}",
            }
        return fields


class WithdrawalForm(forms.Form):
    """The statutory withdrawal: how many units of each withdrawable line, no reason needed."""

    form_token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, decision: OrderDecision, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("form_token", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
        self.decision = decision
        self.withdrawable = [d for d in decision.lines if d.is_withdrawable]
        for line in self.withdrawable:
            pk = line.order_line.pk
            self.fields[f"quantity_{pk}"] = forms.TypedChoiceField(
                label=_("Quantity"),
                choices=[(n, str(n)) for n in range(line.returnable_quantity + 1)],
                coerce=int,
                initial=line.returnable_quantity,
                required=False,
                empty_value=0,
            )

    def line_rows(self) -> list[dict]:
        return [
            {"decision": d, "line": d.order_line, "quantity": self[f"quantity_{d.order_line.pk}"]}
            for d in self.withdrawable
        ]

    def clean(self):
        data = super().clean()
        if not self.errors and not any(
            data.get(f"quantity_{d.order_line.pk}") for d in self.withdrawable
        ):
            raise forms.ValidationError(_("Choose at least one item to withdraw from."))
        return data

    def requested_lines(self) -> list[RequestedLine]:
        return [
            RequestedLine(order_line_id=d.order_line.pk, quantity=quantity)
            for d in self.withdrawable
            if (quantity := self.cleaned_data.get(f"quantity_{d.order_line.pk}") or 0) > 0
        ]

    def error_fields(self, lines: list[RequestedLine]) -> dict[str, str]:
        fields: dict[str, str] = {}
        for index, line in enumerate(lines):
            fields[f"{index}.quantity"] = f"quantity_{line.order_line_id}"
            fields[f"{index}.order_line_id"] = f"quantity_{line.order_line_id}"
        return fields
