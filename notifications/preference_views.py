"""The customer's preference centre: one page per email address, reached from the signed link in
every email, where non-essential messages are turned on or off: all of them at once, or topic by
topic (notifications.catalogue.TOPICS). Transactional messages are listed as always sent."""

from django import forms
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from notifications.catalogue import TOPICS
from notifications.preferences_links import email_from_token
from notifications.services.preferences import preference_for, set_preference


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
            # A ticked topic is one the customer wants; unknown names are ignored.
            wanted = set(request.POST.getlist("topics"))
            set_preference(
                email=email,
                wants_non_essential=form.cleaned_data["wants_non_essential"],
                opted_out_topics=[topic for topic in TOPICS if topic not in wanted],
            )
            return redirect(f"{request.path}?saved=1")
    preference = preference_for(email)
    opted_out = set(preference.opted_out_topics or []) if preference else set()
    response = render(
        request,
        "notifications/preferences.html",
        {
            "email": email,
            "wants_non_essential": preference is None or preference.wants_non_essential,
            "topics": [
                {"key": key, "label": label, "wanted": key not in opted_out}
                for key, label in TOPICS.items()
            ],
            "is_saved": request.GET.get("saved") == "1",
            "store_name": getattr(settings, "OMS_STORE_NAME", ""),
        },
    )
    response["X-Robots-Tag"] = "noindex"  # a personal page: keep it out of search engines
    return response
