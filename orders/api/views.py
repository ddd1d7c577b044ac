"""Order-core API views, one per use case. They parse input, call one service or selector and
shape the output; rules live in orders.services."""

from decimal import Decimal

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from oms.actors import Actor
from oms.api.idempotency import idempotent
from oms.models import Scope
from orders import selectors, services
from orders.api import inputs
from orders.api.serializers import (
    CustomerDetailOutput,
    CustomerOutput,
    OrderDetailOutput,
    OrderSummaryOutput,
    ProductOutput,
    ShipmentOutput,
    StockOutput,
    VariantOutput,
    WarehouseOutput,
)
from orders.models import Order, Shipment, TrackingEvent, Warehouse

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="A unique key per logical request; retries with the same key and body replay "
    "the first response.",
)
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
ERRORS = {400: PROBLEM, 401: PROBLEM, 403: PROBLEM, 404: PROBLEM, 409: PROBLEM}


def actor_for(request) -> Actor:
    return Actor.for_api_client(request.auth)


def order_detail_response(number: str, status_code: int = 200) -> Response:
    return Response(OrderDetailOutput(selectors.get_order_detail(number)).data, status=status_code)


class OrderListCreateApi(GenericAPIView):
    required_scopes = {"GET": [Scope.ORDERS_READ], "POST": [Scope.ORDERS_WRITE]}

    class FilterInput(serializers.Serializer):
        status = serializers.ChoiceField(choices=Order.Status.choices, required=False)
        channel = serializers.ChoiceField(choices=Order.Channel.choices, required=False)
        email = serializers.EmailField(required=False)
        customer_id = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
        created_after = serializers.DateTimeField(required=False)
        created_before = serializers.DateTimeField(required=False)
        warehouse = serializers.CharField(required=False, max_length=16)
        external_reference = serializers.CharField(required=False, max_length=64)

    class CreateInput(serializers.Serializer):
        channel = serializers.ChoiceField(choices=inputs.API_CHANNELS, default=Order.Channel.API)
        external_reference = serializers.CharField(
            max_length=64, required=False, allow_blank=True, default=""
        )
        customer = inputs.CustomerInput()
        shipping_address = inputs.AddressInput()
        billing_address = inputs.AddressInput(required=False)
        shipping_method = serializers.ChoiceField(
            choices=Order.ShippingMethod.choices, default=Order.ShippingMethod.STANDARD
        )
        shipping_price = inputs.money_input(default=Decimal(0))
        currency = serializers.RegexField(
            r"^[A-Z]{3}$",
            max_length=3,
            default=settings.OMS_DEFAULT_CURRENCY,
            error_messages={"invalid": "Use an ISO 4217 code."},
        )
        lines = inputs.LineInput(many=True, allow_empty=False, max_length=inputs.MAX_LINES)
        promised_delivery_date = serializers.DateField(required=False)
        payment = inputs.PaymentInput(required=False)
        note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

    @extend_schema(
        operation_id="orders_list",
        parameters=[FilterInput],
        responses={200: OrderSummaryOutput(many=True), 400: PROBLEM},
        summary="List orders, newest first (cursor pagination)",
    )
    def get(self, request):
        filters = self.FilterInput(data=request.query_params)
        filters.is_valid(raise_exception=True)
        queryset = selectors.list_orders(**filters.validated_data)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(OrderSummaryOutput(page, many=True).data)

    @extend_schema(
        operation_id="orders_create",
        parameters=[IDEMPOTENCY_HEADER],
        request=CreateInput,
        responses={201: OrderDetailOutput, 402: PROBLEM, 422: PROBLEM, 503: PROBLEM, **ERRORS},
        summary="Place an order: allocate stock, authorize payment, confirm",
    )
    @idempotent
    def post(self, request):
        data = self.CreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        order = services.place_order(
            data=build_order_input(data.validated_data), actor=actor_for(request)
        )
        return order_detail_response(order.number, status.HTTP_201_CREATED)


def build_order_input(values: dict) -> services.OrderInput:
    payment = values.get("payment")
    return services.OrderInput(
        channel=values["channel"],
        external_reference=values["external_reference"],
        customer=services.CustomerInput(**values["customer"]),
        shipping_address=dict(values["shipping_address"]),
        billing_address=dict(values["billing_address"]) if values.get("billing_address") else None,
        shipping_method=values["shipping_method"],
        shipping_price=values["shipping_price"],
        currency=values["currency"],
        lines=[services.LineInput(**line) for line in values["lines"]],
        promised_delivery_date=values.get("promised_delivery_date"),
        payment=services.PaymentInput(**payment) if payment else None,
        note=values["note"],
    )


class OrderDetailApi(APIView):
    required_scopes = {"GET": [Scope.ORDERS_READ]}

    @extend_schema(
        responses={200: OrderDetailOutput, 404: PROBLEM},
        summary="An order with lines, payments, shipments and timeline",
    )
    def get(self, request, number: str):
        return order_detail_response(number)


