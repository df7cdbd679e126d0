"""Sharing from the collection page in a real browser: an owner grants view to another
user, who then sees the images (and, the page open, the owner's uploads arrive without
a reload); one upload of several files shows one bar per file; after a revoke the
image is a 404 page in the portal's layout, the same a missing image gets."""

from urllib.parse import urlsplit

import numpy as np
import pytest
from astropy.io import fits

from .conftest import SCREENS, log_in

pytestmark = pytest.mark.browser

CREATE = """async (name) => {
  const token = document.cookie.match(/(?:^|;\\s*)csrftoken=([^;]+)/)[1];
  const response = await fetch("/api/collections/", {
    method: "POST", credentials: "same-origin",
    headers: {"Content-Type": "application/json", "X-CSRFToken": token},
    body: JSON.stringify({name, visibility: "private"}),
  });
  return (await response.json()).slug;
}"""


def fits_files(folder, count):
    paths = []
    for n in range(count):
        rng = np.random.default_rng(100 + n)
        data = rng.normal(100.0, 5.0, (150, 200)).astype(np.float32)
        path = folder / f"night-{n + 1}.fits"
        fits.PrimaryHDU(data).writeto(path)
        paths.append(str(path))
    return paths


def context_like(browser, screen):
    return browser.new_context(bypass_csp=True, **SCREENS[screen.name])


def test_share_upload_live_and_revoke(screen, server, browser, tmp_path):
    alice = screen.page
    log_in(alice, server, "alice", "alice-password")
    slug = alice.evaluate(CREATE, f"Shared night {screen.name}")
    alice.goto(f"{server.url}/c/{slug}/")
    panel = alice.locator("#fp-manage")
    panel.wait_for(state="visible")
    alice.locator(".fp-grants li").first.wait_for()  # the grants are asked after the panel shows
    assert alice.locator(".fp-grants li").all_inner_texts()[0].startswith("alice")

    # Grant view to bob, picked among the suggestions.
    alice.fill("#fp-grant-name", "bo")
    suggestion = alice.locator("#fp-grant-suggestions li", has_text="bob")
    suggestion.wait_for()
    screen.shot("suggestions")
    suggestion.click()
    alice.select_option(".fp-grant-form select[name=level]", "view")
    alice.click(".fp-grant-form button[type=submit]")
    bob_row = alice.locator(".fp-grant", has_text="bob")
    bob_row.wait_for()
    assert bob_row.locator("select").input_value() == "view"

    # Bob opens the (still empty) collection and keeps the page open.
    bob_context = context_like(browser, screen)
    bob = bob_context.new_page()
    log_in(bob, server, "bob", "bob-password")
    bob.goto(f"{server.url}/c/{slug}/")
    assert bob.locator(".fp-no-image").is_visible()
    assert bob.locator("#fp-manage").is_hidden()  # a viewer gets no panel
    bob.evaluate("window.notReloaded = true")

    # Alice uploads three files at once: three rows, a bar each, each warmed to ready.
    alice.set_input_files("#upload input[type=file]", fits_files(tmp_path, 3))
    alice.click("#upload button[type=submit]")
    rows = alice.locator(".fp-files .fp-file")
    rows.first.wait_for()
    assert rows.count() == 3 and alice.locator(".fp-files .fp-file progress").count() == 3
    assert rows.locator(".fp-file-name").all_inner_texts() == [
        "night-1.fits", "night-2.fits", "night-3.fits",
    ]  # fmt: skip
    alice.wait_for_function(
        "[...document.querySelectorAll('.fp-files .fp-file')].every(r => r.dataset.state === 'ready')",
        timeout=60_000,
    )
    assert alice.locator(".fp-files progress").evaluate_all("bars => bars.map(b => b.value)") == [
        100,
        100,
        100,
    ]
    alice.wait_for_function(
        "document.querySelectorAll('.fp-images .fp-card[data-state=ready]').length === 3"
    )  # the grid follows the uploads' warming too
    assert alice.locator(".fp-image-count").inner_text() == "3 images"
    screen.shot("page")
    panel.scroll_into_view_if_needed()
    screen.shot("sharing-panel")

    # Bob's open page got the three images, ready, without a reload.
    bob.wait_for_function(
        "document.querySelectorAll('.fp-images .fp-card[data-state=ready]').length === 3",
        timeout=30_000,
    )
    assert bob.evaluate("window.notReloaded") is True
    assert bob.locator(".fp-no-image").count() == 0
    image_url = urlsplit(bob.locator(".fp-images .fp-card").first.get_attribute("href")).path
    viewer = bob.goto(server.url + image_url)
    assert viewer.status == 200 and bob.locator("#viewer").count() == 1

    # Alice revokes: bob's next visit is a 404 page like any missing image's.
    bob_row.locator(".fp-revoke").click()
    bob_row.wait_for(state="detached")
    revoked = bob.goto(server.url + image_url)
    assert revoked.status == 404
    assert bob.locator("header").count() == 1  # the portal's layout
    assert "signed in as bob" in bob.locator(".fp-error").inner_text()
    missing = bob.goto(server.url + "/images/999999/")
    assert missing.status == 404
    assert bob.locator("h1").inner_text() == "Nothing to show here"
    bob_context.close()

    # Signed out, the same page offers to log in and come back.
    anonymous_context = context_like(browser, screen)
    anonymous = anonymous_context.new_page()
    response = anonymous.goto(server.url + image_url)
    assert response.status == 404
    login_link = anonymous.locator(".fp-error a.fp-button")
    assert login_link.get_attribute("href") == f"/accounts/login/?next={image_url}"
    anonymous.screenshot(path=str(screen_path(screen, "not-found")))
    anonymous_context.close()


