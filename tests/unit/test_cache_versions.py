"""redis_client.version_changed: the version the tenant and principal caches are checked against."""

import logging

from tenants import redis_client

KEY = "tests:version"


def _current() -> str:
    return redis_client.read_versions(KEY)[0]


def test_the_version_is_replaced_at_once(db, django_capture_on_commit_callbacks):
    before = _current()
    with django_capture_on_commit_callbacks(execute=False):
        redis_client.version_changed(KEY)
        assert _current() != before  # this transaction's own later reads see the change


def test_it_is_replaced_again_after_commit(db, django_capture_on_commit_callbacks):
    # Another process that reloads between the change and the commit reads the old rows and
    # stores them under the version it saw then; that version must not outlive the commit.
    with django_capture_on_commit_callbacks(execute=True):
        redis_client.version_changed(KEY)
        seen_before_commit = _current()
    assert _current() != seen_before_commit


def test_this_process_forgets_before_each_replacement(db, django_capture_on_commit_callbacks):
    forgotten = []
    with django_capture_on_commit_callbacks(execute=True):
        redis_client.version_changed(KEY, forget_local=lambda: forgotten.append(_current()))
        assert len(forgotten) == 1
    assert len(forgotten) == 2


def test_with_redis_down_the_change_is_logged_not_raised(
        db, redis_down, caplog, django_capture_on_commit_callbacks):
    forgotten = []
    with (caplog.at_level(logging.WARNING, logger="clm.redis"),
          django_capture_on_commit_callbacks(execute=True)):
        redis_client.version_changed(KEY, forget_local=lambda: forgotten.append(1))
    assert len(forgotten) == 2  # this process still drops its own entries
    assert [r.getMessage() for r in caplog.records if KEY in r.getMessage()] != []
