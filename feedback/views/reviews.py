"""Review moderation in the console (/console/feedback/reviews/): the queue with filters
(status, rating, photo, product) and keyset pages, one review with its photos (served only after
the permission check), and the decisions: publish, reject with a reason, reply. The service
holds the rules (feedback.services.moderation); a refusal is shown and changes nothing."""

from functools import wraps

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from feedback.models import Review, ReviewPhoto
from feedback.services import moderation
from feedback.views import moderation_queries as queries
from oms.exceptions import DomainError
from support.access import console_view

QUEUE_TEMPLATE = "feedback/console/queue.html"
DETAIL_TEMPLATE = "feedback/console/review.html"
STATUS_CHOICES = [
    *Review.Status.choices,
    (queries.ALL, gettext_lazy("All")),
]
RATING_CHOICES = [("", gettext_lazy("Any rating"))] + [
    (str(stars), "★" * stars) for stars in range(5, 0, -1)
]
PHOTO_CHOICES = [
    ("", gettext_lazy("With or without photos")),
    ("yes", gettext_lazy("With photos")),
    ("no", gettext_lazy("Without photos")),
]


def moderator_view(view):
    """A console page for moderators: signed in with use_console, and feedback.moderate_reviews
    (checked on every request; the services check it again)."""

    @console_view("use_console")
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.has_perm(moderation.PERMISSION):
            return HttpResponse(_("You are not allowed to moderate reviews."), status=403)
        return view(request, *args, **kwargs)

    wrapper.console_permission = moderation.PERMISSION
    return wrapper


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(choices=STATUS_CHOICES, required=False)
    rating = forms.TypedChoiceField(
        choices=RATING_CHOICES, coerce=int, required=False, empty_value=None
    )
    photo = forms.ChoiceField(choices=PHOTO_CHOICES, required=False)
    product = forms.CharField(required=False, max_length=queries.PRODUCT_MAX)
    cursor = forms.IntegerField(required=False, min_value=1)


class PublishForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Note for the team (optional)"),
        required=False,
        max_length=moderation.NOTE_MAX,
    )


class RejectForm(forms.Form):
    reason_code = forms.ChoiceField(
        label=gettext_lazy("Reason"), choices=Review.RejectionReason.choices
    )
    note = forms.CharField(
        label=gettext_lazy("Note for the team (optional)"),
        required=False,
        max_length=moderation.NOTE_MAX,
    )


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("The store's public reply"),
        max_length=moderation.REPLY_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@moderator_view
def review_queue(request: HttpRequest) -> HttpResponse:
    """The queue: waiting reviews oldest first by default. `?fragment=rows` (htmx) answers the
    rows alone, which the filters swap in."""
    form = QueueFilterForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    photo = data.get("photo") or ""
    filters = queries.QueueFilters(
        status=data.get("status") or Review.Status.PENDING,
        rating=data.get("rating"),
        has_photo={"yes": True, "no": False}.get(photo),
        product=data.get("product") or "",
        cursor=data.get("cursor"),
    )
    page = queries.list_reviews(filters)
    context = {
        "nav": "reviews",
        "form": form,
        "filters": filters,
        "photo": photo,
        "status_choices": STATUS_CHOICES,
        "rating_choices": RATING_CHOICES,
        "photo_choices": PHOTO_CHOICES,
        "page": page,
        "is_filtered": bool(filters.rating or photo or filters.product),
    }
    template = QUEUE_TEMPLATE
    if request.htmx and request.GET.get("fragment") == "rows":
        template += "#rows"
    return render(request, template, context)


def _review_or_404(review_id: int) -> Review:
    try:
        return queries.get_review(review_id)
    except Review.DoesNotExist:
        raise Http404(_("There is no such review.")) from None


def _detail(request: HttpRequest, review: Review, *, status: int = 200, **forms_) -> HttpResponse:
    context = {
        "nav": "reviews",
        "review": review,
        "photos": list(review.photos.all()),
        "history": queries.review_history(review),
        "next_pending": queries.next_pending(review.pk),
        "publish_form": forms_.get("publish_form") or PublishForm(),
        "reject_form": forms_.get("reject_form") or RejectForm(),
        "reply_form": forms_.get("reply_form") or ReplyForm(initial={"text": review.reply}),
        "is_pending": review.status == Review.Status.PENDING,
    }
    return render(request, DETAIL_TEMPLATE, context, status=status)


@moderator_view
def review_detail(request: HttpRequest, review_id: int) -> HttpResponse:
    return _detail(request, _review_or_404(review_id))


def _decide(request, review_id: int, form_name: str, form: forms.Form, run, done: str):
    """Validate, run the service; on success go on (to the next waiting review when asked),
    on a refusal show the page again with the reason."""
    review = _review_or_404(review_id)
    if not form.is_valid():
        return _detail(request, review, status=400, **{form_name: form})
    try:
        run(form.cleaned_data)
    except DomainError as refusal:
        form.add_error(None, refusal.message)
        return _detail(request, review, status=409, **{form_name: form})
    messages.success(request, done)
    if request.POST.get("then") == "next":
        following = queries.next_pending(review_id)
        if following:
            return redirect("feedback:review-detail", review_id=following)
        return redirect("feedback:reviews")
    return redirect("feedback:review-detail", review_id=review_id)


@moderator_view
@require_POST
def review_publish(request: HttpRequest, review_id: int) -> HttpResponse:
    return _decide(
        request,
        review_id,
        "publish_form",
        PublishForm(request.POST),
        lambda data: moderation.publish_review(review_id, user=request.user, note=data["note"]),
        _("The review is published."),
    )


@moderator_view
@require_POST
def review_reject(request: HttpRequest, review_id: int) -> HttpResponse:
    return _decide(
        request,
        review_id,
        "reject_form",
        RejectForm(request.POST),
        lambda data: moderation.reject_review(
            review_id, user=request.user, reason_code=data["reason_code"], note=data["note"]
        ),
        _("The review is rejected."),
    )


@moderator_view
@require_POST
def review_reply(request: HttpRequest, review_id: int) -> HttpResponse:
    return _decide(
        request,
        review_id,
        "reply_form",
        ReplyForm(request.POST),
        lambda data: moderation.reply_to_review(review_id, user=request.user, text=data["text"]),
        _("The reply is saved."),
    )


@moderator_view
def review_photo(request: HttpRequest, review_id: int, photo_id: int) -> HttpResponse:
    """A customer's photo on a review. Media files are not public: streamed from storage after
    the permission check, never linked directly."""
    photo = ReviewPhoto.objects.filter(pk=photo_id, review_id=review_id).first()
    if photo is None:
        raise Http404(_("There is no such photo."))
    try:
        handle = photo.image.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404(_("The photo file is missing.")) from None
    response = FileResponse(handle, content_type=photo.content_type or "application/octet-stream")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


urlpatterns = [
    path("reviews/", review_queue, name="reviews"),
    path("reviews/<int:review_id>/", review_detail, name="review-detail"),
    path("reviews/<int:review_id>/publish/", review_publish, name="review-publish"),
    path("reviews/<int:review_id>/reject/", review_reject, name="review-reject"),
    path("reviews/<int:review_id>/reply/", review_reply, name="review-reply"),
    path("reviews/<int:review_id>/photos/<int:photo_id>/", review_photo, name="review-photo"),
]
