"""AWX / Automation Platform execution environment: ansible-builder's build context.

``ansible-builder create`` only writes a build context (no container engine, no network). The
test then does offline what the context's Containerfile does in its galaxy and builder stages:
install the collection from the tarball in the context, and run the context's own introspection
script over it, which reads the collection's ``meta/execution-environment.yml``. So a missing or
broken requirement declaration fails here, not in somebody's image build.
"""

import re
import subprocess
import sys

import pytest
import yaml

from ansible_env import BIN, ROOT

BUILD = ROOT / ".tmp" / "build"


@pytest.fixture(scope="module")
def tarball():
    version = yaml.safe_load((ROOT / "galaxy.yml").read_text())["version"]
    path = BUILD / ("intune-autopilot-%s.tar.gz" % version)
    if not path.is_file():
        pytest.fail("%s does not exist: run the tests with `make test` (or `make collection` first)." % path)
    return path


@pytest.fixture(scope="module")
def context(tmp_path_factory, tarball):
    """An EE definition that installs the collection from its tarball, and its build context."""
    builder = BIN / "ansible-builder"
    if not builder.exists():
        pytest.fail("ansible-builder is not installed in %s: run `make test` (requirements-test.txt)." % BIN)
    work = tmp_path_factory.mktemp("ee")
    definition = {
        "version": 3,
        "images": {"base_image": {"name": "quay.io/ansible/awx-ee:latest"}},
        "additional_build_files": [{"src": str(tarball), "dest": "collections"}],
        "dependencies": {"galaxy": {"collections": [
            {"name": "/build/collections/%s" % tarball.name, "type": "file"}]}},
    }
    (work / "execution-environment.yml").write_text(yaml.safe_dump(definition, sort_keys=False))
    result = subprocess.run(
        [str(builder), "create", "-f", "execution-environment.yml", "-c", "context",
         "--output-filename", "Containerfile"],
        cwd=str(work), capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return work / "context"


def test_the_context_carries_the_collection_and_installs_it(context, tarball):
    containerfile = (context / "Containerfile").read_text()
    requirements = yaml.safe_load((context / "_build" / "requirements.yml").read_text())

    assert (context / "_build" / "collections" / tarball.name).read_bytes() == tarball.read_bytes()
    assert requirements["collections"] == [{"name": "/build/collections/%s" % tarball.name, "type": "file"}]
    assert "COPY _build /build" in containerfile
    assert "ansible-galaxy collection install" in containerfile
    assert "-r requirements.yml" in containerfile
    # The builder stage collects the installed collections' Python requirements.
    assert "introspect.py introspect" in containerfile and "--write-pip=" in containerfile


def test_the_collections_python_requirements_reach_the_image(context, tmp_path):
    """The galaxy and builder stages, offline: install from the context, then introspect."""
    collections = tmp_path / "collections"
    tarball = next((context / "_build" / "collections").glob("intune-autopilot-*.tar.gz"))
    install = subprocess.run(
        [str(BIN / "ansible-galaxy"), "collection", "install", "--offline", "--force", "-p", str(collections), str(tarball)],
        capture_output=True, text=True, timeout=120, check=False)
    assert install.returncode == 0, install.stdout + install.stderr
    installed = collections / "ansible_collections" / "intune" / "autopilot"
    assert (installed / "meta" / "execution-environment.yml").is_file()

    pip, bindep = tmp_path / "requirements.txt", tmp_path / "bindep.txt"
    introspect = subprocess.run(
        [sys.executable, str(context / "_build" / "scripts" / "introspect.py"), "introspect", str(collections),
         "--write-pip=%s" % pip, "--write-bindep=%s" % bindep],
        capture_output=True, text=True, timeout=120, check=False)
    assert introspect.returncode == 0, introspect.stdout + introspect.stderr

    names = [line.split("#")[0].strip() for line in pip.read_text().splitlines()]
    names = [n for n in names if n]
    for floor in ("msal>=1.35.0", "requests>=2.25.0", "cryptography>=39.0.0"):
        assert floor in names, names
    # Every line comes from this collection's requirements.txt and says so.
    assert all("from collection intune.autopilot" in line for line in pip.read_text().splitlines() if line.strip())
    # No system packages are needed.
    assert not bindep.exists()


def test_the_declared_requirements_are_the_runtime_requirements():
    """meta/execution-environment.yml points at requirements.txt, which holds exactly msal, requests and
    cryptography (certificates)."""
    meta = yaml.safe_load((ROOT / "meta" / "execution-environment.yml").read_text())
    assert meta["dependencies"] == {"python": "requirements.txt"}
    lines = [line.split("#")[0].strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    names = sorted(re.split(r"[<>=!~;\[ ]", line)[0] for line in lines if line)
    assert names == ["cryptography", "msal", "requests"]
