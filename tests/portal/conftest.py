"""Fixtures of the portal's tests."""

import pytest


@pytest.fixture
def data_root(tmp_path, settings):
    """A folder the portal registers files in place from (one of its data roots)."""
    root = tmp_path / "archive"
    root.mkdir()
    settings.DATA_ROOTS = [*settings.DATA_ROOTS, root]
    return root
