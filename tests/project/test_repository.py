"""The repository stands on its own: a public clone needs nothing beside it, installs exactly
the locked packages, and keeps local state and secrets out of the image."""

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]

# The project workspace's folder beside the checkout, which a public clone does not have.
# Written as patterns so that this file does not match itself.
WORKSPACE_FOLDER = re.compile(rb"(\.\./|/work/)shared\b|[\"']\.\.[\"']\s*/\s*[\"']shared[\"']")


def tracked_files() -> list[str]:
    if not (BASE_DIR / ".git").exists():
        pytest.skip("not a git checkout: no list of tracked files")
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=BASE_DIR, capture_output=True, check=True
    ).stdout
    return [name for name in listed.decode().split("\0") if name]


def test_no_tracked_file_outside_docs_reads_the_workspace_folder() -> None:
    files = tracked_files()
    assert "tests/conftest.py" in files  # the listing is the real tree
    offenders = []
    for name in files:
        if name.startswith("docs/") or not (BASE_DIR / name).is_file():
            continue
        for number, line in enumerate((BASE_DIR / name).read_bytes().splitlines(), 1):
            if WORKSPACE_FOLDER.search(line):
                offenders.append(f"{name}:{number}: {line.decode(errors='replace').strip()}")
    assert offenders == [], "a clone has no shared folder beside it:\n" + "\n".join(offenders)


def test_the_pattern_finds_the_ways_of_reaching_the_workspace_folder() -> None:
    # Put together here so that the test above does not find them in this file.
    reaching = [
        "../" + "shared/DESIGN.md",
        "/work/" + "shared/realdata",
        'BASE / ".." / ' + '"shared"',
    ]
    for text in reaching:
        assert WORKSPACE_FOLDER.search(text.encode()), text
    for text in ["tests/data/SOURCES.md", "shared_task", "portal/shared.py"]:
        assert not WORKSPACE_FOLDER.search(text.encode()), text


# --- the lock ---------------------------------------------------------------------------------


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked(path: Path) -> dict[str, tuple[str, int]]:
    """Package -> (version, number of hashes) in a lock file written by `make lock`."""
    entries: dict[str, tuple[str, int]] = {}
    current = None
    for line in path.read_text().splitlines():
        requirement = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^ ;\\]+)", line)
        if requirement:
            current = canonical(requirement[1])
            entries[current] = (requirement[2], 0)
        elif line.strip().startswith("--hash=sha256:") and current:
            version, hashes = entries[current]
            entries[current] = (version, hashes + 1)
        elif line and not line.startswith(" "):
            current = None
    return entries


def pins(requirements: list[str]) -> dict[str, str]:
    found = {}
    for requirement in requirements:
        name, version = re.fullmatch(
            r"([A-Za-z0-9._-]+)(?:\[[^]]*\])?==(\S+)", requirement
        ).groups()  # type: ignore[union-attr]
        found[canonical(name)] = version
    return found


@pytest.fixture(scope="module")
def project() -> dict[str, list[str]]:
    metadata = tomllib.loads((BASE_DIR / "pyproject.toml").read_text())["project"]
    return {"main": metadata["dependencies"], **metadata["optional-dependencies"]}


def test_the_lock_has_every_pin_of_pyproject_at_its_version(project: dict[str, list[str]]) -> None:
    main = locked(BASE_DIR / "requirements" / "main.txt")
    dev = locked(BASE_DIR / "requirements" / "dev.txt")
    stale = []
    for name, version in pins(project["main"]).items():
        if main.get(name, ("missing", 0))[0] != version:
            stale.append(f"main.txt {name}: pyproject {version}, lock {main.get(name)}")
    for extra in ["main", "dev", "embedded"]:
        for name, version in pins(project[extra]).items():
            if dev.get(name, ("missing", 0))[0] != version:
                stale.append(f"dev.txt {name}: pyproject {version}, lock {dev.get(name)}")
    assert stale == [], "run `make lock`:\n" + "\n".join(stale)


def test_tests_run_on_the_versions_the_image_installs() -> None:
    main = locked(BASE_DIR / "requirements" / "main.txt")
    dev = locked(BASE_DIR / "requirements" / "dev.txt")
    assert len(main) > 40  # the transitive packages too, not only pyproject's pins
    differ = {name: (version, dev.get(name)) for name, (version, _) in main.items()}
    differ = {
        name: pair for name, pair in differ.items() if pair[1] is None or pair[1][0] != pair[0]
    }
    assert differ == {}


def test_every_locked_package_has_a_hash() -> None:
    for lock in ["main.txt", "dev.txt"]:
        entries = locked(BASE_DIR / "requirements" / lock)
        assert [name for name, (_, hashes) in entries.items() if hashes == 0] == [], lock


def test_the_image_has_no_embedded_servers_or_development_tools(
    project: dict[str, list[str]],
) -> None:
    main = locked(BASE_DIR / "requirements" / "main.txt")
    for extra in ["embedded", "dev"]:
        assert set(pins(project[extra])) & set(main) == set(), extra
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    assert "--require-hashes -r requirements/main.txt" in dockerfile
    assert "dev.txt" not in re.sub(r"#.*", "", dockerfile)


