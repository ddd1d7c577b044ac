"""Order edits through the API: preview an edit (new totals and the payment difference, nothing
written), then apply it with the previewed total, as the console does (orders.services.edits)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from oms.api.idempotency import idempotent
from oms.models import Scope
from orders import selectors
from orders.api import inputs
from orders.api.serializers import MoneyField, OrderDetailOutput
from orders.api.views import (
    ERRORS,
    IDEMPOTENCY_HEADER,
    PROBLEM,
    actor_for,
    order_detail_response,
)
from orders.models import Order
from orders.services.edits import EditPreview, OrderEdit, apply_order_edit, preview_order_edit


class QuantityChange(serializers.Serializer):
    line_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    quantity = serializers.IntegerField(
        min_value=0, max_value=inputs.MAX_QUANTITY, help_text="Units wanted; 0 cancels the rest."
    )


class LineAddition(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    quantity = serializers.IntegerField(min_value=1, max_value=inputs.MAX_QUANTITY)


class LineSwap(serializers.Serializer):
    line_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    sku = serializers.CharField(max_length=64, help_text="The variant that replaces the line.")


class EditInput(serializers.Serializer):
    shipping_address = inputs.AddressInput(required=False)
    quantities = QuantityChange(many=True, required=False, max_length=inputs.MAX_LINES)
    add_lines = LineAddition(many=True, required=False, max_length=inputs.MAX_LINES)
    swap_lines = LineSwap(many=True, required=False, max_length=inputs.MAX_LINES)
    shipping_method = serializers.ChoiceField(choices=Order.ShippingMethod.choices, required=False)

    def to_edit(self) -> OrderEdit:
        values = self.validated_data
        return OrderEdit(
            address=dict(values["shipping_address"]) if "shipping_address" in values else None,
            quantities={i["line_id"]: i["quantity"] for i in values.get("quantities", [])},
            additions=[(i["sku"], i["quantity"]) for i in values.get("add_lines", [])],
            swaps=[(i["line_id"], i["sku"]) for i in values.get("swap_lines", [])],
            shipping_method=values.get("shipping_method"),
        )


class ApplyEditInput(EditInput):
    reason = serializers.CharField(max_length=255)
    expected_total = inputs.money_input(
        required=False,
        help_text="The new total the preview showed; if the order has changed since, 409.",
    )


class TotalsOutput(serializers.Serializer):
    subtotal = MoneyField()
    discount_total = MoneyField()
    shipping_total = MoneyField()
    total = MoneyField()


class LineChangeOutput(serializers.Serializer):
    line_id = serializers.IntegerField(allow_null=True)
    line_number = serializers.IntegerField()
    sku = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    quantity_before = serializers.IntegerField()
    quantity_after = serializers.IntegerField()
    amount_before = MoneyField()
    amount_after = MoneyField()
    replaces_sku = serializers.CharField()


class EditPreviewOutput(serializers.Serializer):
    order_number = serializers.CharField()
    currency = serializers.CharField()
    current = TotalsOutput()
    new = TotalsOutput()
    lines = LineChangeOutput(many=True)
    difference = MoneyField()
    difference_kind = serializers.ChoiceField(
        choices=["charge", "refund", "lower_amount_due", "none"]
    )
    refund_amount = MoneyField()
    authorization_increase = MoneyField()
    shipping_method = serializers.CharField()
    shipping_price = MoneyField()
    promised_delivery_date = serializers.DateField(allow_null=True)


def preview_response(preview: EditPreview) -> Response:
    return Response(EditPreviewOutput(preview, context={"currency": preview.currency}).data)


class OrderEditPreviewApi(APIView):
    required_scopes = {"POST": [Scope.ORDERS_READ]}

    @extend_schema(
        request=EditInput,
        responses={200: EditPreviewOutput, **ERRORS},
        summary="Preview an edit before shipment: new totals and the payment difference",
        description="Nothing is written. Apply the edit with POST .../edits/ and the previewed "
        "`new.total` as `expected_total`.",
    )
    def post(self, request, number: str):
        data = EditInput(data=request.data)
        data.is_valid(raise_exception=True)
        order = selectors.get_order(number)
        return preview_response(preview_order_edit(order=order, edit=data.to_edit()))


class OrderEditApi(APIView):
    required_scopes = {"POST": [Scope.ORDERS_WRITE]}

    @extend_schema(
        request=ApplyEditInput,
        parameters=[IDEMPOTENCY_HEADER],
        responses={200: OrderDetailOutput, 402: PROBLEM, **ERRORS, 422: PROBLEM},
        summary="Modify an order before shipment (address, quantities, lines, shipping method)",
        description="A higher total first raises the card authorization (402 if declined, "
        "nothing changed); a lower one is captured less, or refunded if already captured.",
    )
    @idempotent
    def post(self, request, number: str):
        data = ApplyEditInput(data=request.data)
        data.is_valid(raise_exception=True)
        order = selectors.get_order(number)
        apply_order_edit(
            order=order,
            edit=data.to_edit(),
            actor=actor_for(request),
            reason=data.validated_data["reason"],
            expected_total=data.validated_data.get("expected_total"),
        )
        return order_detail_response(number)
