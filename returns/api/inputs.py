"""Input shapes shared by several returns API views, and the translation of an API body into
what the policy engine and the services take (order lines named by number or SKU become
RequestedLine; return lines named by id or SKU become ids). The rules stay in returns.policy
and returns.services; this module only says which line the client meant."""

import re

from drf_spectacular.drainage import set_override
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers

from oms.exceptions import DomainError
from orders.models import Order, OrderLine, Variant
from returns.api.serializers import (
    condition_field,
    disposition_field,
    reason_field,
    resolution_field,
)
from returns.models import ReturnLine, ReturnRequest
from returns.policy import RequestedLine

MAX_LINES = 200
MAX_QUANTITY = 10_000
MAX_ID = 2**63 - 1

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="A unique key per logical request; retries with the same key and body replay "
    "the first response.",
)
# The same shape as the order API's problem (oms.api.problems, declared in orders.api.views,
# which returns may not import): drf-spectacular keeps the first "Problem" component it meets,
# so the two declarations must stay identical.
PROBLEM = inline_serializer(
    "Problem",
    {
        "type": serializers.CharField(),
        "title": serializers.CharField(),
        "status": serializers.IntegerField(),
        "code": serializers.CharField(),
        "detail": serializers.CharField(),
        "errors": serializers.ListField(child=serializers.DictField(), required=False),
    },
)
set_override(type(PROBLEM), "suppress_collision_warning", True)
ERRORS = {400: PROBLEM, 401: PROBLEM, 403: PROBLEM, 404: PROBLEM, 409: PROBLEM}


class ReturnNotAcceptable(DomainError):
    """The body is well formed but the return it describes cannot be accepted for this order
    (the policy refuses it, or it names lines the order does not have): 422 with field errors."""

    status = 422
    default_code = "return_not_acceptable"
    title = "The return cannot be accepted"


class OrderLineRefInput(serializers.Serializer):
    """One order line, named by its number on the order or by its SKU."""

    line_number = serializers.IntegerField(
        min_value=1, max_value=32767, required=False, help_text="The order line's number."
    )
    sku = serializers.CharField(
        max_length=64, required=False, help_text="Or the SKU, when the order has one line of it."
    )

    def validate(self, attrs):
        if "line_number" not in attrs and not attrs.get("sku"):
            raise serializers.ValidationError(
                {"line_number": "Name the order line by line_number or sku."}, code="required"
            )
        return attrs


class ReturnLineInput(OrderLineRefInput):
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)
    reason = reason_field(
        required=False, help_text="Required unless the return is a statutory withdrawal."
    )
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    exchange_sku = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        default="",
        help_text="Exchanges: the variant the customer wants instead.",
    )


class ReturnProposalInput(serializers.Serializer):
    """A proposed return: what the portal's form asks, as JSON."""

    order = serializers.CharField(max_length=64, help_text="The order's number.")
    resolution = resolution_field()
    lines = ReturnLineInput(many=True, allow_empty=False, max_length=MAX_LINES)
    is_withdrawal = serializers.BooleanField(
        default=False, help_text="Exercise the statutory right of withdrawal (no reason needed)."
    )


def field_path(field: str) -> str:
    """Services name fields like `lines[0].quantity`; the API's errors say lines.0.quantity."""
    return re.sub(r"\[(\d+)\]", r".\1", field).lstrip(".")


# What the services call a line's fields, as the API body names them.
RENAMED_FIELDS = {"exchange_variant_id": "exchange_sku"}
LINE_FIELD = re.compile(r"^lines\.(\d+)\.(\w+)$")


def api_errors(
    errors: list[dict], *, lines: list[dict] | None = None, id_field: str = ""
) -> list[dict[str, str]]:
    """A service's field errors as paths into the API body: `lines[0].order_line_id` becomes
    lines.0.line_number (or lines.0.sku, whichever the client used to name the line)."""
    result = []
    for error in errors:
        field = field_path(str(error.get("field", "")))
        match = LINE_FIELD.match(field)
        if match:
            index, name = int(match.group(1)), match.group(2)
            if name == id_field and lines is not None and index < len(lines):
                name = next((key for key in lines[index] if key in LINE_REFS), name)
            field = f"lines.{index}.{RENAMED_FIELDS.get(name, name)}"
        result.append(
            {
                "field": field,
                "code": str(error.get("code", "invalid")),
                "message": str(error.get("message", "")),
            }
        )
    return result


LINE_REFS = ("line_number", "line_id", "sku")


