"""MLproject parsing, entry points, typed parameters and command rendering (no processes)."""

from __future__ import annotations

import os
import shlex
import textwrap
from pathlib import Path

import pytest

from runwell.errors import InvalidArgument, NotFound
from runwell.projects.parameters import render_command, resolve_parameters
from runwell.projects.spec import EntryPoint, Parameter, load_project
from tests.projects.builders import make_project

FULL = textwrap.dedent(
    """
    name: wine
    python_env: env/python_env.yaml
    entry_points:
      main:
        parameters:
          alpha: {type: float, default: 0.7}
          data: {type: path, default: data/data.csv}
          name: string
          n: {type: int, default: 10}
          source: {type: uri, default: "s3://bucket/key"}
          flag: {type: bool, default: true}
        command: "python train.py --alpha {alpha} --data {data} --name {name} --n {n}"
      other:
        command: "python other.py"
    """
)


def full_project(tmp_path: Path) -> Path:
    return make_project(
        tmp_path / "wine",
        FULL,
        {"env/python_env.yaml": "python: '3.11'\n", "data/data.csv": "a,b\n", "train.py": ""},
    )


def resolve(
    entry: EntryPoint, given: dict[str, object], project: Path
) -> tuple[str, dict[str, str]]:
    resolved = resolve_parameters(
        entry, given, project_dir=project, storage_dir=None, tracking_uri="sqlite:///x.db"
    )
    return render_command(entry, resolved), resolved.logged


def test_full_mlproject_is_read(tmp_path: Path) -> None:
    spec = load_project(full_project(tmp_path))
    assert spec.name == "wine"
    assert spec.env_type == "python_env"
    assert spec.env_file == spec.directory / "env/python_env.yaml"
    main = spec.entry_point("main")
    assert [p.name for p in main.parameters] == ["alpha", "data", "name", "n", "source", "flag"]
    assert main.parameter("alpha") == Parameter(name="alpha", type="float", default="0.7")
    assert main.parameter("name") == Parameter(name="name", type="string", default=None)
    assert main.parameter("flag") == Parameter(name="flag", type="bool", default="True")
    assert set(spec.entry_points) == {"main", "other"}


def test_the_file_name_is_matched_case_insensitively(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", None, {"mlproject": "name: lower\n"})
    assert load_project(project).name == "lower"


def test_command_quotes_values_and_appends_extras(tmp_path: Path) -> None:
    project = full_project(tmp_path)
    entry = load_project(project).entry_point("main")
    command, logged = resolve(entry, {"name": "a b", "extra": 5, "alpha": "0.1"}, project)
    data = project / "data" / "data.csv"
    assert command == (f"python train.py --alpha 0.1 --data {data} --name 'a b' --n 10 --extra 5")
    # the run records what was given (and the defaults), not the quoted or resolved form
    assert logged == {
        "alpha": "0.1",
        "data": "data/data.csv",
        "name": "a b",
        "n": "10",
        "source": "s3://bucket/key",
        "flag": "True",
        "extra": "5",
    }


@pytest.mark.parametrize(
    "value", ["; rm -rf x", "$(touch pwned)", "`touch pwned`", 'it\'s "quoted"', "a\nb", "*"]
)
def test_hostile_values_stay_one_literal_word(tmp_path: Path, value: str) -> None:
    project = full_project(tmp_path)
    entry = load_project(project).entry_point("main")
    command, _ = resolve(entry, {"name": value, "more": value}, project)
    words = shlex.split(command)
    assert words[words.index("--name") + 1] == value
    assert words[-2:] == ["--more", value]


def test_user_paths_are_resolved_from_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = full_project(tmp_path)
    (tmp_path / "mine.csv").write_text("x\n")
    monkeypatch.chdir(tmp_path)
    entry = load_project(project).entry_point("main")
    command, logged = resolve(entry, {"name": "x", "data": "mine.csv"}, project)
    assert f"--data {tmp_path / 'mine.csv'}" in command
    assert logged["data"] == "mine.csv"


def test_file_uri_paths_are_local(tmp_path: Path) -> None:
    project = full_project(tmp_path)
    entry = load_project(project).entry_point("main")
    target = project / "data" / "data.csv"
    command, _ = resolve(entry, {"name": "x", "data": target.as_uri()}, project)
    assert f"--data {target}" in command


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({}, "required parameter(s) 'name'"),
        ({"name": "x", "alpha": "high"}, "'alpha' (type float): expected a number"),
        ({"name": "x", "n": "2.5"}, "'n' (type int): expected an integer"),
        ({"name": "x", "source": "no-scheme"}, "'source' (type uri): expected a URI"),
        ({"name": "x", "data": "missing.csv"}, "'data' (type path): no file or directory"),
        ({"name": "x", "bad key!": "1"}, "Invalid parameter name 'bad key!'"),
    ],
)
def test_bad_values_name_the_parameter(
    tmp_path: Path, given: dict[str, object], message: str
) -> None:
    project = full_project(tmp_path)
    entry = load_project(project).entry_point("main")
    with pytest.raises(InvalidArgument) as raised:
        resolve(entry, given, project)
    assert message in str(raised.value)