class OrderCancelApi(APIView):
    required_scopes = {"POST": [Scope.ORDERS_WRITE]}

    class CancelInput(inputs.ReasonInput):
        lines = inputs.LineQuantityInput(
            many=True,
            required=False,
            allow_empty=False,
            max_length=inputs.MAX_LINES,
            help_text="Omit to cancel the whole order.",
        )

    @extend_schema(
        request=CancelInput,
        parameters=[IDEMPOTENCY_HEADER],
        responses={200: OrderDetailOutput, **ERRORS, 422: PROBLEM},
        summary="Cancel the whole order, or units of single lines, before shipment",
    )
    @idempotent
    def post(self, request, number: str):
        data = self.CancelInput(data=request.data)
        data.is_valid(raise_exception=True)
        order = selectors.get_order(number)
        values = data.validated_data
        if values.get("lines"):
            services.cancel_lines(
                order=order,
                actor=actor_for(request),
                reason=values["reason"],
                lines=[(i["line_id"], i["quantity"]) for i in values["lines"]],
            )
        else:
            services.cancel_order(order=order, actor=actor_for(request), reason=values["reason"])
        return order_detail_response(number)


class OrderHoldApi(APIView):
    required_scopes = {"POST": [Scope.ORDERS_WRITE]}

    @extend_schema(
        request=inputs.ReasonInput,
        responses={200: OrderDetailOutput, **ERRORS},
        summary="Put an order on hold: fulfilment stops until released",
    )
    def post(self, request, number: str):
        data = inputs.ReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.hold_order(
            order=selectors.get_order(number),
            actor=actor_for(request),
            reason=data.validated_data["reason"],
        )
        return order_detail_response(number)


class OrderReleaseApi(APIView):
    required_scopes = {"POST": [Scope.ORDERS_WRITE]}

    class ReleaseInput(serializers.Serializer):
        reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")

    @extend_schema(
        request=ReleaseInput,
        responses={200: OrderDetailOutput, **ERRORS},
        summary="Release a held order",
    )
    def post(self, request, number: str):
        data = self.ReleaseInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.release_order(
            order=selectors.get_order(number),
            actor=actor_for(request),
            reason=data.validated_data["reason"],
        )
        return order_detail_response(number)


class OrderShipmentCreateApi(APIView):
    required_scopes = {"POST": [Scope.SHIPMENTS_WRITE]}

    class SplitInput(serializers.Serializer):
        warehouse = serializers.CharField(max_length=16)
        lines = inputs.LineQuantityInput(many=True, allow_empty=False, max_length=inputs.MAX_LINES)

    @extend_schema(
        request=SplitInput,
        responses={201: ShipmentOutput, **ERRORS},
        summary="Create a parcel from units waiting at one warehouse (split shipment)",
    )
    def post(self, request, number: str):
        data = self.SplitInput(data=request.data)
        data.is_valid(raise_exception=True)
        shipment = services.split_shipment(
            order=selectors.get_order(number),
            warehouse_code=data.validated_data["warehouse"],
            lines=[(i["line_id"], i["quantity"]) for i in data.validated_data["lines"]],
            actor=actor_for(request),
        )
        return Response(
            ShipmentOutput(selectors.get_shipment_detail(shipment.number)).data,
            status=status.HTTP_201_CREATED,
        )


class ShipmentDetailApi(APIView):
    required_scopes = {"GET": [Scope.ORDERS_READ]}

    @extend_schema(responses={200: ShipmentOutput, 404: PROBLEM}, summary="A shipment")
    def get(self, request, number: str):
        return Response(ShipmentOutput(selectors.get_shipment_detail(number)).data)


class ShipmentAdvanceApi(APIView):
    """Warehouse steps: picking, packed."""

    required_scopes = {"POST": [Scope.SHIPMENTS_WRITE]}
    target_status = ""

    @extend_schema(request=None, responses={200: ShipmentOutput, **ERRORS})
    def post(self, request, number: str):
        services.advance_shipment(
            shipment=selectors.get_shipment_detail(number),
            status=self.target_status,
            actor=actor_for(request),
        )
        return Response(ShipmentOutput(selectors.get_shipment_detail(number)).data)


class ShipmentPickApi(ShipmentAdvanceApi):
    target_status = Shipment.Status.PICKING


class ShipmentPackApi(ShipmentAdvanceApi):
    target_status = Shipment.Status.PACKED


