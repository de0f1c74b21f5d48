"""What an editor meets first: --help with examples that work, list with the
introduction, previews big enough to read."""

from __future__ import annotations

import re
import shutil

import yaml
from onepagers.cli import app



def test_top_level_help_has_examples_of_real_commands(cli):
    result = cli("--help")
    assert result.exit_code == 0
    examples = re.findall(r"^\s+onepagers (\w+)", result.stdout.split("Examples:")[1], flags=re.M)
    assert len(examples) >= 5
    commands = {c.name or c.callback.__name__ for c in app.registered_commands}
    assert set(examples) <= commands, set(examples) - commands


def test_list_shows_the_introduction(cli, project):
    result = cli("list", "--project", str(project.root))
    assert result.exit_code == 0
    title = yaml.safe_load((project.data / "introduction.yaml").read_text(encoding="utf-8"))["title"]
    assert title in result.stdout.splitlines()[0]


def test_preview_by_default_is_readable_on_a_screen(cli, built, tmp_path):
    from PIL import Image

    shutil.copy(built[0].job.path, tmp_path / built[0].job.path.name)
    result = cli("preview", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    first = result.stdout.split()[0]
    assert Image.open(first).size[0] >= 900  # an A4 page at about 110 dpi
