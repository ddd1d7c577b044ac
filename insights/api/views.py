"""The read-only insights API: the measure catalogue, a measure's rows, the orders behind a
number, and the early-warning alerts. The numbers come from insights.measures, the same code
as the console's pages, so both always agree. Scope insights:read."""

from django.conf import settings
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from insights.api.serializers import (
    PROBLEM,
    AlertOutput,
    MeasureOutput,
    MeasureQueryInput,
    MeasureRowsOutput,
    OrderBehindOutput,
    OrdersBehindInput,
)
from insights.measures import MEASURES, Period, get_measure
from insights.models import Alert, AlertStatus
from oms.models import Scope

ERRORS = {400: PROBLEM, 401: PROBLEM, 403: PROBLEM, 404: PROBLEM}
READ = {"GET": [Scope.INSIGHTS_READ]}


def period_of(values: dict) -> Period:
    return Period.for_days(values["start"], values["end"])


class MeasureListApi(APIView):
    required_scopes = READ

    @extend_schema(
        operation_id="insights_measures_list",
        responses={200: MeasureOutput(many=True), 401: PROBLEM, 403: PROBLEM},
        summary="The measures: code, title, definition, unit, cuts and filters",
    )
    def get(self, request):
        return Response(MeasureOutput(MEASURES.values(), many=True).data)


class MeasureRowsApi(APIView):
    required_scopes = READ

    @extend_schema(
        operation_id="insights_measures_rows",
        parameters=[MeasureQueryInput],
        responses={200: MeasureRowsOutput, **ERRORS},
        summary="A measure over a period, one row per key of the cut",
        description="Rows carry the numerator, the denominator and the value (null when the "
        "denominator is 0), as exact decimals. The period is whole days in the store's time "
        "zone, `end` included (default: the last 30 days, at most 366). An unknown measure is "
        "a 404; a cut or filter the measure does not take is a 400 naming the parameter.",
    )
    def get(self, request, code: str):
        measure = get_measure(code)
        query = MeasureQueryInput(data=request.query_params)
        query.is_valid(raise_exception=True)
        values, filters = query.validated_data, query.filters()
        cut = values.get("cut") or None
        rows = measure.compute(period_of(values), cut=cut, filters=filters)
        body = {
            "code": measure.code,
            "unit": measure.unit,
            "start": values["start"],
            "end": values["end"],
            "time_zone": settings.TIME_ZONE,
            "cut": cut,
            "filters": measure.clean(cut, filters),
            "rows": rows,
        }
        return Response(MeasureRowsOutput(body).data)


class MeasureOrdersApi(GenericAPIView):
    required_scopes = READ
    serializer_class = OrderBehindOutput

    @extend_schema(
        operation_id="insights_measures_orders",
        parameters=[OrdersBehindInput],
        responses={200: OrderBehindOutput(many=True), **ERRORS},
        summary="The orders behind a measure's number, newest first (cursor pagination)",
        description="The measure's `drill` says which orders these are (the contacted ones, "
        "the late ones, …). With `cut` and `key`, only those of that row.",
    )
    def get(self, request, code: str):
        measure = get_measure(code)
        query = OrdersBehindInput(data=request.query_params)
        query.is_valid(raise_exception=True)
        values = query.validated_data
        orders = measure.orders_behind(
            period_of(values),
            cut=values.get("cut") or None,
            key=values.get("key") or None,
            filters=query.filters(),
        )
        page = self.paginate_queryset(orders)
        return self.get_paginated_response(OrderBehindOutput(page, many=True).data)


class NewestAlertsFirst(CursorPagination):
    ordering = ("-raised_at", "-id")
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200


ACTIVE = "active"


class AlertListApi(GenericAPIView):
    required_scopes = READ
    serializer_class = AlertOutput
    pagination_class = NewestAlertsFirst

    class FilterInput(serializers.Serializer):
        status = serializers.ChoiceField(
            choices=[(ACTIVE, "Open or acknowledged"), *AlertStatus.choices],
            required=False,
            help_text="Default: all.",
        )
        subject_kind = serializers.ChoiceField(choices=Alert.Subject.choices, required=False)
        subject_code = serializers.CharField(required=False, max_length=32)
        raised_after = serializers.DateTimeField(required=False)

    @extend_schema(
        operation_id="insights_alerts_list",
        parameters=[FilterInput],
        responses={200: AlertOutput(many=True), 400: PROBLEM, 401: PROBLEM, 403: PROBLEM},
        summary="Early-warning alerts, newest first (cursor pagination)",
        description="Each alert names a warehouse or carrier whose contact or delay rate is "
        "clearly above its own baseline, with the reasons driving it and the exposure. "
        "`status=active`: open or acknowledged ones.",
    )
    def get(self, request):
        filters = self.FilterInput(data=request.query_params)
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(alerts(**filters.validated_data))
        return self.get_paginated_response(AlertOutput(page, many=True).data)


def alerts(
    *,
    status: str | None = None,
    subject_kind: str | None = None,
    subject_code: str | None = None,
    raised_after=None,
) -> QuerySet[Alert]:
    queryset = Alert.objects.all()
    if status == ACTIVE:
        queryset = queryset.exclude(status=AlertStatus.RESOLVED)
    elif status:
        queryset = queryset.filter(status=status)
    if subject_kind:
        queryset = queryset.filter(subject_kind=subject_kind)
    if subject_code:
        queryset = queryset.filter(subject_code=subject_code)
    if raised_after:
        queryset = queryset.filter(raised_at__gte=raised_after)
    return queryset
