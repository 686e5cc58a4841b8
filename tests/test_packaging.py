"""Packaging, container and release hygiene, checked without a Docker engine.

No engine runs on the development or CI machines. The build context is computed the way
``docker build`` sends it, by Docker's own Python SDK (its .dockerignore matcher and tar),
from a copy of the checkout with the local state a working copy holds (secrets, data/,
virtual environments, caches): what it must leave out is checked there, and the image's
install steps are replayed from that context alone in a fresh virtual environment, so a
COPY of something the context lacks fails here and not at ``docker build``. The rest reads
the Dockerfile and compose.yaml for what would otherwise only fail in production: image
paths that do not match the config defaults, a root user, a missing health check.

The replay (about half a minute, mostly downloads) runs in CI and whenever
``KB_SLOW_TESTS=1`` is set, and is skipped otherwise.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import venv
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pytest
import yaml

import bot
import bot.cli
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


# --- the build context, as Docker's SDK computes it -------------------------------------

SECRET = "local-secret-never-in-the-image"
LOCAL_STATE = {  # what a working checkout holds beside its tracked files
    ".env": f"DISCORD_TOKEN={SECRET}\n",
    "discord_token.txt": SECRET,
    "config/discord_token.txt": SECRET,
    "data/records.sqlite3": SECRET,
    "data/history/garden.md/1.md": SECRET,
    ".venv/bin/python": SECRET,
    "bot/__pycache__/cli.cpython-311.pyc": SECRET,
    "knowledge/__pycache__/notes.cpython-311.pyc": SECRET,
    "kb_quote_bot.egg-info/PKG-INFO": SECRET,
    ".pytest_cache/v/cache/lastfailed": SECRET,
}


def tracked_files() -> list[str]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs the git checkout (the tracked files are what a clone holds)")
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [name for name in out.decode().split("\0") if name and (ROOT / name).is_file()]


@pytest.fixture(scope="module")
def build_context(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What ``docker build .`` sends from a working checkout, extracted into a folder.

    docker-py's ``docker.utils.build.tar`` is the SDK's implementation of the context upload
    (pattern matching included); the .dockerignore lines are read as its ``APIClient.build``
    reads them. Nothing here re-implements Docker's rules.
    """
    docker_build = pytest.importorskip("docker.utils.build",
                                       reason="the Docker SDK (dev extra) builds the context")
    checkout = tmp_path_factory.mktemp("checkout")
    for name in tracked_files():
        (checkout / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, checkout / name)
    for name, text in LOCAL_STATE.items():
        (checkout / name).parent.mkdir(parents=True, exist_ok=True)
        (checkout / name).write_text(text, encoding="utf-8")
    lines = (checkout / ".dockerignore").read_text(encoding="utf-8").splitlines()
    exclude = [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]
    archive = docker_build.tar(str(checkout), exclude=exclude, dockerfile=("Dockerfile", None))
    context = tmp_path_factory.mktemp("context")
    with tarfile.open(fileobj=archive) as tar:
        tar.extractall(context, filter="data")
    return context


