"""templates/ and fonts/ as they may be found: linked out of the project,
unreadable, damaged. One message naming the path, never a traceback."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from onepagers import fonts
from onepagers.diagnostics import ContentError
from test_bad_input import run_cli

from conftest import copy_project


@pytest.fixture
def copy(project, tmp_path) -> Path:
    copy_project(project, tmp_path)
    return tmp_path


def test_a_template_linked_to_outside_the_project_is_not_read(copy, tmp_path_factory):
    outside = tmp_path_factory.mktemp("elsewhere") / "sheet.html.j2"
    outside.write_text("SECRET {{ sheet.title }}", encoding="utf-8")
    template = copy / "templates" / "sheet.html.j2"
    template.unlink()
    template.symlink_to(outside)
    result = run_cli("build", "--theme", "4", "--out", "out", cwd=copy)
    assert result.returncode == 1
    assert "templates/sheet.html.j2: error: is a link to outside the project" in result.stderr
    assert "SECRET" not in result.stderr + result.stdout and "Traceback" not in result.stderr
    assert not list((copy / "out").rglob("*.pdf"))


def test_a_fonts_folder_linked_to_outside_the_project_is_one_message(copy, tmp_path_factory):
    outside = tmp_path_factory.mktemp("fonts-elsewhere")
    shutil.copytree(copy / "fonts", outside, dirs_exist_ok=True)
    shutil.rmtree(copy / "fonts")
    (copy / "fonts").symlink_to(outside)
    result = run_cli("build", "--theme", "4", "--out", "out", cwd=copy)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert errors == ["fonts: error: is a link to a folder outside the project; it is not read"], result.stderr


def test_an_unreadable_fonts_folder_is_one_message(copy, unreadable_folder):
    folder = copy / "fonts"
    unreadable_folder(folder)
    with pytest.raises(ContentError) as caught:
        fonts.coverage(folder)
    assert [(d.path, d.message) for d in caught.value.diagnostics] == [(folder, "cannot read folder: Permission denied")]


def test_a_damaged_font_file_is_named(copy):
    (copy / "fonts" / "Lato-Bold.ttf").write_bytes(b"\0\1\0\0 not a font")
    result = run_cli("check", cwd=copy)
    assert result.returncode == 1
    assert "fonts/Lato-Bold.ttf: error: not a font that can be read" in result.stderr
    assert "Traceback" not in result.stderr
    assert "cannot show" not in result.stderr  # not hundreds of letters reported missing


def test_check_json_is_json_when_a_file_does_not_load(copy):
    theme = next((copy / "data" / "themes").glob("04-*.yaml"))
    theme.write_text(theme.read_text(encoding="utf-8").replace("number: 4", "number: [4"), encoding="utf-8")
    result = run_cli("check", "--json", cwd=copy)
    assert result.returncode == 1
    findings = json.loads(result.stdout)
    assert [f for f in findings if f["severity"] == "error"][0]["file"] == f"data/themes/{theme.name}"


def test_check_json_is_json_when_series_does_not_load(copy):
    series = copy / "data" / "series.yaml"
    series.write_text(series.read_text(encoding="utf-8") + "\nextra: *nothing\n", encoding="utf-8")
    result = run_cli("check", "--json", cwd=copy)
    assert result.returncode == 1
    assert [f["file"] for f in json.loads(result.stdout)] == ["data/series.yaml"]


@pytest.mark.parametrize(
    ("append", "message"),
    [
        (b"\xff\xfe", "error: file is not UTF-8 text"),
        (b'{% include "/etc/passwd" %}', "templates/sheet.html.j2: error: template '/etc/passwd' not found in templates/"),
        (b'{% include "../data/series.yaml" %}', "template '../data/series.yaml' not found in templates/"),
        (b"{{ no_such_name }}", "templates/sheet.html.j2: error: template: 'no_such_name' is undefined"),
    ],
    ids=["not-utf8", "include-absolute", "include-parent", "undefined"],
)
def test_a_broken_template_is_named_without_a_traceback(copy, append, message):
    """Also an include: resolved at render time, after the template itself loaded."""
    template = copy / "templates" / "sheet.html.j2"
    original = template.read_bytes()
    assert b"{% block pages %}" in original
    template.write_bytes(original.replace(b"{% block pages %}", b"{% block pages %}" + append, 1))
    result = run_cli("build", "--theme", "4", "--out", "out", cwd=copy)
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr
    assert "root:" not in result.stderr  # nothing of /etc/passwd


def test_a_hyphenation_list_not_utf8_is_named_at_its_line(copy):
    words = copy / "templates" / "hyphenation.txt"
    lines = words.read_bytes().splitlines(keepends=True)
    words.write_bytes(b"".join(lines) + b"med-ar-bej-\xe6-re\n")
    result = run_cli("build", "--all", "--out", "out", cwd=copy)
    assert result.returncode == 1
    assert f"templates/hyphenation.txt:{len(lines) + 1}:12: error: file is not UTF-8 text" in result.stderr
    assert "Traceback" not in result.stderr


def test_font_metrics_come_from_the_cache_without_fonttools(project, tmp_path):
    """The second process reads the characters and widths from the cache,
    keyed by the files' bytes, without importing fontTools."""
    import subprocess
    import sys

    probe = (
        "import sys; from pathlib import Path; from onepagers import fonts; "
        f"covered = fonts.coverage(Path({str(project.fonts)!r})); "
        "print(len(covered), 'fontTools' in sys.modules)"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    first = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
    second = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
    count = first.stdout.split()[0]
    assert first.stdout.split() == [count, "True"] and int(count) > 200
    assert second.stdout.split() == [count, "False"]
    assert len(list((tmp_path / "onepagers").glob("font-*.json"))) == len(list(project.fonts.glob("*.ttf")))


def test_font_metrics_follow_the_file_and_survive_a_damaged_cache(project, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(fonts, "_METRICS", {})  # what this process read of the same bytes before
    font = tmp_path / "Font.ttf"
    font.write_bytes((project.fonts / "Lato-Regular.ttf").read_bytes())
    regular = fonts.metrics(font).advances
    for cached in (tmp_path / "cache" / "onepagers").glob("font-*.json"):
        cached.write_text("{not json", encoding="utf-8")
    assert list((tmp_path / "cache" / "onepagers").glob("font-*.json"))
    fonts._METRICS.clear()
    assert fonts.metrics(font).advances == regular  # read again from the font, not from the damaged cache
    font.write_bytes((project.fonts / "Lato-Black.ttf").read_bytes())
    assert fonts.metrics(font).advances != regular  # another file's bytes: its own widths
