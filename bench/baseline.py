"""An earlier version of the collection, built from git, to show before/after numbers."""
import os
import shutil
import subprocess
from collections import namedtuple

from .paths import ANSIBLE_GALAXY, ROOT

BaselineCollection = namedtuple("BaselineCollection", ["ref", "sha", "short", "subject", "collections"])


def build(ref, work, log):
    """Build and install ``ref``'s collection under ``work``; None (with a note) when impossible."""
    try:
        sha = subprocess.check_output(["git", "-C", str(ROOT), "rev-parse", "--verify", ref + "^{commit}"],
                                      stderr=subprocess.DEVNULL, text=True).strip()
        subject = subprocess.check_output(["git", "-C", str(ROOT), "log", "-1", "--format=%s", sha],
                                          text=True).strip()
    except (subprocess.CalledProcessError, OSError):
        log("baseline: git ref %r not found (shallow clone?); skipping the before/after comparison" % ref)
        return None
    base = os.path.join(str(work), "..", "bench-baselines", sha[:12])
    base = os.path.abspath(base)
    collections = os.path.join(base, "collections")
    manifest = os.path.join(collections, "ansible_collections", "intune", "autopilot", "MANIFEST.json")
    if not os.path.exists(manifest):
        log("baseline: building the collection at %s (%s)" % (sha[:12], subject[:60]))
        source, build_dir = os.path.join(base, "src"), os.path.join(base, "build")
        for path in (source, build_dir):
            shutil.rmtree(path, ignore_errors=True)
            os.makedirs(path)
        archive = subprocess.Popen(["git", "-C", str(ROOT), "archive", sha], stdout=subprocess.PIPE)
        subprocess.check_call(["tar", "-x", "-C", source], stdin=archive.stdout)
        archive.wait()
        quiet = dict(stdout=subprocess.DEVNULL)
        subprocess.check_call([str(ANSIBLE_GALAXY), "collection", "build", "--output-path", build_dir, source], **quiet)
        tarball = [f for f in os.listdir(build_dir) if f.endswith(".tar.gz")][0]
        subprocess.check_call([str(ANSIBLE_GALAXY), "collection", "install", "--force", "-p", collections,
                               os.path.join(build_dir, tarball)], **quiet)
    return BaselineCollection(ref, sha, sha[:7], subject, collections)
