"""The image life cycle (``Image`` methods in portal/models.py): every path that changes
an image's state announces it, so a progress websocket hears it (tiles/progress.py)."""

import ast
import os
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from django.core.management import call_command

from portal import events, jobs
from portal.models import Image
from portal.registration import register_path
from tiles import progress

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def published(monkeypatch):
    """The events sent to the channel layer, as (image id, event)."""
    sent = []
    monkeypatch.setattr(progress, "publish", lambda image_id, event: sent.append((image_id, event)))
    return sent


@pytest.fixture
def image(collections, settings):
    path = settings.UPLOAD_ROOT / "field.fits"
    data = np.random.default_rng(1).normal(0, 1, (120, 160)).astype(np.float32)
    fits.PrimaryHDU(data).writeto(path)
    return register_path(collections["team"], path)


def states(published, image_id):
    return [
        (e["state"], e["reason"]) for pk, e in published if pk == image_id and e["type"] == "state"
    ]


def last_announced(published, image):
    """The last state event of ``image`` equals what its row says."""
    row = Image.objects.get(pk=image.pk)
    assert states(published, image.pk), "no state event"
    assert states(published, image.pk)[-1] == (row.state, row.state_reason)
    return row


def test_registration_announces_the_new_image(collections, settings):
    heard = []

    def listener(sender, image, **kwargs):
        heard.append((image.pk, image.state, Image.objects.filter(pk=image.pk).exists()))

    events.image_registered.connect(listener)
    try:
        path = settings.UPLOAD_ROOT / "new.fits"
        fits.PrimaryHDU(np.zeros((8, 8), np.float32)).writeto(path)
        image = register_path(collections["team"], path)
    finally:
        events.image_registered.disconnect(listener)
    assert heard == [(image.pk, Image.PENDING, True)]


def test_a_warm_announces_warming_then_ready(image, published):
    image.warm(wait=True)
    row = last_announced(published, image)
    assert row.state == Image.READY
    assert [state for state, _ in states(published, image.pk)][:2] == [Image.WARMING, Image.WARMING]


def test_a_warm_of_a_changed_file_announces_failed(image, published):
    with open(image.path, "r+b") as handle:  # same size, other bytes: checksum differs
        handle.write(b"X" * 80)
    image.warm(wait=True)
    row = last_announced(published, image)
    assert row.state == Image.FAILED and "other content" in row.state_reason


def test_warm_images_announces_pending_again(image, published):
    call_command("warm_images", "--wait")
    published.clear()
    call_command("warm_images", "--wait", "--all")
    assert states(published, image.pk)[0] == (Image.PENDING, "")
    assert last_announced(published, image).state == Image.READY


def test_warm_images_queued_announces_pending(image, published, settings, monkeypatch):
    queued = []
    monkeypatch.setattr(jobs, "submit", queued.append)
    call_command("warm_images")
    assert len(queued) == 1
    assert last_announced(published, image).state == Image.PENDING


def test_rehash_announces_pending_with_the_new_content(image, published):
    call_command("warm_images", "--wait")
    published.clear()
    fits.PrimaryHDU(np.ones((120, 160), np.float32)).writeto(image.path, overwrite=True)
    call_command("warm_images", "--rehash", "--wait")
    assert states(published, image.pk)[0] == (Image.PENDING, "")
    assert last_announced(published, image).state == Image.READY


def test_the_admin_action_announces_pending(
    image, published, django_user_model, client, monkeypatch
):
    call_command("warm_images", "--wait")
    published.clear()
    queued = []
    monkeypatch.setattr(jobs, "submit", queued.append)
    root = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    client.force_login(root)
    response = client.post(
        "/admin/portal/image/", {"action": "rewarm", "_selected_action": [image.pk]}
    )
    assert response.status_code == 302
    assert [signature.tasks[0].args for signature in queued] == [(image.pk,)]
    assert last_announced(published, image).state == Image.PENDING


def test_an_unreachable_queue_is_announced_as_the_reason(image, published, monkeypatch):
    def refuse(signature):
        raise OSError("connection refused")

    monkeypatch.setattr(jobs, "submit", refuse)
    image.warm()
    row = last_announced(published, image)
    assert row.state == Image.PENDING and "task queue is unavailable" in row.state_reason


def test_a_changed_file_found_on_a_request_is_announced(image, published, client, users):
    call_command("warm_images", "--wait")
    published.clear()
    os.truncate(image.path, 2880)
    client.force_login(users["owner"])
    assert client.get(f"/api/images/{image.pk}/tiles/0/0/0.jpg").status_code == 422
    row = last_announced(published, image)
    assert row.state == Image.FAILED and "changed on disk" in row.state_reason
    assert states(published, image.pk).count((row.state, row.state_reason)) == 1  # once


def _writes_image_state(node):
    """Whether ``node`` writes an image's state without an ``Image`` method: an
    ``.update(state=...)``, ``.save_fields(state=...)`` or ``x.state = Image.X``."""
    writes = ("update", "save_fields", "create", "get_or_create")
    if isinstance(node, ast.Call) and getattr(node.func, "attr", None) in writes:
        return any(k.arg == "state" and "Image." in ast.unparse(k.value) for k in node.keywords)
    if isinstance(node, ast.Assign):
        return any(
            isinstance(t, ast.Attribute) and t.attr == "state" for t in node.targets
        ) and "Image." in ast.unparse(node.value)
    return False


def test_only_image_methods_write_an_image_state():
    """Anywhere else, a state change would be one no listener hears."""
    offenders = []
    for package in ("portal", "tiles", "catalogs", "frontend"):
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts or path == ROOT / "portal" / "models.py":
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if _writes_image_state(node):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