def _resolve_order_line(
    ref: dict, lines: list[OrderLine], index: int, errors: list
) -> OrderLine | None:
    if "line_number" in ref:
        found = [line for line in lines if line.line_number == ref["line_number"]]
        if not found:
            errors.append(
                {
                    "field": f"lines.{index}.line_number",
                    "code": "unknown_line",
                    "message": f"The order has no line {ref['line_number']}.",
                }
            )
            return None
        if ref.get("sku") and found[0].sku != ref["sku"]:
            errors.append(
                {
                    "field": f"lines.{index}.sku",
                    "code": "sku_mismatch",
                    "message": f"Line {ref['line_number']} is {found[0].sku}, not {ref['sku']}.",
                }
            )
            return None
        return found[0]
    found = [line for line in lines if line.sku == ref["sku"]]
    if len(found) != 1:
        errors.append(
            {
                "field": f"lines.{index}.sku",
                "code": "unknown_line" if not found else "ambiguous_sku",
                "message": (
                    f"The order has no line with SKU {ref['sku']}."
                    if not found
                    else f"The order has several lines of {ref['sku']}: name it by line_number."
                ),
            }
        )
        return None
    return found[0]


def requested_lines(order: Order, lines: list[dict]) -> list[RequestedLine]:
    """The API's lines as the policy engine takes them, in the same order (so the estimate's
    `lines[i]` errors point at the client's `lines.i`). Lines the order does not have, the
    same line twice and unknown exchange SKUs are refused together, with their paths."""
    order_lines = list(order.lines.all())
    skus = {line["exchange_sku"] for line in lines if line["exchange_sku"]}
    variants = {v.sku: v for v in Variant.objects.filter(sku__in=skus)} if skus else {}
    errors: list[dict[str, str]] = []
    result: list[RequestedLine] = []
    seen: set[int] = set()
    for index, line in enumerate(lines):
        order_line = _resolve_order_line(line, order_lines, index, errors)
        variant = variants.get(line["exchange_sku"]) if line["exchange_sku"] else None
        if line["exchange_sku"] and variant is None:
            errors.append(
                {
                    "field": f"lines.{index}.exchange_sku",
                    "code": "unknown_sku",
                    "message": f"There is no variant {line['exchange_sku']}.",
                }
            )
        if order_line is None:
            continue
        if order_line.pk in seen:
            errors.append(
                {
                    "field": f"lines.{index}",
                    "code": "duplicate_line",
                    "message": f"Line {order_line.line_number} is named twice.",
                }
            )
            continue
        seen.add(order_line.pk)
        result.append(
            RequestedLine(
                order_line_id=order_line.pk,
                quantity=line["quantity"],
                reason=line.get("reason", ""),
                comment=line["comment"],
                exchange_variant_id=variant.pk if variant else None,
            )
        )
    if errors:
        raise ReturnNotAcceptable(
            "Some lines do not match the order.", code="invalid_return_lines", errors=errors
        )
    return result


class ReturnLineRefInput(serializers.Serializer):
    """One line of the return, named by its id (`lines[].id` of the return) or by its SKU."""

    line_id = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="The return line's id."
    )
    sku = serializers.CharField(max_length=64, required=False, help_text="Or the SKU.")

    def validate(self, attrs):
        if "line_id" not in attrs and not attrs.get("sku"):
            raise serializers.ValidationError(
                {"line_id": "Name the return line by line_id or sku."}, code="required"
            )
        return attrs


class ReceiveLineInput(ReturnLineRefInput):
    quantity = serializers.IntegerField(
        min_value=1, max_value=MAX_QUANTITY, help_text="Units that arrived in the parcel."
    )
    condition = condition_field()


class InspectLineInput(ReturnLineRefInput):
    disposition = disposition_field()


def return_line_ids(return_request: ReturnRequest, lines: list[dict]) -> list[int]:
    """The return line each API line names, in the same order; unknown or repeated lines are
    refused together (422), before any service runs."""
    return_lines = list(
        ReturnLine.objects.filter(return_request=return_request).select_related("order_line")
    )
    errors: list[dict[str, str]] = []
    ids: list[int] = []
    for index, ref in enumerate(lines):
        if "line_id" in ref:
            found = [line for line in return_lines if line.pk == ref["line_id"]]
            field, name = f"lines.{index}.line_id", str(ref["line_id"])
        else:
            found = [line for line in return_lines if line.order_line.sku == ref["sku"]]
            field, name = f"lines.{index}.sku", ref["sku"]
        if len(found) != 1:
            errors.append(
                {
                    "field": field,
                    "code": "unknown_line" if not found else "ambiguous_sku",
                    "message": f"Return {return_request.rma} has no line {name}."
                    if not found
                    else f"Return {return_request.rma} has several lines of {name}.",
                }
            )
        elif found[0].pk in ids:
            errors.append(
                {
                    "field": f"lines.{index}",
                    "code": "duplicate_line",
                    "message": f"Line {name} is named twice.",
                }
            )
        else:
            ids.append(found[0].pk)
    if errors:
        raise ReturnNotAcceptable(
            "Some lines are not in this return.", code="invalid_return_lines", errors=errors
        )
    return ids


class ReturnDecisionReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=255, help_text="Sent to the customer.")


class ReturnOptionalReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
