"""A model directory goes into a local artifact root by rename, whole or not at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from runwell.store.artifacts.local import LocalArtifactRepo


def _write_tree(path: str) -> None:
    Path(path, "sub").mkdir(parents=True)
    Path(path, "MLmodel").write_text("flavors: {}\n")
    Path(path, "sub", "model.pkl").write_bytes(b"\x00" * 1000)


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_a_tree_staged_beside_an_empty_root_becomes_it_and_leaves_nothing_behind(
    tmp_path: Path,
) -> None:
    root = tmp_path / "models" / "m-1" / "artifacts"
    repo = LocalArtifactRepo(root.as_uri())
    with repo.staged_root() as local:
        assert Path(local).parent.parent == root.parent  # same filesystem: a rename
        _write_tree(local)
        assert not root.exists()  # nothing visible before the end
    assert _files(root) == ["MLmodel", "sub/model.pkl"]
    assert sorted(p.name for p in root.parent.iterdir()) == ["artifacts"]


def test_a_root_that_holds_files_gets_the_tree_copied_in(tmp_path: Path) -> None:
    root = tmp_path / "artifacts"
    root.mkdir()
    (root / "existing.txt").write_text("kept")
    repo = LocalArtifactRepo(root.as_uri())
    with repo.staged_root() as local:
        _write_tree(local)
    assert _files(root) == ["MLmodel", "existing.txt", "sub/model.pkl"]
    assert (root / "existing.txt").read_text() == "kept"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["artifacts"]


def test_a_failed_save_leaves_the_root_as_it_was(tmp_path: Path) -> None:
    root = tmp_path / "artifacts"
    repo = LocalArtifactRepo(root.as_uri())

    def failing_save() -> None:
        with repo.staged_root() as local:
            _write_tree(local)
            raise RuntimeError("flavor failed")

    with pytest.raises(RuntimeError, match="flavor failed"):
        failing_save()
    assert not root.exists()
    assert list(tmp_path.iterdir()) == []
