# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""The token cache's private file store: on-disk JSON shared by the tasks of one controller user.

Entries are files readable by their owner only (0600 in a 0700 directory),
written atomically. An entry that another user owns, or that others could
have written, is ignored: a cache must never let a local attacker steer
where credentials are sent. Failing to cache never fails a task.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import stat
import tempfile
import time


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

    def read(self, kind, key, max_age=None):
        """The entry as parsed JSON, or None when missing, stale, untrusted or corrupt."""
        path = self._file(kind, key)
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
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
            if not self._trusted_dir(directory):
                return False
            fd, temp = tempfile.mkstemp(dir=directory, prefix=".tmp-")  # created 0600
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

    @staticmethod
    def _trusted_dir(directory):
        info = os.lstat(directory)
        return (stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid()
                and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH))

    def delete(self, kind, key):
        try:
            os.unlink(self._file(kind, key))
        except OSError:
            pass