# --- the image ---------------------------------------------------------------------------------


def test_the_image_runs_as_a_user_other_than_root() -> None:
    users = re.findall(r"^USER\s+(\S+)", (BASE_DIR / "Dockerfile").read_text(), re.MULTILINE)
    assert users, "the Dockerfile sets no USER: the image would run as root"
    assert users[-1] not in {"root", "0"}


def test_the_image_compiles_the_project_bytecode_once_the_code_is_in() -> None:
    # PYTHONDONTWRITEBYTECODE stops every process writing it: without this step each web
    # worker, Celery worker and manage.py command compiles the project's modules as it starts.
    steps = [
        line.strip()
        for line in (BASE_DIR / "Dockerfile").read_text().splitlines()
        if re.match(r"^(RUN|COPY|USER|ENV)\b", line)
    ]
    assert any("PYTHONDONTWRITEBYTECODE=1" in step for step in steps)
    code = steps.index("COPY --chown=portal:portal . .")
    compiled = [i for i, step in enumerate(steps) if "python -m compileall" in step]
    assert compiled, "the image does not compile the project's bytecode"
    assert code < compiled[-1] < steps.index("USER portal")


def test_dockerignore_keeps_secrets_history_and_local_state_out() -> None:
    ignored = {
        line.strip().rstrip("/")
        for line in (BASE_DIR / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    wanted = {".env", ".git", "var", ".venv", "node_modules", "media", "staticfiles"}
    assert wanted - ignored == set()


# --- system packages ---------------------------------------------------------------------------

SYSTEM_DEPS = BASE_DIR / "scripts" / "system-deps.sh"


@pytest.fixture
def no_root_path(tmp_path: Path) -> dict[str, str]:
    """A PATH on which the script is not root and has no sudo, with the real dpkg and apt-get."""
    if not shutil.which("dpkg-query") or not shutil.which("apt-get"):
        pytest.skip("not a Debian machine")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ["dpkg-query", "apt-get"]:
        (bin_dir / tool).symlink_to(shutil.which(tool))  # type: ignore[arg-type]
    (bin_dir / "id").write_text("#!/bin/sh\necho 1000\n")
    (bin_dir / "id").chmod(0o755)
    return {**os.environ, "PATH": str(bin_dir)}


def test_system_deps_does_nothing_when_everything_is_installed(
    no_root_path: dict[str, str],
) -> None:
    # dpkg itself is always installed on Debian: nothing to do, even without root.
    run = subprocess.run(
        ["/bin/sh", str(SYSTEM_DEPS), "dpkg"],
        env=no_root_path,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "all installed: dpkg" in run.stdout


def test_system_deps_without_root_stops_at_once_with_the_command_to_run(
    no_root_path: dict[str, str],
) -> None:
    run = subprocess.run(
        ["/bin/sh", str(SYSTEM_DEPS), "dpkg", "portal-test-no-such-package"],
        env=no_root_path,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
        timeout=30,
    )
    assert run.returncode == 1
    assert "missing: portal-test-no-such-package" in run.stdout
    assert (
        "sudo sh -c 'apt-get update && apt-get install -y --no-install-recommends "
        "portal-test-no-such-package'" in run.stdout
    )


def test_make_test_installs_the_system_packages_before_anything_else() -> None:
    if not shutil.which("make"):
        pytest.skip("make is not installed")
    # Without the settings of a make this may run under (CI runs make test, which runs pytest).
    env = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}}
    plan = subprocess.run(
        ["make", "--no-print-directory", "-n", "test"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert plan[0].startswith("sh scripts/system-deps.sh chromium poppler-utils")
    commands = "\n".join(plan)
    assert "makemigrations --check --dry-run" in commands
    assert commands.index("makemigrations --check") < commands.index("-m pytest")


# --- documentation -----------------------------------------------------------------------------

LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_links_between_the_documents_lead_to_files_in_the_repository() -> None:
    documents = [BASE_DIR / "README.md", BASE_DIR / "CHANGELOG.md", *BASE_DIR.glob("docs/**/*.md")]
    assert BASE_DIR / "docs" / "design.md" in documents
    broken = []
    for document in documents:
        for target in LINK.findall(document.read_text()):
            if target.startswith(("http://", "https://", "mailto:", "#")):
                continue
            path = (document.parent / target.split("#")[0]).resolve()
            if not path.exists() or BASE_DIR not in path.parents:
                broken.append(f"{document.relative_to(BASE_DIR)}: {target}")
    assert broken == []


def test_without_the_embedded_extra_the_bootstrap_says_how_to_get_it() -> None:
    from portal.bootstrap import embedded_package

    with pytest.raises(SystemExit) as stopped:
        embedded_package("portal_test_no_such_package", "DATABASE_URL")
    message = str(stopped.value)
    assert "optional extra 'embedded'" in message
    assert "set DATABASE_URL" in message
    assert embedded_package("json", "DATABASE_URL").__name__ == "json"
