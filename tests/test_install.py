"""The installed package carries its norms and its command, independent of the source tree."""

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO, SAMPLES


def test_installed_vkls_finds_its_norms_from_any_folder(tmp_path):
    # Run from an empty folder so that the source tree is not on sys.path.
    code = ("import json, vkls, vkls.rules.loader as l; d = l.default_norms_dir(); "
            "print(json.dumps({'package': vkls.__file__, 'norms': str(d), "
            "'files': sorted(p.name for p in d.glob('*.toml'))}))")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                         check=True)
    found = json.loads(out.stdout)
    assert found["files"] == ["clearance.toml", "compare.toml", "networks.toml", "placement.toml", "rules.toml",
                              "thermal.toml", "trees.toml"]
    package_dir = Path(found["package"]).parent
    if REPO not in package_dir.parents and package_dir != REPO / "vkls":
        # a regular (non-editable) install: the norms must sit inside the installed package
        assert Path(found["norms"]).parent == package_dir, found


def test_console_script_runs_a_sample(tmp_path):
    exe = Path(sys.executable).parent / "vkls"
    result = subprocess.run([str(exe), "check", str(SAMPLES / "leiden-vkls.toml"), "--format", "json"],
                            cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout)["summary"]["conflicts"] > 0


def test_every_subpackage_is_declared_for_installation():
    # a package missing from pyproject's list works from the source tree but not when installed
    import tomllib

    declared = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {".".join(p.relative_to(REPO).parent.parts) for p in (REPO / "vkls").rglob("__init__.py")}
    assert on_disk <= declared, on_disk - declared
