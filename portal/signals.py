"""Keep this process's hot-path caches honest when users, grants or images change.

Other processes see the change when their entries expire (``ACCESS_CACHE_SECONDS``,
``USER_CACHE_SECONDS``).
"""

import shutil
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from portal import auth, login, permissions
from portal.models import Collection, CollectionGroupPermission, CollectionUserPermission, Image


def forget_access(**kwargs):
    permissions.forget_cached_access()


def forget_user(instance, **kwargs):
    auth.forget_cached_user(instance.pk)
    permissions.forget_cached_access()


def remove_files(instance, **kwargs):
    """A deleted image takes its uploaded file with it, and its pyramid when no other
    image shares the content."""

    def remove():
        from tiles.tasks import lock_path

        lock_path(instance.pk).unlink(missing_ok=True)
        if instance.owns_file:
            Path(instance.path).unlink(missing_ok=True)
        if not Image.objects.filter(checksum=instance.checksum).exists():
            shutil.rmtree(instance.cache_dir, ignore_errors=True)

    transaction.on_commit(remove)


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
    post_delete.connect(forget_user, sender=User, dispatch_uid="fp-user-delete")
    m2m_changed.connect(forget_access, sender=User.groups.through, dispatch_uid="fp-user-groups")
