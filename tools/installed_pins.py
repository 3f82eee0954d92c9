#!/usr/bin/env python
"""`make test-oldest-deps`: show the releases the venv holds, and fail unless each is the one pinned.

Usage: installed_pins.py NAME==VERSION ...
"""

import sys
from importlib import metadata


def main(pins):
    wrong = []
    shown = []
    for pin in pins:
        name, wanted = pin.split("==")
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = None
        shown.append("%s %s" % (name, installed))
        if installed != wanted:
            wrong.append("%s is %s, not %s" % (name, installed, wanted))
    print("oldest deps: " + ", ".join(shown))
    if wrong:
        sys.exit("oldest deps: " + "; ".join(wrong))


if __name__ == "__main__":
    main(sys.argv[1:])
