"""The one search box: orders, customers and shipments as you type."""

from django.shortcuts import render
from django.urls import path

from support.access import console_view
from support.selectors import search as selectors


@console_view("use_console")
def search(request):
    """htmx (typing in the top bar): the dropdown of grouped results. A plain GET (Enter, or
    no JavaScript): the full results page."""
    query = request.GET.get("q", "")
    if request.htmx and not request.htmx.boosted:
        results = selectors.search(query, limit=selectors.DROPDOWN_LIMIT)
        return render(request, "support/search/dropdown.html", {"results": results})
    results = selectors.search(query, limit=selectors.PAGE_LIMIT)
    return render(
        request,
        "support/search/results.html",
        {"results": results, "search_query": results.query, "nav": "search"},
    )


urlpatterns = [
    path("search/", search, name="search"),
]
