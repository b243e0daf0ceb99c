"""Build Lambda assets on this machine, without Docker.

The extractor's dependencies (spotipy, requests, Powertools …) are pure Python, so pip can fetch the wheels
for the Lambda platform from here (``--platform manylinux2014_aarch64 --only-binary=:all:``). Unit tests set
``skip_pip_install`` to package only the source: synth stays fast and needs no registry.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

#: Must match the function runtime: pip resolves wheels for this interpreter version.
LAMBDA_PYTHON_VERSION = "3.13"
LAMBDA_RUNTIME = lambda_.Runtime.PYTHON_3_13
LAMBDA_ARCHITECTURE = lambda_.Architecture.ARM_64
_PIP_PLATFORM = "manylinux2014_aarch64"
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "tests", ".pytest_cache")


class BundlingFailed(RuntimeError):
    """The Lambda asset could not be built; the message says which step and why."""


@jsii.implements(ILocalBundling)
class LocalPythonBundling:
    """Copy ``packages`` of ``source`` (and the ``shared`` package folders, such as the lake contract) into the
    asset, and pip-install ``source/requirements.txt`` beside them unless ``needs_requirements`` is off."""

    def __init__(
        self,
        source: Path,
        packages: tuple[str, ...],
        *,
        skip_pip_install: bool,
        shared: tuple[Path, ...] = (),
        needs_requirements: bool = True,
    ) -> None:
        self._source = source
        self._packages = packages
        self._shared = shared
        self._skip_pip_install = skip_pip_install or not needs_requirements
        self._needs_requirements = needs_requirements

    def try_bundle(self, output_dir: str, *, image: DockerImage, **_options: object) -> bool:
        out = Path(output_dir)
        requirements = self._source / "requirements.txt"
        if not self._skip_pip_install and requirements.exists():
            self._pip_install(requirements, out)
        elif not self._skip_pip_install:
            raise BundlingFailed(f"{requirements} is missing: the Lambda would start without its dependencies")
        folders = [self._source / package for package in self._packages] + list(self._shared)
        for src in folders:
            if not src.is_dir():
                raise BundlingFailed(f"{src} is missing: nothing to bundle")
            shutil.copytree(src, out / src.name, ignore=_IGNORED, dirs_exist_ok=True)
        return True

    @staticmethod
    def _pip_install(requirements: Path, out: Path) -> None:
        command = [
            sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
            "--platform", _PIP_PLATFORM, "--implementation", "cp", "--python-version", LAMBDA_PYTHON_VERSION,
            "--only-binary=:all:", "--target", str(out), "-r", str(requirements),
        ]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise BundlingFailed(f"pip install -r {requirements} for {_PIP_PLATFORM} failed:\n{result.stderr[-2000:]}")


def python_lambda_code(
    source: Path,
    packages: tuple[str, ...],
    *,
    skip_pip_install: bool,
    shared: tuple[Path, ...] = (),
    needs_requirements: bool = True,
) -> lambda_.Code:
    """Lambda code built locally from ``source`` plus the ``shared`` packages; never falls back to Docker."""
    return lambda_.Code.from_asset(
        str(source),
        # Hash the built output, so a source-only test bundle never passes for the real one in a cached cdk.out.
        asset_hash_type=AssetHashType.OUTPUT,
        bundling=BundlingOptions(
            # Required by the API but unused: local bundling always succeeds or raises.
            image=DockerImage.from_registry("public.ecr.aws/sam/build-python3.13"),
            local=LocalPythonBundling(
                source,
                packages,
                skip_pip_install=skip_pip_install,
                shared=shared,
                needs_requirements=needs_requirements,
            ),
        ),
    )
