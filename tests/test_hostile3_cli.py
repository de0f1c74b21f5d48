"""Hostile surroundings of the command line: a terminal whose encoding cannot
show the text, a reader that goes away, a full or closed stdout, names that
hold newlines, a theme file that does not load, a data folder that cannot be
read. Each ends in output or one clear message, never a traceback.

What reaches a terminal or a pipe is seen from the command started as its
own process, as a user starts it: those tests are marked slow (`make test-slow`, CI)."""

from __future__ import annotations

import builtins
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pypdf
import pytest

from conftest import ROOT

STDOUT_LOST = "error: cannot write to standard output"


def onepagers(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300, **kwargs) -> subprocess.CompletedProcess[bytes]:
    """The command as a user starts it, with bytes in and out: what reaches
    the terminal is what is checked, before any decoding."""
    return subprocess.run(
        [sys.executable, "-m", "onepagers", *args], cwd=cwd, env={**os.environ, **(env or {})}, timeout=timeout, **kwargs
    )


def _theme(root: Path, number: int) -> Path:
    return next((root / "data" / "themes").glob(f"{number:02d}-*.yaml"))


def _unescaped(latin1: bytes) -> str:
    r"""Output written in Latin-1 with `\uXXXX` for the rest, read back."""
    return re.sub(r"\\u([0-9a-f]{4})", lambda m: chr(int(m.group(1), 16)), latin1.decode("latin-1"))


# --- A terminal that cannot show every character ---------------------------

TEXT_COMMANDS = [
    ("list",),
    ("show", "--theme", "6"),
    ("show", "--theme", "6", "--sector", "offentlig"),
    ("check", "--json"),
    ("diff", "--theme", "6", "privat@2", "offentlig@2"),
]


@pytest.mark.slow
@pytest.mark.parametrize("args", TEXT_COMMANDS, ids=[" ".join(a) for a in TEXT_COMMANDS])
def test_a_latin1_terminal_gets_all_the_text_with_escapes(sandbox, args):
    root = sandbox.root
    path = _theme(root, 4)
    path.write_text(path.read_text(encoding="utf-8").replace('\ntitle: "Tidspres"', '\ntitle: "Tidspres – ’nu’"', 1), encoding="utf-8")
    wide = onepagers(*args, cwd=root, env={"PYTHONIOENCODING": "utf-8"}, capture_output=True)
    assert wide.returncode == 0, wide.stderr
    text = wide.stdout.decode("utf-8")
    assert set(text) - set(map(chr, range(256))), "the output should hold a character Latin-1 lacks ('–', '’', '•')"

    narrow = onepagers(*args, cwd=root, env={"PYTHONIOENCODING": "latin-1"}, capture_output=True)

    assert narrow.returncode == 0, narrow.stderr.decode("latin-1")
    assert b"Traceback" not in narrow.stderr and b"UnicodeEncodeError" not in narrow.stderr
    # Every character is there: as itself where Latin-1 has it, else escaped.
    assert _unescaped(narrow.stdout) == text


@pytest.mark.slow
def test_check_json_on_a_latin1_terminal_is_still_json(project):
    narrow = onepagers("check", "--json", cwd=project.root, env={"PYTHONIOENCODING": "latin-1"}, capture_output=True)
    wide = onepagers("check", "--json", cwd=project.root, env={"PYTHONIOENCODING": "utf-8"}, capture_output=True)
    assert json.loads(narrow.stdout.decode("latin-1")) == json.loads(wide.stdout.decode("utf-8"))


@pytest.mark.slow
def test_diagnostics_and_paths_print_on_a_latin1_terminal(sandbox):
    root = sandbox.root
    path = _theme(root, 4)
    # A name and a mistake with characters Latin-1 does not have.
    broken = path.with_name("04-tidspres–ny’.yaml")
    path.rename(broken)
    broken.write_text(broken.read_text(encoding="utf-8").replace("\nnumber:", "\nnummer–’:", 1), encoding="utf-8")
    env = {"PYTHONIOENCODING": "latin-1:strict"}
    result = onepagers("check", "--theme", "4", cwd=root, env=env, capture_output=True)
    assert result.returncode == 1
    assert b"Traceback" not in result.stderr
    assert "data/themes/04-tidspres\\u2013ny\\u2019.yaml:" in result.stderr.decode("latin-1")


# --- A reader that goes away, a full disk, a closed descriptor --------------