class ShipmentShipApi(APIView):
    required_scopes = {"POST": [Scope.SHIPMENTS_WRITE]}

    class ShipInput(serializers.Serializer):
        carrier = serializers.CharField(max_length=32)
        service = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
        tracking_number = serializers.CharField(max_length=64)

    @extend_schema(
        request=ShipInput,
        responses={200: ShipmentOutput, **ERRORS},
        summary="Hand the parcel to the carrier (captures payment for what shipped)",
    )
    def post(self, request, number: str):
        data = self.ShipInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.ship_shipment(
            shipment=selectors.get_shipment_detail(number),
            actor=actor_for(request),
            **data.validated_data,
        )
        return Response(ShipmentOutput(selectors.get_shipment_detail(number)).data)


class TrackingEventCreateApi(APIView):
    """Carrier scans are stored at once and applied by a worker: the carrier gets its answer
    without waiting for the order's lock, and a burst of scans never slows the API down."""

    required_scopes = {"POST": [Scope.TRACKING_WRITE]}

    class TrackingInput(serializers.Serializer):
        carrier = serializers.CharField(max_length=32)
        tracking_number = serializers.CharField(max_length=64)
        event_id = serializers.CharField(
            max_length=128, help_text="The carrier's id for this scan."
        )
        status = serializers.ChoiceField(choices=TrackingEvent.Status.choices)
        occurred_at = serializers.DateTimeField()
        location = serializers.CharField(
            max_length=128, required=False, allow_blank=True, default=""
        )
        description = serializers.CharField(
            max_length=255, required=False, allow_blank=True, default=""
        )

    class TrackingEventAcceptedOutput(serializers.Serializer):
        id = serializers.IntegerField(help_text="The stored scan's id.")
        status = serializers.SerializerMethodField(
            help_text="accepted: stored, a worker applies it to the shipment shortly; "
            "applied: the shipment and the order reflect it."
        )
        shipment = serializers.CharField(source="shipment.number", help_text="Shipment number.")
        carrier = serializers.CharField()
        event_id = serializers.CharField(source="carrier_event_id")
        carrier_status = serializers.CharField(source="status", help_text="The scan's status.")
        occurred_at = serializers.DateTimeField()
        received_at = serializers.DateTimeField()
        applied_at = serializers.DateTimeField(allow_null=True)

        @extend_schema_field(serializers.ChoiceField(choices=["accepted", "applied"]))
        def get_status(self, event: TrackingEvent) -> str:
            return "applied" if event.applied_at else "accepted"

    @extend_schema(
        request=TrackingInput,
        responses={
            202: OpenApiResponse(
                TrackingEventAcceptedOutput, description="Stored; applied by a worker shortly."
            ),
            200: OpenApiResponse(
                TrackingEventAcceptedOutput,
                description="A repeat of a stored scan: nothing changed.",
            ),
            **ERRORS,
        },
        summary="Post a carrier scan, or a batch of scans (idempotent by carrier + event_id; "
        "any order of arrival)",
        description="The scan is stored and answered with 202 Accepted; a worker then applies it "
        "to the shipment and the order (and notifies the customer). A scan with an event_id "
        "already stored for the carrier answers 200 with the stored scan and changes nothing. "
        "Scans may arrive in any order: an older scan is kept in the history but never moves "
        "the shipment back. An unknown carrier + tracking number is refused with 404 and "
        "nothing is stored.\n\n"
        f"A carrier posting many scans sends them as a JSON array (up to "
        f"{services.MAX_TRACKING_BATCH}) in one request: the batch is stored at once and "
        "applied by one worker task, and the answer is 202 with one result per scan, in order "
        "(`results`: event_id, result accepted / duplicate / rejected, id, shipment, and for a "
        "rejected scan its code, e.g. shipment_not_found; the others are stored). A batch "
        "with an invalid scan is refused whole with 400.",
    )
    def post(self, request):
        if isinstance(request.data, list):
            return self.post_batch(request)
        data = self.TrackingInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        event, created = services.record_tracking_event(
            carrier_event_id=values.pop("event_id"),
            actor=actor_for(request),
            apply=False,
            **values,
        )
        # Read again: the worker may have applied it already (inline when there is no broker).
        event = TrackingEvent.objects.select_related("shipment").get(pk=event.pk)
        return Response(
            self.TrackingEventAcceptedOutput(event).data,
            status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK,
        )

    def post_batch(self, request):
        data = self.TrackingInput(
            data=request.data, many=True, allow_empty=False, max_length=services.MAX_TRACKING_BATCH
        )
        data.is_valid(raise_exception=True)
        outcomes = services.record_tracking_events(
            scans=[
                services.ScanInput(carrier_event_id=values.pop("event_id"), **values)
                for values in map(dict, data.validated_data)
            ],
            actor=actor_for(request),
        )
        results = []
        for outcome in outcomes:
            item = {"event_id": outcome.scan.carrier_event_id}
            if outcome.error is not None:
                item |= {
                    "result": "rejected",
                    "id": None,
                    "shipment": None,
                    "code": outcome.error.code,
                    "detail": str(outcome.error),
                }
            else:
                item |= {
                    "result": "accepted" if outcome.created else "duplicate",
                    "id": outcome.event.pk,
                    "shipment": outcome.shipment_number,
                }
            results.append(item)
        return Response({"results": results}, status=status.HTTP_202_ACCEPTED)


