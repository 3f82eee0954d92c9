# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""The token cache's private file store: on-disk JSON shared by the tasks of one controller user.

Entries are files readable by their owner only (0600 in a 0700 directory),
written atomically. An entry that another user owns, or that others could
have written or replaced (through its directory or any parent of it), is
ignored: a cache must never let a local attacker steer where credentials are
sent. Failing to cache never fails a task.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import stat
import tempfile
import time

# A temporary file of a write that was interrupted (killed task, full disk) is
# removed by a later write once it is this old: no write takes that long.
LEFTOVER_AGE = 60.0
_TEMP_PREFIX = ".tmp-"


def _ancestors(path):
    """``path`` and every directory above it, up to the root."""
    path = os.path.abspath(path)
    while True:
        yield path
        parent = os.path.dirname(path)
        if parent == path:
            return
        path = parent


def _safe_directory(info, ours):
    """A directory that only we (``ours``), or we and root, can change. A root-owned sticky
    directory such as /tmp may be writable by all: nobody can replace what another put there."""
    owners = (os.geteuid(),) if ours else (os.geteuid(), 0)
    shared = bool(info.st_mode & (stat.S_IWGRP | stat.S_IWOTH))
    sticky_root = bool(info.st_mode & stat.S_ISVTX) and info.st_uid == 0
    return stat.S_ISDIR(info.st_mode) and info.st_uid in owners and (not shared or sticky_root)


def cache_key(*parts):
    """A file name for ``parts``; a hash, so nothing about them shows in the name."""
    return hashlib.sha256("\0".join(str(p) for p in parts).encode("utf-8")).hexdigest()


class DiskCache:
    """JSON entries under ``path/<kind>/<key>.json``."""

    def __init__(self, path):
        self.path = path

    def _file(self, kind, key):
        return os.path.join(self.path, kind, key + ".json")

    @staticmethod
    def _trusted(info):
        owned = info.st_uid == os.geteuid()
        private = not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH | stat.S_IRGRP | stat.S_IROTH)
        return owned and private and stat.S_ISREG(info.st_mode)

    def _trusted_tree(self, directory):
        """True when nobody else can have written or replaced anything under ``directory``: it and
        the cache root are ours and private to writes, every parent is ours or root's (checked both
        along the path as given and along its real path, so a symlink changes nothing)."""
        ours = {os.path.realpath(directory), os.path.realpath(self.path)}
        paths = set(_ancestors(directory)) | set(_ancestors(os.path.realpath(directory)))
        return all(_safe_directory(os.stat(path), os.path.realpath(path) in ours) for path in paths)

    def read(self, kind, key, max_age=None):
        """The entry as parsed JSON, or None when missing, stale, untrusted or corrupt."""
        path = self._file(kind, key)
        try:
            if not self._trusted_tree(os.path.dirname(path)):
                return None
            # O_NONBLOCK: a FIFO planted as an entry must not hang the task (fstat refuses it next).
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        except OSError:
            return None
        try:
            info = os.fstat(fd)
            if not self._trusted(info):
                return None
            if max_age is not None and time.time() - info.st_mtime > max_age:
                return None
            with os.fdopen(fd, "r") as handle:
                fd = None
                return json.load(handle)
        except (OSError, ValueError):
            return None
        finally:
            if fd is not None:
                os.close(fd)

    def write(self, kind, key, value):
        """Store ``value`` atomically with mode 0600; return False if it could not be stored."""
        directory = os.path.join(self.path, kind)
        try:
            for path in (self.path, directory):  # both private, not only the leaf
                if not os.path.isdir(path):
                    os.makedirs(path, mode=0o700, exist_ok=True)
            if not self._trusted_tree(directory):
                return False
            _remove_leftovers(directory)
            fd, temp = tempfile.mkstemp(dir=directory, prefix=_TEMP_PREFIX)  # created 0600
            try:
                with os.fdopen(fd, "w") as handle:
                    json.dump(value, handle)
                os.replace(temp, self._file(kind, key))
            except Exception:
                os.unlink(temp)
                raise
            return True
        except (OSError, ValueError, TypeError):
            return False

    def delete(self, kind, key):
        try:
            os.unlink(self._file(kind, key))
        except OSError:
            pass


def _remove_leftovers(directory, now=None):
    """Remove the temporary files of interrupted writes (ours, older than LEFTOVER_AGE)."""
    now = time.time() if now is None else now
    for name in os.listdir(directory):
        if not name.startswith(_TEMP_PREFIX):
            continue
        path = os.path.join(directory, name)
        try:
            info = os.lstat(path)
            if info.st_uid == os.geteuid() and now - info.st_mtime > LEFTOVER_AGE:
                os.unlink(path)
        except OSError:
            pass  # another task removed it first