def test_an_unreadable_path_uri_is_refused(tmp_path: Path) -> None:
    project = full_project(tmp_path)
    entry = load_project(project).entry_point("main")
    with pytest.raises(InvalidArgument, match="Could not download 'runs:/nope/data'"):
        resolve(entry, {"name": "x", "data": "runs:/nope/data"}, project)


def test_a_template_naming_an_undeclared_field_is_refused(tmp_path: Path) -> None:
    project = make_project(
        tmp_path / "p", "entry_points:\n  main:\n    command: 'echo {nope} ${{HOME}}'\n", {}
    )
    entry = load_project(project).entry_point("main")
    with pytest.raises(InvalidArgument, match=r"uses \{nope\}"):
        resolve(entry, {}, project)


def test_directories_without_mlproject_run_their_scripts(tmp_path: Path) -> None:
    project = make_project(
        tmp_path / "bare", None, {"train.py": "", "run me.sh": "", "python_env.yaml": "{}\n"}
    )
    spec = load_project(project)
    assert not spec.has_mlproject
    assert spec.env_type == "python_env"
    assert spec.entry_point("train.py").command == "python train.py"
    shell = os.environ.get("SHELL") or "bash"
    assert spec.entry_point("run me.sh").command == f"{shell} 'run me.sh'"
    with pytest.raises(InvalidArgument, match=r"Unknown entry point 'main'.*train\.py"):
        spec.entry_point("main")
    with pytest.raises(InvalidArgument, match=r"Unknown entry point '\.\./x\.py'"):
        spec.entry_point("../x.py")


def test_conda_yaml_beside_the_code_is_the_fallback(tmp_path: Path) -> None:
    spec = load_project(make_project(tmp_path / "c", "name: c\n", {"conda.yaml": "name: c\n"}))
    assert (spec.env_type, spec.env_file) == ("conda_env", spec.directory / "conda.yaml")
    assert load_project(make_project(tmp_path / "n", "name: n\n", {})).env_type == "none"


def test_docker_env_is_read(tmp_path: Path) -> None:
    text = textwrap.dedent(
        """
        docker_env:
          image: python:3.11-slim
          volumes: ["/data:/data"]
          environment: [HOME, [MODE, fast]]
        """
    )
    docker = load_project(make_project(tmp_path / "d", text, {})).docker_env
    assert docker is not None
    assert docker.image == "python:3.11-slim"
    assert docker.volumes == ("/data:/data",)
    assert docker.environment == ("HOME", ("MODE", "fast"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: [1]\n", "field 'name'"),
        ("- a list\n", "expected a YAML mapping"),
        ("entry_points: [main]\n", "field 'entry_points'"),
        ("entry_points:\n  main: {parameters: {}}\n", "'entry_points.main.command'"),
        ("entry_points:\n  main: {command: x, parameters: [a]}\n", "main.parameters'"),
        ("entry_points:\n  main: {command: x, parameters: {a: 3}}\n", "parameters.a'"),
        ("entry_points:\n  main: {command: x, parameters: {a: {default: [1]}}}\n", "a.default"),
        ("python_env: a.yaml\nconda_env: b.yaml\n", "python_env and conda_env"),
        ("python_env: 5\n", "field 'python_env'"),
        ("docker_env: {volumes: []}\n", "'image' string"),
        ("docker_env: {image: x, volumes: [1]}\n", "docker_env.volumes"),
        ("docker_env: {image: x, environment: [[1, 2, 3]]}\n", "docker_env.environment"),
        ("name: x\n  bad: : indentation\n", "not valid YAML"),
    ],
)
def test_malformed_mlproject_fields_are_named(tmp_path: Path, text: str, message: str) -> None:
    project = make_project(tmp_path / "bad", text, {})
    with pytest.raises(InvalidArgument) as raised:
        load_project(project)
    assert message in str(raised.value)
    assert "MLproject" in str(raised.value)


def test_a_missing_env_file_is_not_found(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", "python_env: nowhere.yaml\n", {})
    with pytest.raises(NotFound, match=r"'nowhere\.yaml'"):
        load_project(project)
    with pytest.raises(NotFound, match="No project directory"):
        load_project(tmp_path / "absent")
