"""The CSR console's data: support cases (customer contacts) with their timeline, the authority
matrix that says how much a role may give back on its own, and the approval requests raised
above it."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from oms.actors import ActorFields
from orders.money import CURRENCIES, money_field_kwargs


class Role(models.TextChoices):
    """Console roles, one Django group each (created by migration 0002). Superusers are admins."""

    AGENT = "agent", _("Agent")
    SUPERVISOR = "supervisor", _("Supervisor")
    ADMIN = "admin", pgettext_lazy("console role", "Admin")


class ActionKind(models.TextChoices):
    """Money-moving actions the authority matrix governs."""

    PRICE_ADJUSTMENT = "price_adjustment", _("Price adjustment")
    GOODWILL_CREDIT = "goodwill_credit", _("Goodwill credit")
    REFUND = "refund", _("Refund")
    RESHIP = "reship", _("Reship or replacement")
    FEE_WAIVER = "fee_waiver", _("Fee waiver")


class CaseChannel(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")
    CHAT = "chat", _("Chat")
    PORTAL = "portal", _("Portal")


class CaseReason(models.TextChoices):
    WHERE_IS_MY_ORDER = "wismo", _("Where is my order")
    DELAY = "delay", _("Delay")
    DAMAGED = "damaged", _("Damaged item")
    WRONG_ITEM = "wrong_item", _("Wrong item")
    MISSING_ITEM = "missing_item", _("Missing item")
    RETURN_EXCHANGE = "return_exchange", _("Return or exchange")
    CHANGE_ORDER = "change_order", _("Change order")
    CANCEL = "cancel", _("Cancel")
    BILLING_REFUND = "billing_refund", _("Billing or refund")
    PRODUCT_QUESTION = "product_question", _("Product question")
    OTHER = "other", _("Other")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    WAITING_ON_CUSTOMER = "waiting", _("Waiting on customer")
    RESOLVED = "resolved", _("Resolved")


class Case(models.Model):
    """A customer contact and everything done about it. Further contacts about the same case
    increase `contact_count`; first-contact resolution is derived (support.selectors.cases)."""

    Channel = CaseChannel
    Reason = CaseReason
    Status = CaseStatus

    customer = models.ForeignKey(
        "orders.Customer", on_delete=models.PROTECT, related_name="support_cases"
    )
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    shipment = models.ForeignKey(
        "orders.Shipment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=8, choices=CaseChannel.choices)
    reason = models.CharField(_("reason"), max_length=20, choices=CaseReason.choices)
    subject = models.CharField(_("subject"), max_length=200)
    status = models.CharField(
        _("status"), max_length=8, choices=CaseStatus.choices, default=CaseStatus.OPEN
    )
    contact_count = models.PositiveSmallIntegerField(_("contacts"), default=1)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(_("opened"))
    last_contact_at = models.DateTimeField(_("last contact"))
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    csat_sent_at = models.DateTimeField(_("survey sent"), null=True, blank=True)
    csat_score = models.PositiveSmallIntegerField(_("satisfaction"), null=True, blank=True)
    csat_comment = models.TextField(_("satisfaction comment"), blank=True)
    csat_answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("support case")
        verbose_name_plural = _("support cases")
        ordering = ["-opened_at", "-id"]
        permissions = [
            ("use_console", "Can use the CSR console"),
            ("act_on_orders", "Can cancel, hold, release, modify orders and resend messages"),
            ("adjust_prices", "Can request price adjustments, goodwill credit and fee waivers"),
            ("reship", "Can send replacements"),
            ("place_orders", "Can place orders for customers"),
            ("approve_requests", "Can approve or reject requests above a rep's authority"),
            ("view_insights", "Can see insights dashboards"),
            ("review_returns", "Can approve or reject returns that need a review"),
            ("receive_returns", "Can receive and inspect returned parcels"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=CaseStatus.values), name="case_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(csat_score__isnull=True) | Q(csat_score__gte=1, csat_score__lte=5),
                name="case_csat_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(status=CaseStatus.RESOLVED, resolved_at__isnull=False)
                | (~Q(status=CaseStatus.RESOLVED) & Q(resolved_at__isnull=True)),
                name="case_resolved_at_with_status",
            ),
        ]
        indexes = [
            # The open-cases queue, oldest first.
            models.Index(
                fields=["opened_at"], condition=~Q(status="resolved"), name="case_open_idx"
            ),
            models.Index(fields=["customer", "-opened_at"], name="case_customer_idx"),
            models.Index(fields=["order", "opened_at"], name="case_order_idx"),
            # Insights: contacts opened in a period.
            models.Index(fields=["opened_at"], name="case_opened_idx"),
            models.Index(fields=["reason", "opened_at"], name="case_reason_idx"),
        ]

    def __str__(self) -> str:
        return f"C-{self.pk}"

    @property
    def reference(self) -> str:
        return f"C-{self.pk}"


class CaseEvent(ActorFields):
    """The case timeline: opened, notes, further contacts, status changes, and every console
    action taken from the case (with the order it touched)."""

    class Type(models.TextChoices):
        OPENED = "opened", _("Case opened")
        NOTE = "note", _("Note")
        CONTACT = "contact", _("Customer contacted again")
        STATUS = "status", _("Status changed")
        ACTION = "action", _("Action taken")
        SURVEY_SENT = "survey_sent", _("Satisfaction survey sent")
        SURVEY_ANSWERED = "survey_answered", _("Satisfaction survey answered")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=16, choices=Type.choices)
    text = models.TextField(blank=True)
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["case", "created_at"], name="caseevent_case_idx"),
            # Insights: further contacts logged in a period.
            models.Index(
                fields=["created_at"], condition=Q(type="contact"), name="caseevent_contact_idx"
            ),
        ]


class AuthorityRule(models.Model):
    """One cell of the authority matrix: up to how much a role may do one kind of action on its
    own, per action and in total on one order. No rule means no authority: it needs approval."""

    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    action = models.CharField(_("action"), max_length=24, choices=ActionKind.choices)
    currency = models.CharField(_("currency"), max_length=3, choices=[(c, c) for c in CURRENCIES])
    max_amount = models.DecimalField(_("limit per action"), **money_field_kwargs())
    per_order_cap = models.DecimalField(_("limit per order"), **money_field_kwargs())

    class Meta:
        verbose_name = _("authority rule")
        verbose_name_plural = _("authority matrix")
        ordering = ["role", "action", "currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["role", "action", "currency"], name="authorityrule_unique"
            ),
            models.CheckConstraint(
                condition=Q(max_amount__gte=0) & Q(per_order_cap__gte=0),
                name="authorityrule_amounts_gte_0",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role} {self.action} ≤ {self.max_amount} {self.currency}"


class ApprovalRequest(models.Model):
    """An action above the requester's authority, waiting for a supervisor. `payload` holds the
    action's parameters so approval applies exactly what was asked; nothing changes before."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")
        FAILED = "failed", _("Approved, but could not be applied")

    action = models.CharField(_("action"), max_length=24, choices=ActionKind.choices)
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="approval_requests"
    )
    amount = models.DecimalField(_("amount"), **money_field_kwargs())
    currency = models.CharField(_("currency"), max_length=3)
    payload = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    reason_code = models.CharField(_("reason"), max_length=24)
    note = models.TextField(_("note"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    # Why an approved request could not be applied (e.g. the order shipped meanwhile).
    failure = models.CharField(max_length=255, blank=True)

    class Meta:
        verbose_name = _("approval request")
        verbose_name_plural = _("approval requests")
        ordering = ["requested_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="approval_amount_gt_0"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "approved", "rejected", "cancelled", "failed"]),
                name="approval_status_valid",
            ),
            # Nobody approves their own request: the database refuses it too.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("requested_by")),
                name="approval_not_self_decided",
            ),
        ]
        indexes = [
            models.Index(
                fields=["requested_at"], condition=Q(status="pending"), name="approval_pending_idx"
            ),
            models.Index(fields=["order", "status"], name="approval_order_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.amount} {self.currency} ({self.status})"
