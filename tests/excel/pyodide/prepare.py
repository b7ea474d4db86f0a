"""Gets what the Pyodide harness needs from the package registries, once: the npm `pyodide` package (package.json)
into node_modules/, and the bundle's requirements as pure-Python wheels into .cache/wheels/ (both git-ignored).

Lite installs its requirements with micropip, which takes a package Pyodide ships (jinja2, python-dateutil, their
MarkupSafe and six) from Pyodide's own distribution at the version in pyodide-lock.json, and anything else (xlwings)
from PyPI. That distribution is not reachable here, so each package is downloaded from PyPI at Pyodide's version; a
package without a pure-Python wheel there (MarkupSafe) is built from its sdist without its optional C speedups.
Standard library only: `.ci/run` runs it before the project is installed.

    python tests/excel/pyodide/prepare.py [--xlwings VERSION]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
WHEELS = HERE / ".cache" / "wheels"
PYODIDE = HERE / "node_modules" / "pyodide"


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def node_modules() -> Path:
    """node_modules/pyodide at package.json's version (npm install when it is missing or another version)."""
    wanted = json.loads((HERE / "package.json").read_text())["dependencies"]["pyodide"]
    installed = PYODIDE / "package.json"
    if not installed.exists() or json.loads(installed.read_text())["version"] != wanted:
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm is not installed: install Node.js (with npm) to run sheetflow's bundle in Pyodide")
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--no-package-lock"], cwd=HERE, check=True, stdout=sys.stderr
        )
    return PYODIDE


def requirements() -> list[str]:
    """The bundle's requirements.txt, as `sheetflow excel lite` writes it."""
    sys.path.insert(0, str(ROOT))
    from sheetflow.excel.lite import REQUIREMENTS

    found = [line.strip() for line in REQUIREMENTS.splitlines() if line.strip() and not line.startswith("#")]
    if not any(canonical(re.split(r"[<>=!~ \[;]", r, maxsplit=1)[0]) == "xlwings" for r in found):
        found.insert(0, "xlwings<1.0.0")  # Lite always has xlwings (a bundle made before it was listed)
    return found


def _found(name: str, version: str | None) -> Path | None:
    """A cached pure wheel of the package (at the version, when given; else the newest cached)."""
    hits = []
    for wheel in WHEELS.glob("*-none-any.whl"):
        dist, ver = wheel.name.split("-")[:2]
        if canonical(dist) == canonical(name) and (version is None or ver == version):
            hits.append(wheel)
    return sorted(hits)[-1] if hits else None


def _pip(*args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", *args, "--disable-pip-version-check", "-q"],
        check=True,
        stdout=sys.stderr,
        env=env,
    )


def _wheel(name: str, spec: str, version: str | None) -> Path:
    """The pure-Python wheel of `spec`: cached, downloaded from PyPI, or built from the sdist without C code."""
    cached = _found(name, version) if version else None
    if cached:
        return cached
    with tempfile.TemporaryDirectory() as tmp:
        try:
            _pip(
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "--platform",
                "any",
                "--python-version",
                "3.14",
                "--implementation",
                "py",
                "--abi",
                "none",
                "-d",
                tmp,
                spec,
            )
        except subprocess.CalledProcessError:  # no pure wheel on PyPI: the sdist, its C extension failing to build
            env = {**os.environ, "CC": "false", "CXX": "false"}
            _pip("wheel", "--no-deps", "--no-binary=:all:", "-w", tmp, spec, env=env)
        made = [p for p in Path(tmp).glob("*.whl")]
        if len(made) != 1 or not made[0].name.endswith("-none-any.whl"):
            raise RuntimeError(f"{spec}: no pure-Python wheel could be had ({[p.name for p in made]})")
        WHEELS.mkdir(parents=True, exist_ok=True)
        target = WHEELS / made[0].name
        shutil.move(made[0], target)
        return target


def _depends(wheel: Path) -> list[str]:
    """The wheel's unconditional requirements (its Requires-Dist lines without a marker)."""
    with zipfile.ZipFile(wheel) as archive:
        meta = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        lines = archive.read(meta).decode().splitlines()
    return [line.split(":", 1)[1].strip() for line in lines if line.startswith("Requires-Dist:") and ";" not in line]


def wheels(xlwings: str | None = None) -> Path:
    """Every wheel the bundle needs, dependencies first, listed in .cache/wheels/wheels.json; returns the folder."""
    lock = json.loads((node_modules() / "pyodide-lock.json").read_text())["packages"]
    order: list[Path] = []
    seen: set[str] = set()

    def add(spec: str) -> None:
        name = canonical(re.split(r"[<>=!~ \[;]", spec, maxsplit=1)[0])
        if name in seen:
            return
        seen.add(name)
        if name in lock:  # Pyodide ships it: micropip takes Pyodide's version
            version = lock[name]["version"]
            wheel = _wheel(name, f"{name}=={version}", version)
            deps = lock[name]["depends"]
        else:
            pinned = f"{name}=={xlwings}" if name == "xlwings" and xlwings else spec
            version = pinned.split("==")[1] if "==" in pinned else None
            wheel = _wheel(name, pinned, version)
            deps = _depends(wheel)
        for dep in deps:
            add(dep)
        order.append(wheel)

    for spec in requirements():
        add(spec)
    micropip = _wheel("micropip", f"micropip=={lock['micropip']['version']}", lock["micropip"]["version"])
    manifest = {"micropip": micropip.name, "wheels": [w.name for w in order]}
    (WHEELS / "wheels.json").write_text(json.dumps(manifest, indent=1))
    return WHEELS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--xlwings", help="the xlwings version to run in Pyodide (default: the newest allowed)")
    args = parser.parse_args()
    folder = wheels(args.xlwings)
    print(json.loads((folder / "wheels.json").read_text()))


if __name__ == "__main__":
    main()
