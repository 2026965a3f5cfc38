"""Generated local files: a fresh one finds the shared DAVIS-2016 copy beside the checkout; an existing
one is read as it is."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Dict

import pytest

from ltr.admin import environment


def _defaults() -> Dict[str, str]:
    return {"workspace_dir": "ws", "davis16_dir": "", "lasot_dir": ""}


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A checkout at tmp_path/repo, with no local file yet and no BOX2SEG_ overrides of its fields."""
    repo = tmp_path / "repo"
    repo.mkdir()
    monkeypatch.setattr(environment, "REPO_ROOT", repo)
    for name in _defaults():
        monkeypatch.delenv(environment.ENV_PREFIX + name.upper(), raising=False)
    return repo


def _load(checkout: Path, module: str) -> environment.EnvironmentSettings:
    with pytest.warns(UserWarning, match="did not exist"):
        return environment.load_local(module, checkout / "local.py", _defaults, "Test paths.")


def test_new_local_file_points_at_shared_davis16(checkout: Path) -> None:
    shared = checkout.parent / "shared" / "data" / "davis2016-train"
    shared.mkdir(parents=True)
    settings = _load(checkout, "box2seg_test_absent_local_a")
    assert settings.davis16_dir == str(shared)
    assert settings.lasot_dir == ""
    assert f"'davis16_dir': {str(shared)!r}" in (checkout / "local.py").read_text()


def test_new_local_file_without_shared_copy_leaves_davis16_empty(checkout: Path) -> None:
    settings = _load(checkout, "box2seg_test_absent_local_b")
    assert settings.davis16_dir == ""
    assert "'davis16_dir': ''" in (checkout / "local.py").read_text()


def test_existing_local_file_is_not_filled_in(checkout: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (checkout.parent / "shared" / "data" / "davis2016-train").mkdir(parents=True)
    module = "box2seg_test_existing_local"
    environment.write_local_file(checkout / f"{module}.py", _defaults(), "Test paths.")
    monkeypatch.syspath_prepend(str(checkout))
    monkeypatch.delitem(sys.modules, module, raising=False)
    settings = environment.load_local(module, checkout / f"{module}.py", _defaults, "Test paths.")
    assert settings.davis16_dir == ""


def test_misspelt_variable_is_named_with_the_field_it_resembles() -> None:
    environ = {"BOX2SEG_LASOT_DIRR": "/data", "BOX2SEG_LASOT_DIR": "/d", "BOX2SEG_RESULTS_PATH": "/r",
               "BOX2SEG_SHARED_DATA": "/s", "BOX2SEG_FETCH_WEIGHTS": "1", "LASOT_DIRR": "/x"}
    messages = environment.unknown_variables(environ)
    assert len(messages) == 1
    assert messages[0].startswith("BOX2SEG_LASOT_DIRR names no field")
    assert messages[0].endswith("(did you mean BOX2SEG_LASOT_DIR?)")


def test_field_of_the_other_local_file_is_named(tmp_path: Path) -> None:
    messages = environment.unknown_fields(tmp_path / "local.py", ["lasot_path", "davis16_dir"],
                                          environment.ltr_defaults())
    assert messages == [f"{tmp_path / 'local.py'}: 'lasot_path' is not one of this file's settings and is ignored "
                        "(did you mean 'lasot_dir'?)"]


def test_loading_warns_of_unknown_fields_and_variables(checkout: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = "box2seg_test_local_with_typos"
    environment.write_local_file(checkout / f"{module}.py", {**_defaults(), "lasot_path": "/l"}, "Test paths.")
    monkeypatch.syspath_prepend(str(checkout))
    monkeypatch.delitem(sys.modules, module, raising=False)
    monkeypatch.setenv("BOX2SEG_DAVIS16_DRI", "/d")
    with pytest.warns(UserWarning) as record:
        settings = environment.load_local(module, checkout / f"{module}.py", _defaults, "Test paths.")
    messages = [str(w.message) for w in record]
    assert any("'lasot_path' is not one of this file's settings" in m for m in messages)
    assert any(m.startswith("BOX2SEG_DAVIS16_DRI names no field") and "BOX2SEG_DAVIS16_DIR?" in m for m in messages)
    assert settings.davis16_dir == ""


@pytest.mark.parametrize("tensorboard, variables, expected", [
    ("/a/tensorboard", {}, "/a/tensorboard"),
    ("/a/tensorboard", {"BOX2SEG_WORKSPACE_DIR": "/b"}, "/b/tensorboard"),  # the file's default place moves along
    ("/c/tb", {"BOX2SEG_WORKSPACE_DIR": "/b"}, "/c/tb"),  # a place the user chose stays
    ("/a/tensorboard", {"BOX2SEG_WORKSPACE_DIR": "/b", "BOX2SEG_TENSORBOARD_DIR": "/d"}, "/d"),
])
def test_tensorboard_follows_a_moved_workspace_as_with_the_workspace_flag(checkout: Path, monkeypatch, tensorboard,
                                                                         variables, expected) -> None:
    module = f"box2seg_test_local_ws_{len(variables)}{tensorboard.replace('/', '_')}"
    fields = {"workspace_dir": "/a", "tensorboard_dir": tensorboard, "davis16_dir": "", "lasot_dir": ""}
    environment.write_local_file(checkout / f"{module}.py", fields, "Test paths.")
    monkeypatch.syspath_prepend(str(checkout))
    monkeypatch.delitem(sys.modules, module, raising=False)
    monkeypatch.delenv("BOX2SEG_TENSORBOARD_DIR", raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    settings = environment.load_local(module, checkout / f"{module}.py", lambda: dict(fields), "Test paths.")
    assert settings.tensorboard_dir == expected
    assert settings.workspace_dir == variables.get("BOX2SEG_WORKSPACE_DIR", "/a")
