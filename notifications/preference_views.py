"""The customer's preference centre: one page per email address, reached from the signed link in
every email, where non-essential messages (out for delivery) are turned on or off."""

from django import forms
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from notifications.preferences_links import email_from_token
from notifications.routing import wants_non_essential
from notifications.services.preferences import set_preference


class PreferenceForm(forms.Form):
    wants_non_essential = forms.BooleanField(required=False)


@never_cache
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    email = email_from_token(token)
    if email is None:
        raise Http404
    if request.method == "POST":
        form = PreferenceForm(request.POST)
        if form.is_valid():
            set_preference(
                email=email, wants_non_essential=form.cleaned_data["wants_non_essential"]
            )
            return redirect(f"{request.path}?saved=1")
    response = render(
        request,
        "notifications/preferences.html",
        {
            "email": email,
            "wants_non_essential": wants_non_essential(email),
            "is_saved": request.GET.get("saved") == "1",
            "store_name": getattr(settings, "OMS_STORE_NAME", ""),
        },
    )
    response["X-Robots-Tag"] = "noindex"  # a personal page: keep it out of search engines
    return response
