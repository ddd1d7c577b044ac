"""The referral link's landing: /r/<code>/ sends the friend to the storefront with ?ref=<code>
(OMS_STOREFRONT_URL), or, without a storefront address, shows the code to type at checkout.
An unknown code gets a polite 404."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from feedback.models import ReferralCode
from feedback.services.referrals import normalize_code, storefront_url


@never_cache
@require_GET
def landing(request: HttpRequest, code: str) -> HttpResponse:
    code = normalize_code(code)
    referral_code = (
        ReferralCode.objects.select_related("customer").filter(code=code).first() if code else None
    )
    context = {"store_name": getattr(settings, "OMS_STORE_NAME", "")}
    if referral_code is None:
        response = render(request, "feedback/referral/unknown.html", context, status=404)
    else:
        target = storefront_url(referral_code.code)
        if target:
            response = HttpResponseRedirect(target)
        else:
            response = render(
                request,
                "feedback/referral/landing.html",
                {
                    **context,
                    "code": referral_code.code,
                    # First name only: the friend knows who sent the link; nothing more leaks.
                    "referrer_name": (referral_code.customer.name or "").split(" ", 1)[0],
                },
            )
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response
