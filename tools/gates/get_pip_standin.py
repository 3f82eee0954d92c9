"""Offline stand-in for the ``get-pip.py`` script that ansible-test downloads.

ansible-test bootstraps pip into each sanity-test virtual environment by running
``https://ci-files.testing.ansible.com/ansible-test/get-pip-<version>.py``, cached as
``~/.ansible/test/cache/get_pip_<version>.py`` (see ansible_test/_util/target/setup/requirements.py).
That host is not reachable here, so tools/gates/sanity.sh places this file at the cache path.

It is run as ``python get_pip_X.py --disable-pip-version-check pip==X [--no-setuptools] [--no-wheel]``
(through ansible-test's quiet_pip.py).  It installs pip from the interpreter's bundled wheel with
``ensurepip`` (in a child process: ensurepip deletes the PIP_* variables from its own environment),
then, with the caller's environment and pip configuration intact (index mirrors, find-links, CA),
installs the exact packages ansible-test asked for.  If those cannot be installed (no registry
reachable at all), it keeps the bundled pip, which is enough for ansible-test, and says so.
"""
import subprocess
import sys

GET_PIP_ONLY_OPTIONS = ('--no-setuptools', '--no-wheel', '--no-pip')


def main():
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY_OPTIONS]
    subprocess.check_call([sys.executable, '-m', 'ensurepip', '--upgrade', '--default-pip'],
                          stdout=subprocess.DEVNULL)
    if not any(not arg.startswith('-') for arg in args):
        return 0
    result = subprocess.call([sys.executable, '-m', 'pip', 'install', '--quiet'] + args)
    if result != 0:
        sys.stderr.write('get-pip stand-in: could not install %s; keeping the pip bundled with '
                         'this Python (ensurepip)\n' % ' '.join(args))
    return 0


if __name__ == '__main__':
    sys.exit(main())
