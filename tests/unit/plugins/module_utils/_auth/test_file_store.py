"""DiskCache: private files, atomic writes, and refusal of entries others could have written or replaced."""

import os
import stat
import threading
import time

import pytest

from ansible_collections.intune.autopilot.plugins.module_utils._auth._file_store import (
    LEFTOVER_AGE,
    DiskCache,
    _safe_directory,
    cache_key,
)
from ansible_collections.intune.autopilot.plugins.module_utils._base._settings import default_cache_path
from ansible_collections.intune.autopilot.plugins.module_utils._auth._msal_http import usable_discovery


@pytest.fixture
def cache(tmp_path):
    return DiskCache(str(tmp_path / "cache"))


def test_round_trip_with_private_modes(cache):
    assert cache.write("tokens", "k", {"a": 1})
    assert cache.read("tokens", "k") == {"a": 1}
    path = os.path.join(cache.path, "tokens", "k.json")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
    assert not [f for f in os.listdir(os.path.dirname(path)) if f.startswith(".tmp")]


def test_missing_stale_and_corrupt_entries_read_as_none(cache):
    assert cache.read("tokens", "absent") is None
    cache.write("tokens", "old", {"a": 1})
    path = os.path.join(cache.path, "tokens", "old.json")
    os.utime(path, (1, 1))
    assert cache.read("tokens", "old", max_age=60) is None
    assert cache.read("tokens", "old") == {"a": 1}
    with open(path, "w") as handle:
        handle.write("{not json")
    assert cache.read("tokens", "old") is None


@pytest.mark.parametrize("mode", [0o644, 0o620, 0o606])
def test_entries_others_could_read_or_write_are_ignored(cache, mode):
    cache.write("discovery", "k", {"a": 1})
    os.chmod(os.path.join(cache.path, "discovery", "k.json"), mode)
    assert cache.read("discovery", "k") is None


def test_a_symlinked_entry_is_ignored(cache, tmp_path):
    cache.write("discovery", "real", {"a": 1})
    os.symlink(os.path.join(cache.path, "discovery", "real.json"), os.path.join(cache.path, "discovery", "link.json"))
    assert cache.read("discovery", "link") is None


def test_a_group_writable_directory_is_not_written_to(cache):
    os.makedirs(os.path.join(cache.path, "tokens"))
    os.chmod(os.path.join(cache.path, "tokens"), 0o777)
    assert cache.write("tokens", "k", {"a": 1}) is False
    assert cache.read("tokens", "k") is None


def test_an_unwritable_location_does_not_raise(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert DiskCache(str(blocker / "cache")).write("tokens", "k", {"a": 1}) is False


def test_delete(cache):
    cache.write("tokens", "k", {"a": 1})
    cache.delete("tokens", "k")
    cache.delete("tokens", "k")  # deleting twice is fine
    assert cache.read("tokens", "k") is None


def test_keys_are_hashes_that_separate_their_parts():
    assert cache_key("a", "bc") != cache_key("ab", "c")
    assert len(cache_key("secret")) == 64 and "secret" not in cache_key("secret")


def test_default_path_follows_xdg():
    assert default_cache_path({"XDG_CACHE_HOME": "/x"}) == "/x/intune.autopilot"
    assert default_cache_path({}).endswith("/.cache/intune.autopilot")


@pytest.mark.parametrize("document,usable", [
    ({"token_endpoint": "https://login.example/t/oauth2/v2.0/token"}, True),
    ({"token_endpoint": "https://evil.example/t/oauth2/v2.0/token"}, False),
    ({"token_endpoint": "http://login.example/t/oauth2/v2.0/token"}, False),
    ({"issuer": "https://login.example/t"}, False),
    (["not", "a", "dict"], False),
    (None, False),
])
def test_discovery_is_used_only_for_its_own_authority_host(document, usable):
    url = "https://login.example/t/v2.0/.well-known/openid-configuration"
    assert usable_discovery(url, document) is usable


# -- the parents of the cache, planted FIFOs, leftovers of interrupted writes -------------------------

def _directory(mode, uid):
    return os.stat_result((stat.S_IFDIR | mode, 0, 0, 0, uid, 0, 0, 0, 0, 0))


ME, ROOT, SOMEONE = os.geteuid(), 0, os.geteuid() + 4242


@pytest.mark.parametrize("mode,uid,ours,safe", [
    (0o700, ME, True, True),
    (0o755, ME, True, True),
    (0o775, ME, True, False),         # group could replace what is in it
    (0o757, ME, True, False),         # others could
    (0o755, ROOT, False, True),       # /, /home, /var/cache
    (0o1777, ROOT, False, True),      # /tmp: sticky, nobody replaces another's entries
    (0o777, ROOT, False, False),      # writable by all and not sticky
    (0o1777, SOMEONE, False, False),  # sticky, but its owner may replace anything in it
    (0o755, SOMEONE, False, False),   # another user's directory
])
def test_which_directories_are_safe(mode, uid, ours, safe):
    assert _safe_directory(_directory(mode, uid), ours) is safe


@pytest.mark.parametrize("where", ["parent", "root"])
def test_a_group_writable_parent_or_root_is_neither_read_nor_written(tmp_path, where):
    cache = DiskCache(str(tmp_path / "parent" / "cache"))
    assert cache.write("tokens", "k", {"a": 1})
    os.chmod(str(tmp_path / "parent") if where == "parent" else cache.path, 0o770)
    assert cache.read("tokens", "k") is None
    assert cache.write("tokens", "k", {"a": 2}) is False


def test_a_symlink_into_an_unsafe_place_is_not_trusted(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    real = DiskCache(str(shared / "cache"))
    assert real.write("tokens", "k", {"a": 1})
    shared.chmod(0o777)
    (tmp_path / "safe").mkdir()
    os.symlink(str(shared / "cache"), str(tmp_path / "safe" / "cache"))
    assert DiskCache(str(tmp_path / "safe" / "cache")).read("tokens", "k") is None


def test_a_fifo_planted_as_an_entry_does_not_hang_the_read(cache):
    cache.write("tokens", "other", {"a": 1})
    path = os.path.join(cache.path, "tokens", "k.json")
    os.mkfifo(path, 0o600)
    outcome = []
    reader = threading.Thread(target=lambda: outcome.append(cache.read("tokens", "k")), daemon=True)
    reader.start()
    reader.join(5)
    hung = reader.is_alive()
    if hung:  # release the blocked open() so the thread can end
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
    assert not hung, "reading a FIFO entry blocked"
    assert outcome == [None]


def test_leftovers_of_interrupted_writes_are_removed_once_old(cache):
    cache.write("tokens", "k", {"a": 1})
    directory = os.path.join(cache.path, "tokens")
    old, fresh = os.path.join(directory, ".tmp-old"), os.path.join(directory, ".tmp-fresh")
    for path in (old, fresh):
        with open(path, "w") as handle:
            handle.write("{}")
    os.utime(old, (time.time() - LEFTOVER_AGE - 5,) * 2)
    assert cache.write("tokens", "k", {"a": 2})
    assert sorted(os.listdir(directory)) == [".tmp-fresh", "k.json"]  # a fresh one may be a write under way