def _gone_reader() -> int:
    """The writing end of a pipe whose reader has already gone (`| head -1`
    after its line): every write to it fails with EPIPE."""
    read, write = os.pipe()
    os.close(read)
    return write


@pytest.mark.slow
@pytest.mark.parametrize("args", [("list",), ("show", "--theme", "6"), ("check", "--json")], ids=["list", "show", "check"])
def test_a_reader_that_has_gone_is_no_error(project, args):
    write = _gone_reader()
    try:
        result = onepagers(*args, cwd=project.root, stdout=write, stderr=subprocess.PIPE)
    finally:
        os.close(write)
    assert result.returncode == 0, result.stderr
    assert b"error:" not in result.stderr and b"Traceback" not in result.stderr


@pytest.mark.slow
def test_a_reader_that_has_gone_leaves_the_commands_own_status(project):
    """The shipped text has warnings: --strict fails on them, reader or none."""
    write = _gone_reader()
    try:
        result = onepagers("check", "--json", "--strict", cwd=project.root, stdout=write, stderr=subprocess.PIPE)
    finally:
        os.close(write)
    assert result.returncode == 1
    assert b"Traceback" not in result.stderr and STDOUT_LOST.encode() not in result.stderr


@pytest.mark.slow
def test_a_build_whose_reader_has_gone_builds_and_exits_0(sandbox):
    write = _gone_reader()
    try:
        result = onepagers("build", "--theme", "4", "--theme", "6", "--out", "out", cwd=sandbox.root, stdout=write, stderr=subprocess.PIPE)
    finally:
        os.close(write)
    assert result.returncode == 0, result.stderr
    assert b"Traceback" not in result.stderr
    assert len(list((sandbox.root / "out").rglob("*.pdf"))) == 2


@pytest.mark.slow
@pytest.mark.parametrize("args", [("list",), ("check", "--json")], ids=["list", "check"])
def test_a_full_stdout_is_one_message_and_exit_1(project, args):
    with open("/dev/full", "wb") as full:
        result = onepagers(*args, cwd=project.root, stdout=full, stderr=subprocess.PIPE)
    assert result.returncode == 1
    lines = [line for line in result.stderr.decode().splitlines() if "error" in line]
    assert lines == [f"{STDOUT_LOST}: No space left on device"]