def files_under(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


# --- the Dockerfile ---------------------------------------------------------------------

def test_every_copied_path_reaches_the_build_context_whole(
        instructions: list[Instruction], build_context: Path) -> None:
    found = copies(instructions)
    assert found, "the Dockerfile copies nothing"
    tracked = set(tracked_files())
    for copy in found:
        assert not any(f.startswith("--from") for f in copy.flags), "multi-stage copy: extend this test"
        for source in copy.sources:
            sent = build_context / source
            assert sent.exists(), f"COPY {source}: not in the build context"
            if sent.is_file():
                assert sent.read_bytes() == (ROOT / source).read_bytes()
            else:
                prefix = source.rstrip("/") + "/"
                wanted = {name[len(prefix):] for name in tracked if name.startswith(prefix)}
                assert files_under(sent) == wanted, f"COPY {source}: the context holds other files"


def test_the_build_context_leaves_secrets_local_state_and_development_files_out(build_context: Path) -> None:
    sent = files_under(build_context)
    assert not sent & set(LOCAL_STATE), "local state would be sent to the Docker daemon"
    for path in sorted(sent):
        assert SECRET not in (build_context / path).read_text(encoding="utf-8", errors="replace"), path
    top = {PurePosixPath(name).parts[0] for name in sent}
    assert not top & {".git", "tests", "bench", "scripts", "docs", ".ci"}, top


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


# --- the installed distribution ----------------------------------------------------------

def test_the_installed_distribution_matches_the_code_and_its_script_runs() -> None:
    """The environment the tests run in was installed as the README says: its metadata and
    console script are the ones pip made from pyproject.toml."""
    try:
        installed = importlib.metadata.distribution("kb-quote-bot")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip(f"project not installed into {sys.prefix}")
    assert installed.version == bot.__version__
    assert "MIT" in (installed.metadata.get("License-Expression") or installed.metadata.get("License") or "")
    assert f"## [{bot.__version__}]" in (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    (script,) = [e for e in installed.entry_points if e.group == "console_scripts"]
    assert script.load() is bot.cli.main
    result = subprocess.run([str(Path(sys.executable).parent / script.name), "--version"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and bot.__version__ in result.stdout


def test_mypy_is_strict_on_the_core_only(tmp_path: Path) -> None:
    """The project's mypy settings refuse an untyped function in ``bot.core`` and accept it in
    an adapter (checked on stand-in modules of those names, not on the settings' text)."""
    if shutil.which("mypy", path=str(Path(sys.executable).parent)) is None:
        pytest.skip("mypy is in the dev extra")
    for package in ("bot", "bot/core", "bot/discord_app"):
        (tmp_path / package).mkdir(exist_ok=True)
        (tmp_path / package / "__init__.py").write_text("", encoding="utf-8")
    untyped = "def double(x):\n    return x * 2\n"
    (tmp_path / "bot/core/probe.py").write_text(untyped, encoding="utf-8")
    (tmp_path / "bot/discord_app/probe.py").write_text(untyped, encoding="utf-8")

    def mypy(module: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(Path(sys.executable).parent / "mypy"), "--config-file",
                               str(ROOT / "pyproject.toml"), "--no-incremental", "-m", module],
                              cwd=tmp_path, capture_output=True, text=True, timeout=300)

    core = mypy("bot.core.probe")
    assert core.returncode == 1 and "missing a type annotation" in core.stdout, core.stdout
    adapter = mypy("bot.discord_app.probe")
    assert adapter.returncode == 0, adapter.stdout


# --- the image's install steps, replayed in a fresh virtual environment ------------------

def _replay_install_steps(instructions: list[Instruction], context: Path, image_root: Path,
                          env: dict[str, str]) -> None:
    """Run the Dockerfile's COPY and pip RUN steps with ``image_root`` standing in for ``/``.

    Only RUN steps that call pip are replayed (useradd and chown need root and change
    nothing Python sees); they must use relative paths only, so nothing outside the
    stand-in can be touched. Sources come from ``context`` (what ``docker build`` sends),
    never from the repository itself.
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
                src = context / source
                assert src.exists(), f"line {ins.line}: COPY {source}: not in the build context"
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
def test_image_install_steps_work_from_the_build_context_in_a_fresh_venv(
        instructions: list[Instruction], build_context: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    image_root = tmp_path / "image"
    _replay_install_steps(instructions, build_context, image_root, env)

    python = str(env_dir / "bin" / "python")
    app = image_root / final_workdir(instructions).relative_to("/")
    # The installed package is used, not a source tree: the app folder holds no bot/.
    where = subprocess.run([python, "-c", "import bot; print(bot.__file__)"], cwd=app, env=env,
                           capture_output=True, text=True, check=True).stdout
    assert str(env_dir) in where
    # The benchmark is a development tool: not in the installed package.
    found = subprocess.run([python, "-c", "import importlib.util as u; print(u.find_spec('bench'))"],
                           cwd=app, env=env, capture_output=True, text=True, check=True).stdout
    assert found.strip() == "None", f"bench is importable from the image: {found}"
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