def screen_path(screen, step):
    from .conftest import ARTIFACTS

    return ARTIFACTS / f"test_share_upload_live_and_revoke-{screen.name}-{step}.png"


def test_rename_move_and_delete_with_confirmation(page, server, tmp_path):
    log_in(page, server, "alice", "alice-password")
    source = page.evaluate(CREATE, "Tonight")
    target = page.evaluate(CREATE, "Archive of tonight")
    page.goto(f"{server.url}/c/{source}/")
    page.locator("#fp-manage").wait_for(state="visible")

    # Rename and open to the team: the page follows, the API agrees.
    page.fill(".fp-settings-form input[name=name]", "Tonight, first half")
    page.select_option(".fp-settings-form select[name=visibility]", "team")
    page.click(".fp-settings-form button[type=submit]")
    page.wait_for_function(
        "document.querySelector('.fp-settings-form .fp-message').textContent === 'Saved.'"
    )
    assert page.locator("h1").inner_text() == "Tonight, first half"
    assert page.locator(".fp-collection-visibility").inner_text() == "team"
    body = page.request.get(f"{server.url}/api/collections/{source}/").json()
    assert (body["name"], body["visibility"]) == ("Tonight, first half", "team")

    # Move an uploaded image to the other collection.
    page.set_input_files("#upload input[type=file]", fits_files(tmp_path, 1))
    page.click("#upload button[type=submit]")
    page.locator(".fp-images .fp-card").wait_for()
    page.select_option(".fp-move-form select[name=collection]", target)
    page.locator(".fp-move-form select[name=images] option").first.wait_for(state="attached")
    page.select_option(".fp-move-form select[name=images]", index=0)
    page.click(".fp-move-form button[type=submit]")
    page.wait_for_function("!document.querySelector('.fp-images .fp-card')")
    assert "Moved 1 image to Archive of tonight" in page.inner_text(".fp-move-form .fp-message")
    moved = page.request.get(f"{server.url}/api/collections/{target}/images/").json()
    assert [image["name"] for image in moved["results"]] == ["night-1.fits"]

    # Delete: nothing happens until the name is typed in the dialog.
    page.click("[data-action=delete-collection]")
    dialog = page.locator("#fp-confirm")
    dialog.wait_for(state="visible")
    confirm = dialog.locator("button[value=ok]")
    assert confirm.is_disabled()
    dialog.locator("input").fill("Tonight")
    assert confirm.is_disabled()
    dialog.locator("button[value=cancel]").click()
    assert page.request.get(f"{server.url}/api/collections/{source}/").status == 200
    page.click("[data-action=delete-collection]")
    dialog.locator("input").fill("Tonight, first half")
    confirm.click()
    page.wait_for_url(server.url + "/")
    assert page.request.get(f"{server.url}/api/collections/{source}/").status == 404
    assert page.request.get(f"{server.url}/api/collections/{target}/").status == 200
