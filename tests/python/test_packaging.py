"""sdk/python installs with pip, offline, on Debian's setuptools (--no-build-isolation), and the
installed packages are the SDK."""

import os
import re
import shutil
import subprocess
import sys

SDK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "sdk", "python")


def test_package_version_is_the_project_version():
    with open(os.path.join(SDK, "pyproject.toml"), encoding="utf-8") as f:
        version = re.search(r'^version = "([^"]+)"', f.read(), re.MULTILINE).group(1)
    assert version == os.environ["BATON_VERSION"]


def test_pip_installs_it_without_network(workdir):
    # pip builds in the source folder (build/, *.egg-info): build from a copy, never the tree.
    source = os.path.join(workdir, "src")
    shutil.copytree(SDK, source, ignore=shutil.ignore_patterns("build", "*.egg-info",
                                                               "__pycache__"))
    target = os.path.join(workdir, "site")
    # --target leaves the system's packages alone; --no-deps because --target cannot see the
    # Debian pyzmq and msgpack that satisfy the dependencies.
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-index",
                    "--no-build-isolation", "--no-deps", "--target", target, source],
                   check=True, env=dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1"))
    probe = ("import baton.appmonitor, digidevice.appmonitor; "
             "print(baton.appmonitor.__file__); print(digidevice.appmonitor.__file__); "
             "print(digidevice.appmonitor.register_app is baton.appmonitor.register_app)")
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True,
                         text=True, cwd=workdir, env=dict(os.environ, PYTHONPATH=target)).stdout
    baton_file, digi_file, same = out.splitlines()
    assert baton_file.startswith(target + "/baton/")
    assert digi_file.startswith(target + "/digidevice/")
    assert same == "True"
