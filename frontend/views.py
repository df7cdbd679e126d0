"""Portal pages: the collections a user can see, a collection, the viewer of an image,
the archive search."""

from django.db.models import Count, OuterRef, Subquery
from django.shortcuts import get_object_or_404, render

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
        "images": collection.images.all(),
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
