"""A pytest plugin for ``make mutation`` only (``[tool.mutmut]`` in pyproject.toml loads it).

mutmut runs the selected tests more than once in its own process (to record which tests
run which function, then once unmutated) before it forks one process per mutant. Each
of those runs starts here with the process-level caches empty, as a new process would:
open images, tiles, identities and access answers, file verdicts.
"""


def pytest_sessionstart(session):
    from django.core.cache import caches

    from portal import auth, permissions
    from tiles import file_check, service

    service._open_images.clear()
    caches["tiles"].clear()
    permissions.forget_cached_access()
    auth.forget_everyone()
    file_check.forget()