def _shell(command: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    """`command` run by sh, with "$@" the command line of onepagers."""
    return subprocess.run(
        ["sh", "-c", command, "sh", sys.executable, "-m", "onepagers", *args], cwd=cwd, capture_output=True, timeout=300
    )


@pytest.mark.slow
def test_a_closed_stdout_is_one_message_and_exit_1(project):
    result = _shell('"$@" >&-', "list", cwd=project.root)
    assert result.returncode == 1
    assert result.stderr.decode().splitlines() == [f"{STDOUT_LOST}: it is closed"]


@pytest.mark.slow
def test_a_closed_stdout_does_not_matter_to_a_command_that_prints_nothing_there(project):
    result = _shell('"$@" >&-', "check", cwd=project.root)
    assert result.returncode == 0, result.stderr
    assert b"Traceback" not in result.stderr and b"0 errors" in result.stderr


@pytest.mark.slow
def test_a_closed_stdout_never_receives_a_pdf(sandbox):
    # A file opened while descriptor 1 is closed would get the number 1.
    result = _shell('"$@" >&-', "build", "--theme", "4", "--out", "out", cwd=sandbox.root)
    assert result.returncode == 1
    assert f"{STDOUT_LOST}: it is closed".encode() in result.stderr and b"Traceback" not in result.stderr
    (pdf,) = (sandbox.root / "out").rglob("*.pdf")
    assert len(pypdf.PdfReader(pdf).pages) == 2


@pytest.mark.slow
def test_a_closed_stderr_keeps_stdout_for_results(project):
    result = _shell('"$@" 2>&-', "check", cwd=project.root)
    assert result.returncode == 0
    assert result.stdout == b""  # the findings went nowhere, not to stdout
    listed = _shell('"$@" 2>&-', "list", cwd=project.root)
    assert listed.returncode == 0
    assert b" 6  " in listed.stdout


@pytest.mark.slow
def test_a_full_stderr_does_not_change_the_outcome(sandbox):
    path = _theme(sandbox.root, 4)
    path.write_text(path.read_text(encoding="utf-8").replace("\nnumber:", "\nnummer:", 1), encoding="utf-8")
    with open("/dev/full", "wb") as full:
        result = onepagers("check", cwd=sandbox.root, stdout=subprocess.PIPE, stderr=full)
    assert result.returncode == 1
    assert result.stdout == b""


# --- Names with newlines and control characters: one path, one line ---------

HOSTILE_NAMES = [
    "two\nlines", "tab\there", "carriage\rreturn", "escape\x1b[31mred", "delete\x7f", "c1\x85next",
    "line\u2028separator", "right\u202eto-left", "newline\nand 'quote' and \\backslash", "$'dollar'",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=[repr(n) for n in HOSTILE_NAMES])
def test_a_printed_path_names_the_file_when_pasted_into_a_shell(tmp_path, name):
    from onepagers.diagnostics import printable

    (tmp_path / name).write_bytes(b"")
    shown = printable(name)
    assert shown.isprintable(), shown
    found = subprocess.run(["bash", "-c", f"test -f {shown}"], cwd=tmp_path, capture_output=True)
    assert found.returncode == 0, shown


@pytest.mark.parametrize("name", ["ø–’ plain", "quote'and\\backslash", "space and $dollar"])
def test_a_path_that_shows_as_it_is_is_printed_as_it_is(tmp_path, name):
    from onepagers.diagnostics import printable

    assert printable(str(tmp_path / name)) == str(tmp_path / name)


def test_a_name_that_is_not_utf8_is_printed_byte_for_byte(tmp_path):
    from onepagers.diagnostics import printable

    path = Path(os.fsdecode(os.fsencode(tmp_path) + b"/latin1-\xf8\xff"))
    path.write_bytes(b"")
    shown = printable(str(path))
    shown.encode("ascii")  # the bytes are written as escapes
    assert subprocess.run(["bash", "-c", f"test -f {shown}"]).returncode == 0, shown


def _paste(line: bytes, cwd: Path) -> Path:
    """The file a printed line names, as a shell reads it."""
    named = subprocess.run(["bash", "-c", f"printf %s {line.decode()}"], cwd=cwd, capture_output=True, check=True)
    return cwd / os.fsdecode(named.stdout)


@pytest.mark.slow
def test_build_prints_one_line_per_pdf_whatever_the_names_hold(sandbox):
    root = sandbox.root
    path = _theme(root, 4)
    path.rename(path.with_name("04-tids\npres\x1b[2J.yaml"))
    result = onepagers("build", "--theme", "4", "--theme", "6", "--out", "new\nout\tput", cwd=root, capture_output=True)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    pdfs = sorted(_paste(line, root) for line in lines)
    assert pdfs == sorted((root / "new\nout\tput").rglob("*.pdf"))
    assert b"\x1b" not in result.stdout + result.stderr


@pytest.mark.slow
def test_preview_prints_one_line_per_picture(sandbox):
    root = sandbox.root
    assert onepagers("build", "--theme", "4", "--out", "out", cwd=root, capture_output=True).returncode == 0
    result = onepagers("preview", "--out", "out", "--to", "pic\ntures", "--dpi", "10", cwd=root, capture_output=True)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert sorted(_paste(line, root) for line in lines) == sorted((root / "pic\ntures").glob("*.png"))


def test_a_diagnostic_about_a_file_with_a_newline_in_its_name_is_one_line(sandbox, cli, monkeypatch):
    root = sandbox.root
    monkeypatch.chdir(root)
    path = _theme(root, 4)
    broken = path.with_name("04-tids\npres.yaml")
    path.rename(broken)
    broken.write_text(broken.read_text(encoding="utf-8").replace("\nnumber:", "\nnummer:", 1), encoding="utf-8")
    result = cli("check", "--theme", "4")
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert errors and all(line.startswith("$'data/themes/04-tids\\npres.yaml':") for line in errors), errors


# --- A theme whose file does not load is not "no theme N" -------------------

BREAKAGES = {
    "yaml syntax": lambda text: text.replace("\nnumber: 4", "\nnumber: [4", 1),
    "not a number": lambda text: text.replace("\nnumber: 4", "\nnumber: fire", 1),
    # A number no theme of the series has: the file's own mistake, not "no theme 4".
    "number 0": lambda text: text.replace("\nnumber: 4", "\nnumber: 0", 1),
    "number 11": lambda text: text.replace("\nnumber: 4", "\nnumber: 11", 1),
    "unknown field": lambda text: text.replace("\ntitle:", "\ntitel:", 1),
    "not utf-8": lambda text: text.replace("\ntitle:", "\n# \udcff\ntitle:", 1),
}


def _break(root: Path, how: str, rename: str | None = None) -> Path:
    path = _theme(root, 4)
    text = path.read_text(encoding="utf-8")
    assert "\nnumber: 4\n" in text and "\ntitle:" in text
    broken = path.with_name(rename) if rename else path
    path.unlink()
    broken.write_bytes(BREAKAGES[how](text).encode("utf-8", "surrogateescape"))
    return broken


COMMANDS_FOR_THEME_4 = [
    ("check", "--theme", "4"),
    ("check", "--theme", "4", "--json"),
    ("build", "--theme", "4", "--out", "out"),
    ("show", "--theme", "4"),
    ("layouts",),
]


@pytest.mark.parametrize("args", COMMANDS_FOR_THEME_4, ids=[" ".join(a[:3]) for a in COMMANDS_FOR_THEME_4])
@pytest.mark.parametrize("how", list(BREAKAGES))
@pytest.mark.parametrize("rename", [None, "tidspres.yaml"], ids=["numbered name", "name without number"])
def test_a_theme_that_does_not_load_is_reported_by_its_own_errors(sandbox, cli, monkeypatch, args, how, rename):
    monkeypatch.chdir(sandbox.root)
    broken = _break(sandbox.root, how, rename)
    result = cli(*args)
    assert result.exit_code == 1, result.output
    assert "there is no theme" not in result.output
    where = f"data/themes/{broken.name}"
    if "--json" in args:
        files = {finding["file"] for finding in json.loads(result.stdout) if finding["severity"] == "error"}
        assert files == {where}
    else:
        assert re.search(rf"^{re.escape(where)}:\d+:\d+: error: ", result.stderr, re.M), result.stderr
    assert not (sandbox.root / "out").exists()
    assert sandbox.layouts_lock.read_bytes() == (ROOT / "layouts.lock").read_bytes()  # nothing half-written


def test_a_theme_that_does_not_exist_is_still_said_so(sandbox, cli, monkeypatch):
    monkeypatch.chdir(sandbox.root)
    _break(sandbox.root, "yaml syntax")
    result = cli("check", "--theme", "42")
    assert result.exit_code == 2
    assert "there is no theme 42" in result.stderr


# --- A data folder that cannot be read --------------------------------------


@pytest.fixture
def no_permission(monkeypatch):
    """Make a folder or file behave as after `chmod 000`, for a user whom
    that stops (the tests may run as root, whom it does not): the entry
    itself can be looked at, nothing can be opened, listed or looked at
    inside it. With `enter=True` a folder is `chmod 444`: listed, not entered."""

    def deny(target: Path, enter: bool = False) -> None:
        target = Path(os.path.abspath(target))
        folder = target.is_dir()
        real = {name: getattr(os, name) for name in ("stat", "lstat", "listdir", "scandir", "open")}
        real_open = builtins.open

        def blocked(path, self_too: bool) -> bool:
            if isinstance(path, int):
                return False
            path = Path(os.path.abspath(os.fsdecode(path)))
            if path == target:
                return self_too
            return folder and target in path.parents

        def refuse(path):
            return PermissionError(13, "Permission denied", os.fsdecode(path))

        def look(name):
            def call(path, *args, **kwargs):
                if blocked(path, False):
                    raise refuse(path)
                return real[name](path, *args, **kwargs)
            return call

        def list_(name):
            def call(path=".", *args, **kwargs):
                if blocked(path, not enter):
                    raise refuse(path)
                return real[name](path, *args, **kwargs)
            return call

        def open_(path, *args, **kwargs):
            if blocked(path, True):
                raise refuse(path)
            return real_open(path, *args, **kwargs)

        def os_open(path, *args, **kwargs):
            if blocked(path, True):
                raise refuse(path)
            return real["open"](path, *args, **kwargs)

        for name in ("stat", "lstat"):
            monkeypatch.setattr(os, name, look(name))
        for name in ("listdir", "scandir"):
            monkeypatch.setattr(os, name, list_(name))
        monkeypatch.setattr(os, "open", os_open)
        monkeypatch.setattr(builtins, "open", open_)
        monkeypatch.setattr(io, "open", open_)

    return deny


COMMANDS = [("list",), ("check",), ("check", "--theme", "4"), ("build", "--theme", "4", "--out", "out"), ("show", "--theme", "4"), ("layouts",)]


@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(a[:3]) for a in COMMANDS])
@pytest.mark.parametrize(
    ("denied", "enter", "message"),
    [
        ("data", False, "data: error: cannot read folder: Permission denied"),
        ("data", True, "data/series.yaml: error: cannot read file: Permission denied"),
        ("data/themes", False, "data/themes: error: cannot read folder: Permission denied"),
        ("data/themes", True, "data/themes/04-tidspres.yaml: error: cannot read file: Permission denied"),
        ("data/themes/04-tidspres.yaml", False, "data/themes/04-tidspres.yaml: error: cannot read file: Permission denied"),
    ],
    ids=["data", "data listed only", "themes", "themes listed only", "theme file"],
)
def test_what_cannot_be_read_is_one_clear_message(sandbox, cli, monkeypatch, no_permission, args, denied, enter, message):
    monkeypatch.chdir(sandbox.root)
    no_permission(sandbox.root / denied, enter=enter)
    result = cli(*args)
    assert result.exit_code == 1, result.output
    assert message in result.stderr.splitlines()
    assert "there is no theme" not in result.output
    assert not (sandbox.root / "out").exists()


