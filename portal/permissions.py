"""Who may see what: the one place that answers it.

Every endpoint (REST, IIP, websocket, cutouts, catalogs, pages) asks these functions.
Power levels on a collection, each implying the ones before it:

    VIEW < CONTRIBUTE (add images/catalogs) < MANAGE (edit, delete, grant)

A user holds a level on a collection when they own it, are a superuser, hold the
matching object permission themselves or through a group, or (for VIEW only) when the
collection's visibility lets them: ``public`` for everyone, ``team`` for signed-in users.

Objects a user may not view are reported as missing (404), never as forbidden, so their
existence does not leak: views look objects up through ``visible_to(user)`` querysets.

This module imports the models, never the reverse: the rule for many rows at once is a
database filter on the querysets (``portal/models.py``, ``collections_q``), the
questions about one object are here.
"""

from django.conf import settings

from portal.cached import ExpiringCache
from portal.models import CONTRIBUTE, MANAGE, VIEW, Collection, Image, collections_q


def visible_collections_q(user):
    return collections_q(user, VIEW)


def has_level(user, collection, level):
    """Whether ``user`` holds ``level`` (VIEW/CONTRIBUTE/MANAGE) on ``collection``: the
    rule of ``collections_q``, answered without a query where the row says it."""
    if level == VIEW and collection.visibility == Collection.PUBLIC:
        return True
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser or collection.owner_id == user.pk:
        return True
    if level == VIEW and collection.visibility == Collection.TEAM:
        return True
    return Collection.objects.held_by(user, level).filter(pk=collection.pk).exists()


def can_view(user, collection):
    return has_level(user, collection, VIEW)


def can_contribute(user, collection):
    return has_level(user, collection, CONTRIBUTE)


def can_manage(user, collection):
    return has_level(user, collection, MANAGE)


def may_edit(user, item):
    """Whether ``user`` may change or delete ``item``, an object with an ``owner`` in a
    ``collection`` (a catalog): its owner, or whoever manages the collection. Anonymous
    users never may, whatever the item's owner (None when their account was deleted)."""
    if user is None or not user.is_authenticated:
        return False
    return item.owner_id == user.pk or can_manage(user, item.collection)


def may_move_image(user, image, collection):
    """Whether ``user`` may move ``image`` into ``collection``: they manage both the
    collection it is in and the one it goes to."""
    return can_manage(user, image.collection) and can_manage(user, collection)


def may_contribute(user, collection_slug=None):
    """Whether ``user`` may add to the collection ``collection_slug`` (to some collection
    if None): what an upload is asked before its body is read. False for a slug that
    names nothing."""
    if user is None or not user.is_authenticated:
        return False
    collections = Collection.objects.held_by(user, CONTRIBUTE)
    if collection_slug is not None:
        collections = collections.filter(slug=collection_slug)
    return collections.exists()


MAX_ID = 2**63 - 1  # database ids are 64-bit: larger numbers name nothing


def viewable_image(user, image_id):
    """The Image ``image_id`` (with its collection) if ``user`` may view it, else None."""
    if not 0 < int(image_id) <= MAX_ID:
        return None
    return Image.objects.visible_to(user).select_related("collection").filter(pk=image_id).first()


# Answers live this long at most; changes drop them in every process at once
# (portal/invalidation.py): this bounds only what a process that missed one keeps
# (FITSPORTAL_ACCESS_CACHE_SECONDS).
ACCESS_CACHE_SECONDS = settings.ACCESS_CACHE_SECONDS
_image_access = ExpiringCache(ACCESS_CACHE_SECONDS)


def viewable_image_cached(user, image_id):
    """``viewable_image`` remembered per (user, image) for ``ACCESS_CACHE_SECONDS``:
    the tile hot path asks it on every request and must not query the database."""
    return _image_access.get(_by_id(user, image_id), lambda: viewable_image(user, image_id))


AMBIGUOUS = "ambiguous"


def viewable_image_named(user, name):
    """The Image ``user`` may view that ``name`` names: ``<collection-slug>/<file name>``,
    or a file name (or a path ending with one) that only one such image has. None if
    none does, ``AMBIGUOUS`` if several do."""
    visible = Image.objects.visible_to(user).select_related("collection")
    slug, slash, rest = name.partition("/")
    if slash and rest:
        image = visible.filter(collection__slug=slug, name=rest).first()
        if image is not None:
            return image
    basename = name.rsplit("/", 1)[-1]
    if not basename:
        return None
    matches = list(visible.filter(name=basename)[:2])
    if len(matches) > 1:
        return AMBIGUOUS
    return matches[0] if matches else None


def viewable_collection(user, collection_id):
    """The Collection ``collection_id`` if ``user`` may view it, else None."""
    if not 0 < int(collection_id) <= MAX_ID:
        return None
    return Collection.objects.visible_to(user).filter(pk=collection_id).first()


def viewable_collection_cached(user, collection_id):
    """``viewable_collection`` remembered like ``viewable_image_cached`` (the collection
    page's websocket asks it before every event it sends)."""
    key = _collection_key(user, collection_id)
    return _image_access.get(key, lambda: viewable_collection(user, collection_id))


def peek_viewable_collection(user, collection_id):
    """(True, Collection or None) if the answer is cached, else (False, None): no query."""
    return _image_access.peek(_collection_key(user, collection_id))


def viewable_image_named_cached(user, name):
    """``viewable_image_named`` remembered like ``viewable_image_cached``."""
    return _image_access.get(_by_name(user, name), lambda: viewable_image_named(user, name))


def peek_viewable_image(user, image_id):
    """(True, Image or None) if the answer is cached, else (False, None): no query."""
    return _image_access.peek(_by_id(user, image_id))


def peek_viewable_image_named(user, name):
    """(True, what ``viewable_image_named_cached`` gives) if cached, else (False, None)."""
    return _image_access.peek(_by_name(user, name))


# The access cache's keys: (user id or None, image id), (user id or None, "name", name),
# (user id or None, "collection", collection id).
def _uid(user):
    return user.pk if user is not None and user.is_authenticated else None


def _by_id(user, image_id):
    return (_uid(user), int(image_id))


def _by_name(user, name):
    return (_uid(user), "name", name)


def _collection_key(user, collection_id):
    return (_uid(user), "collection", int(collection_id))


def forget_cached_access():
    """Drop this process's cached answers (grants, collections or images changed)."""
    _image_access.clear()


def forget_cached_access_of(user_id):
    """Drop this process's cached answers for user ``user_id``."""
    _image_access.forget_where(lambda key, image: key[0] == user_id)