class ProductListApi(GenericAPIView):
    required_scopes = {"GET": [Scope.CATALOG_READ]}

    class FilterInput(serializers.Serializer):
        search = serializers.CharField(required=False, max_length=100)
        category = serializers.CharField(required=False, max_length=100)

    @extend_schema(
        parameters=[FilterInput],
        responses={200: ProductOutput(many=True)},
        summary="Products with their variants",
    )
    def get(self, request):
        filters = self.FilterInput(data=request.query_params)
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(selectors.list_products(**filters.validated_data))
        return self.get_paginated_response(ProductOutput(page, many=True).data)


class ProductDetailApi(APIView):
    required_scopes = {"GET": [Scope.CATALOG_READ]}

    @extend_schema(responses={200: ProductOutput, 404: PROBLEM}, summary="A product")
    def get(self, request, product_id: int):
        return Response(ProductOutput(selectors.get_product(product_id)).data)


class VariantDetailApi(APIView):
    required_scopes = {"GET": [Scope.CATALOG_READ]}

    class VariantStockOutput(VariantOutput):
        product_id = serializers.IntegerField()
        stock = StockOutput(many=True)

        class Meta(VariantOutput.Meta):
            fields = [*VariantOutput.Meta.fields, "product_id", "stock"]

    @extend_schema(
        responses={200: VariantStockOutput, 404: PROBLEM},
        summary="A variant (SKU) with its stock per warehouse",
    )
    def get(self, request, sku: str):
        return Response(self.VariantStockOutput(selectors.get_variant(sku)).data)


class WarehouseListApi(APIView):
    required_scopes = {"GET": [Scope.CATALOG_READ]}

    @extend_schema(responses={200: WarehouseOutput(many=True)}, summary="Warehouses")
    def get(self, request):
        return Response(WarehouseOutput(Warehouse.objects.all(), many=True).data)


class StockListApi(GenericAPIView):
    required_scopes = {"GET": [Scope.CATALOG_READ]}

    class FilterInput(serializers.Serializer):
        sku = serializers.CharField(required=False, max_length=64)
        warehouse = serializers.CharField(required=False, max_length=16)

    @extend_schema(
        parameters=[FilterInput],
        responses={200: StockOutput(many=True)},
        summary="Stock per warehouse and SKU",
    )
    def get(self, request):
        filters = self.FilterInput(data=request.query_params)
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(selectors.list_stock(**filters.validated_data))
        return self.get_paginated_response(StockOutput(page, many=True).data)


class StockAdjustApi(APIView):
    required_scopes = {"POST": [Scope.STOCK_WRITE]}

    class AdjustInput(serializers.Serializer):
        sku = serializers.CharField(max_length=64)
        warehouse = serializers.CharField(max_length=16)
        delta = serializers.IntegerField(
            min_value=-1_000_000,
            max_value=1_000_000,
            help_text="Units to add (positive) or remove (negative).",
        )
        reason = serializers.CharField(max_length=255)

    @extend_schema(
        request=AdjustInput,
        responses={201: StockOutput, **ERRORS},
        summary="Adjust stock on hand, with a reason (audited)",
    )
    def post(self, request):
        data = self.AdjustInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        stock = services.adjust_stock(
            sku=values["sku"],
            warehouse_code=values["warehouse"],
            delta=values["delta"],
            reason=values["reason"],
            actor=actor_for(request),
        )
        stock = selectors.list_stock().get(pk=stock.pk)
        return Response(StockOutput(stock).data, status=status.HTTP_201_CREATED)


class CustomerListApi(GenericAPIView):
    required_scopes = {"GET": [Scope.CUSTOMERS_READ]}

    class FilterInput(serializers.Serializer):
        search = serializers.CharField(
            required=False, max_length=254, help_text="Email, phone or part of the name."
        )

    @extend_schema(
        parameters=[FilterInput],
        responses={200: CustomerOutput(many=True)},
        summary="Customers, searched by email, phone or name",
    )
    def get(self, request):
        filters = self.FilterInput(data=request.query_params)
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(
            selectors.search_customers(filters.validated_data.get("search", ""))
        )
        return self.get_paginated_response(CustomerOutput(page, many=True).data)


class CustomerDetailApi(APIView):
    required_scopes = {"GET": [Scope.CUSTOMERS_READ]}

    @extend_schema(responses={200: CustomerDetailOutput, 404: PROBLEM}, summary="A customer")
    def get(self, request, customer_id: int):
        return Response(CustomerDetailOutput(selectors.get_customer(customer_id)).data)
