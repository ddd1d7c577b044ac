"""Returns API views, one per use case (thin: services and selectors hold the rules)."""

from rest_framework.response import Response
from rest_framework.views import APIView


class ReturnListCreateApi(APIView):
    required_scopes = {"GET": ["returns:read"]}

    def get(self, request):
        return Response({"results": []})
