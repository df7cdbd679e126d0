"""Domain signals: the hot-path caches forget what a change ends, in every process at
once (``portal/invalidation.py``: logouts, users, tokens, grants, groups, collections,
images); deleted images take their uploaded files along; failed logins are counted.
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from rest_framework.authtoken.models import Token

from portal import invalidation, login
from portal.models import Collection, CollectionGroupPermission, CollectionUserPermission, Image


def forget_access(**kwargs):
    invalidation.forget({"access": True})


def forget_membership(action, **kwargs):
    if action.startswith("post_"):
        invalidation.forget({"access": True})


def forget_user(instance, update_fields=None, **kwargs):
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # a login: nothing cached about the user changes
    invalidation.forget({"user": instance.pk})


def forget_token(instance, **kwargs):
    invalidation.forget({"user": instance.user_id})


def end_session(sender, request, user, **kwargs):
    """A logout. Django empties the session after this signal: empty it first, so no
    request in between reads it and is remembered as signed in."""
    if user is None:
        return
    if request is not None and hasattr(request, "session"):
        request.session.flush()
    invalidation.forget({"user": user.pk})


def remove_files(instance, **kwargs):
    """A deleted image takes its uploaded file with it (what was derived from the file
    is the tiles app's to remove: ``tiles/apps.py``)."""
    if instance.owns_file:
        transaction.on_commit(lambda: Path(instance.path).unlink(missing_ok=True))


def connect():
    User = get_user_model()
    for model in (Collection, Image, CollectionUserPermission, CollectionGroupPermission):
        post_save.connect(
            forget_access, sender=model, dispatch_uid=f"fp-access-save-{model.__name__}"
        )
        post_delete.connect(
            forget_access, sender=model, dispatch_uid=f"fp-access-del-{model.__name__}"
        )
    post_delete.connect(remove_files, sender=Image, dispatch_uid="fp-image-files")
    post_save.connect(forget_user, sender=User, dispatch_uid="fp-user-save")
    user_login_failed.connect(login.count_failure, dispatch_uid="fp-login-failed")
    user_logged_in.connect(login.clear_failures, dispatch_uid="fp-logged-in")
    user_logged_out.connect(end_session, dispatch_uid="fp-logged-out")
    post_delete.connect(forget_user, sender=User, dispatch_uid="fp-user-delete")
    post_save.connect(forget_token, sender=Token, dispatch_uid="fp-token-save")
    post_delete.connect(forget_token, sender=Token, dispatch_uid="fp-token-delete")
    m2m_changed.connect(
        forget_membership, sender=User.groups.through, dispatch_uid="fp-user-groups"
    )
