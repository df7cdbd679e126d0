"""Portal pages: the collections a user can see, a collection, the viewer of an image,
the comparison of images, the archive search."""

from urllib.parse import urlencode

from django.db.models import Count, OuterRef, Q, Subquery
from django.shortcuts import get_object_or_404, redirect, render

from portal import permissions
from portal.models import Collection, Image


def home(request):
    cover = Image.objects.filter(collection=OuterRef("pk")).order_by("pk").values("pk")[:1]
    collections = (
        Collection.objects.visible_to(request.user)
        .select_related("owner")
        .annotate(image_count=Count("images"), cover=Subquery(cover))
        .order_by("name", "pk")
    )
    return render(request, "frontend/home.html", {"collections": collections})


def collection_page(request, slug):
    collection = get_object_or_404(Collection.objects.visible_to(request.user), slug=slug)
    context = {
        "collection": collection,
        "images": collection.images.select_related("meta"),
        "catalogs": collection.catalogs.all(),
        "can_contribute": permissions.can_contribute(request.user, collection),
    }
    return render(request, "frontend/collection.html", context)


def image_page(request, pk):
    image = get_object_or_404(
        Image.objects.visible_to(request.user).select_related("collection"), pk=pk
    )
    context = {
        "image": image,
        "can_annotate": permissions.can_contribute(request.user, image.collection),
    }
    return render(request, "frontend/image.html", context)


# The comparison page: at most this many images side by side (or blinked), and as many
# other images of their collections offered to add.
COMPARE_MAX = 4
COMPARE_CANDIDATES = 200
COMPARE_MODES = ("side", "blink")
COMPARE_RATES = ("0.5", "1", "2", "4")  # images shown per second when blinking


def _compare_ids(text):
    """The image ids of ``images=1,2,...`` in their order, or None if it is not that."""
    items = [item.strip() for item in text.split(",") if item.strip()]
    if len(items) > COMPARE_MAX or not all(item.isdigit() and len(item) < 12 for item in items):
        return None
    ids = []
    for pk in map(int, items):
        if pk not in ids:
            ids.append(pk)
    return ids


def compare_page(request):
    """Images side by side or blinked, their views locked on the sky. Each image the
    user may not see, or that does not exist, is named with the same message; the
    page's script takes every image's pixels and description from its own API."""
    ids = _compare_ids(request.GET.get("images", ""))
    if ids is None:
        message = f"images= takes up to {COMPARE_MAX} image numbers separated by commas."
        return render(request, "frontend/compare.html", {"error": message}, status=400)
    added = _compare_ids(request.GET.get("add", ""))
    if request.GET.get("add") and added:
        query = request.GET.copy()
        query.pop("add")
        query["images"] = ",".join(
            str(pk) for pk in (ids + [pk for pk in added if pk not in ids])[:COMPARE_MAX]
        )
        return redirect(f"{request.path}?{urlencode(query)}")
    visible = Image.objects.visible_to(request.user).select_related("collection").in_bulk(ids)
    panes = [{"pk": pk, "image": visible.get(pk)} for pk in ids]
    shown = [pane["image"] for pane in panes if pane["image"]]
    for image in shown:  # the comparison without it
        image.compare_without = ",".join(str(pk) for pk in ids if pk != image.pk)
    candidates = []
    if len(ids) < COMPARE_MAX:
        collections = {image.collection_id for image in shown}
        candidates = (
            Image.objects.visible_to(request.user)
            .filter(Q(collection__in=collections) if collections else Q())
            .exclude(pk__in=ids)
            .select_related("collection")
            .order_by("collection__name", "title", "pk")[:COMPARE_CANDIDATES]
        )
    mode = request.GET.get("mode", "side")
    rate = request.GET.get("rate", "1")
    context = {
        "panes": panes,
        "shown": shown,
        "ids": ",".join(str(pk) for pk in ids),
        "candidates": candidates,
        "mode": mode if mode in COMPARE_MODES else "side",
        "rate": rate if rate in COMPARE_RATES else "1",
        "rates": COMPARE_RATES,
    }
    return render(request, "frontend/compare.html", context)


SEARCH_SORTS = [
    ("-date_obs", "Newest observation"), ("date_obs", "Oldest observation"),
    ("-exptime", "Longest exposure"), ("exptime", "Shortest exposure"),
    ("object", "Object"), ("filter", "Filter"), ("-id", "Last registered"),
]  # fmt: skip


def search_page(request):
    """The search form, its result table and sky map; the page's script asks
    ``/api/images/`` (which applies the permissions) for the results."""
    context = {"sorts": SEARCH_SORTS, "sort": request.GET.get("sort", "-date_obs")}
    return render(request, "frontend/search.html", context)
