"""Local (Docker-free) bundling of the extractor asset."""

from __future__ import annotations

import pytest
from aws_cdk import DockerImage

from stacks.bundling import BundlingFailed, LocalPythonBundling


def make_source(tmp_path, *, requirements: bool):
    source = tmp_path / "src"
    (source / "pkg" / "__pycache__").mkdir(parents=True)
    (source / "pkg" / "__init__.py").write_text("")
    (source / "pkg" / "handler.py").write_text("def lambda_handler(e, c):\n    return e\n")
    (source / "pkg" / "__pycache__" / "handler.cpython-311.pyc").write_bytes(b"x")
    (source / "tests").mkdir()
    (source / "tests" / "test_x.py").write_text("")
    if requirements:
        (source / "requirements.txt").write_text("spotipy==2.26.0\n")
    return source


def test_source_only_bundle_copies_the_package_without_caches(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    bundler = LocalPythonBundling(make_source(tmp_path, requirements=True), ("pkg",), skip_pip_install=True)
    assert bundler.try_bundle(str(out), image=DockerImage.from_registry("unused"))
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == ["pkg", "pkg/__init__.py", "pkg/handler.py"]


def test_a_real_bundle_without_requirements_fails_loudly(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    bundler = LocalPythonBundling(make_source(tmp_path, requirements=False), ("pkg",), skip_pip_install=False)
    with pytest.raises(BundlingFailed, match=r"requirements.txt is missing"):
        bundler.try_bundle(str(out), image=DockerImage.from_registry("unused"))


def test_a_missing_package_fails_loudly(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    bundler = LocalPythonBundling(make_source(tmp_path, requirements=True), ("nothere",), skip_pip_install=True)
    with pytest.raises(BundlingFailed, match=r"nothere is missing"):
        bundler.try_bundle(str(out), image=DockerImage.from_registry("unused"))


def test_shared_packages_are_copied_beside_the_function_package(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    shared = tmp_path / "contract" / "lake_contract"
    (shared / "__pycache__").mkdir(parents=True)
    (shared / "__init__.py").write_text("")
    (shared / "__pycache__" / "x.pyc").write_bytes(b"x")
    bundler = LocalPythonBundling(
        make_source(tmp_path, requirements=False),
        ("pkg",),
        skip_pip_install=False,
        shared=(shared,),
        needs_requirements=False,
    )
    assert bundler.try_bundle(str(out), image=DockerImage.from_registry("unused"))
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == [
        "lake_contract",
        "lake_contract/__init__.py",
        "pkg",
        "pkg/__init__.py",
        "pkg/handler.py",
    ]
