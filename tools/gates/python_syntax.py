"""Check that Python files parse, and their annotations evaluate, on older Pythons than this one.

The sanity gate compiles and imports the modules and module_utils with every managed-node Python it
finds; for a version it does not find, it runs this instead:

    python python_syntax.py --python 3.8 --python 3.9 plugins/modules plugins/module_utils

``ast.parse(feature_version=...)`` is best effort: it rejects most newer syntax (the walrus before
3.8, parenthesized context managers before 3.9, ``match`` before 3.10, ``except*`` before 3.11,
and whatever this Python's own grammar lacks), but it accepts at any feature_version the relaxed
decorators of 3.9 (PEP 614) and starred subscripts of 3.11 (PEP 646). Those are found here by
walking the tree, and so are annotations that an older Python evaluates at definition time and
cannot (``list[int]`` before 3.9, ``int | None`` before 3.10) unless the file defers them with
``from __future__ import annotations``. Library changes (``str.removeprefix``, ``dict | dict``)
are not syntax: only the import test with a real interpreter catches those.

Before checking anything, every probe in PROBES is run against the checker itself, so a Python
whose parser stopped rejecting one of them fails loudly instead of letting the construct through.
Exit status: 0 clean, 1 findings, 2 usage error or failed self-test.
"""

import argparse
import ast
import sys
from pathlib import Path

BUILTIN_GENERICS = {"dict", "frozenset", "list", "set", "tuple", "type"}

# (construct, first Python that accepts it, a module using it)
PROBES = [
    ("assignment expression", (3, 8), "if (n := 1):\n    pass\n"),
    ("positional-only parameter", (3, 8), "def f(a, /):\n    pass\n"),
    ("parenthesized context managers", (3, 9), "with (open('a') as a, open('b') as b):\n    pass\n"),
    ("relaxed decorator", (3, 9), "@handlers[0].register\ndef f():\n    pass\n"),
    ("builtin generic annotation", (3, 9), "def f(x: list[int]):\n    pass\n"),
    ("union annotation", (3, 10), "def f() -> int | None:\n    pass\n"),
    ("match statement", (3, 10), "match x:\n    case 1:\n        pass\n"),
    ("exception group", (3, 11), "try:\n    pass\nexcept* ValueError:\n    pass\n"),
    ("starred subscript", (3, 11), "x = a[*b]\n"),
]


def _version_text(version):
    return "%d.%d" % version


class _NewerThan(ast.NodeVisitor):
    """Finds what ast.parse lets through at an older feature_version: (node, construct, since)."""

    def __init__(self, deferred_annotations):
        self.deferred = deferred_annotations
        self.found = []

    def _annotation(self, node):
        if node is None or self.deferred:
            return
        for part in ast.walk(node):
            if isinstance(part, ast.Subscript) and isinstance(part.value, ast.Name) \
                    and part.value.id in BUILTIN_GENERICS:
                self.found.append((part, "builtin generic annotation %s[...]" % part.value.id, (3, 9)))
            elif isinstance(part, ast.BinOp) and isinstance(part.op, ast.BitOr):
                self.found.append((part, "union annotation X | Y", (3, 10)))

    def _decorators(self, node):
        for decorator in node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            while isinstance(target, ast.Attribute):
                target = target.value
            if not isinstance(target, ast.Name):  # before 3.9: a dotted name, optionally called
                self.found.append((decorator, "relaxed decorator", (3, 9)))

    def visit_FunctionDef(self, node):
        self._decorators(node)
        arguments = node.args
        for arg in arguments.posonlyargs + arguments.args + arguments.kwonlyargs + \
                [a for a in (arguments.vararg, arguments.kwarg) if a]:
            self._annotation(arg.annotation)
        self._annotation(node.returns)
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        self._decorators(node)
        self.generic_visit(node)

    def visit_AnnAssign(self, node):
        self._annotation(node.annotation)  # evaluated in modules and class bodies
        self.generic_visit(node)

    def visit_Subscript(self, node):
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if any(isinstance(item, ast.Starred) for item in items):
            self.found.append((node, "starred subscript", (3, 11)))
        self.generic_visit(node)


def _defers_annotations(tree):
    return any(isinstance(node, ast.ImportFrom) and node.module == "__future__"
               and any(alias.name == "annotations" for alias in node.names) for node in tree.body)


def check_source(source, version, filename="<probe>"):
    """Problems of one file for one Python version: a list of (line, column, message)."""
    try:
        tree = ast.parse(source, filename=filename, feature_version=version)
    except SyntaxError as error:
        return [(error.lineno or 0, error.offset or 0, error.msg)]
    visitor = _NewerThan(_defers_annotations(tree))
    visitor.visit(tree)
    return [(node.lineno, node.col_offset + 1,
             "%s is only supported in Python %s and greater" % (construct, _version_text(since)))
            for node, construct, since in visitor.found if version < since]


def self_test():
    """Probes the checker gets wrong on this Python: each must fail just before its version and pass from it."""
    wrong = []
    for construct, since, source in PROBES:
        before = (since[0], since[1] - 1)
        if not check_source(source, before):
            wrong.append("%s is not rejected for Python %s" % (construct, _version_text(before)))
        if check_source(source, since):
            wrong.append("%s is rejected for Python %s" % (construct, _version_text(since)))
    return wrong


def python_files(paths):
    for path in map(Path, paths):
        yield from sorted(path.rglob("*.py")) if path.is_dir() else [path]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--python", action="append", required=True, metavar="X.Y",
                        help="a Python version the files must run on (repeatable)")
    parser.add_argument("paths", nargs="+", help="files, or directories searched for *.py")
    options = parser.parse_args(argv)
    versions = sorted(tuple(int(part) for part in text.split(".")) for text in options.python)
    newer = [v for v in versions if v > sys.version_info[:2]]
    if newer:
        parser.error("this Python (%s) cannot check newer versions: %s"
                     % (_version_text(sys.version_info[:2]), ", ".join(map(_version_text, newer))))

    wrong = self_test()
    if wrong:
        for line in wrong:
            print("self-test: %s" % line)
        return 2
    files = list(python_files(options.paths))
    if not files:
        parser.error("no Python files in %s" % " ".join(options.paths))
    findings = 0
    for path in files:
        source = path.read_text(encoding="utf-8")
        for version in versions:
            for line, column, message in check_source(source, version, str(path)):
                print("ERROR: %s:%d:%d: Python %s: %s" % (path, line, column, _version_text(version), message))
                findings += 1
    print("python_syntax: %d file(s), Python %s: %d finding(s); self-test: %d probes"
          % (len(files), ", ".join(map(_version_text, versions)), findings, len(PROBES)))
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