@pytest.mark.parametrize("command", ["build", "booklet"])
def test_an_output_folder_that_cannot_be_looked_at_is_one_message(sandbox, cli, monkeypatch, no_permission, command):
    monkeypatch.chdir(sandbox.root)
    (sandbox.root / "locked").mkdir()
    no_permission(sandbox.root / "locked")
    args = ("--theme", "4") if command == "build" else ()
    result = cli(command, *args, "--out", "locked/out")
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == ["error: --out locked/out: cannot look at it: Permission denied"]


def _replace(path: Path, kind: str) -> None:
    if path.is_dir():
        path.rename(path.with_name(path.name + ".moved"))
    else:
        path.unlink()
    if kind == "pipe":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    elif kind == "dangling link":
        path.symlink_to("nowhere")
    elif kind == "file":
        path.write_text("number: 4\n", encoding="utf-8")


ODD_ENTRIES = [
    ("data", "pipe", "data: error: must be a folder"),
    ("data", "file", "data: error: must be a folder"),
    ("data", "dangling link", "data/series.yaml: error: file not found"),
    ("data/themes", "pipe", "data/themes: error: must be a folder of theme files"),
    ("data/themes", "file", "data/themes: error: must be a folder of theme files"),
    ("data/themes", "dangling link", "data/themes: error: no theme files (*.yaml) found"),
    ("data/themes/04-tidspres.yaml", "pipe", "data/themes/04-tidspres.yaml: error: is not a regular file"),
    ("data/themes/04-tidspres.yaml", "folder", "data/themes/04-tidspres.yaml: error: a folder inside data/themes is not read"),
    ("data/themes/04-tidspres.yaml", "dangling link", "data/themes/04-tidspres.yaml: error: file not found"),
    ("data/series.yaml", "pipe", "data/series.yaml: error: is not a regular file"),
    ("data/introduction.yaml", "folder", "data/introduction.yaml: error: is a folder, not a file"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("entry", "kind", "message"), ODD_ENTRIES, ids=[f"{e} {k}" for e, k, _ in ODD_ENTRIES])
@pytest.mark.parametrize("args", [("check", "--theme", "4"), ("build", "--theme", "4", "--out", "out")], ids=["check", "build"])
def test_an_odd_entry_in_data_is_one_clear_message_without_a_hang(sandbox, entry, kind, message, args):
    root = sandbox.root
    assert _theme(root, 4).name == "04-tidspres.yaml"
    _replace(root / entry, kind)
    # A subprocess, with a timeout: a pipe that were opened would block.
    result = onepagers(*args, cwd=root, capture_output=True, timeout=120)
    stderr = result.stderr.decode()
    assert result.returncode == 1, stderr
    assert any(line.startswith(message) for line in stderr.splitlines()), stderr
    assert "Traceback" not in stderr and "there is no theme" not in stderr
    if entry != "data/introduction.yaml":  # the themes still build without it
        assert not (root / "out").exists()
