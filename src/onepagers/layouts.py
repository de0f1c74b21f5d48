"""Writes layouts.lock: the layout `compose.fitted` chose for each sheet,
shipped with the project (read by `pdf.locked`).

Choosing a sheet's layout lays it out three to fourteen times; laying out a layout
chosen before, once. A build remembers what it chose in the user's cache
folder, but a fresh machine (a new clone, CI, each run of the tests) has
nothing there, and searched every sheet again: 10 s of a cold build of the
default sheets, a minute of the test suite. The lock holds the chosen layout
of every theme sheet, in every variant and PDF profile, under the key the
cache folder uses (`pdf.layout_key`: the sheet's text, the looks, every
module of onepagers, the versions of WeasyPrint, Pango and Pyphen). A record
whose key no longer matches is never read: after an edit the lock costs
time, never a different sheet, and nothing fails. `onepagers layouts` writes
it anew.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from . import profiles
from .diagnostics import ContentError, Diagnostic
from .library import Library
from .plan import Job, Selection, plan
from .project import Project


@dataclass
class LockReport:
    """What `lock` did."""

    sheets: int = 0  # records written
    searched: list[str] = field(default_factory=list)  # sheets whose layout was chosen now
    dropped: int = 0  # records of the old lock no sheet has any more
    problems: list[Diagnostic] = field(default_factory=list)  # any: then nothing is written


def lock(project: Project, library: Library, workers: int | None = None) -> LockReport:
    """Write the project's layouts.lock anew: a record for every theme sheet of
    every variant and PDF profile as the project stands, its layout searched
    for where neither the cache folder nor the lock has one that reads
    (`pdf.record`). Where a sheet cannot be made or laid out, nothing is
    written: the lock as it was still serves every other sheet."""
    from .build import build_jobs
    from .files import write_atomically
    from .pdf import LOCK_FORMAT, locked, record

    done = LockReport()
    with tempfile.TemporaryDirectory(prefix="onepagers-layouts-") as out:
        wanted, done.problems = sheets(project, library, Path(out))
        missing = [job for job, key in wanted if record(key, project) is None]
        for profile in profiles.PROFILES.values():  # a build's workers render in one profile
            if jobs := [job for job in missing if job.profile == profile]:
                done.problems += build_jobs(library, project, jobs, workers=workers, force=True).diagnostics
        done.searched = [_label(job) for job in missing]
    if done.problems:
        return done
    found = {key: record(key, project) for _, key in wanted}
    # Built, yet not remembered: a cache folder that cannot be written.
    done.problems = [Diagnostic(None, 0, 0, "its layout was not remembered (is the cache folder writable?)", subject=_label(job))
                     for job, key in wanted if found[key] is None]
    if done.problems:
        return done
    entries = [{"sheet": _label(job), "key": key, "layout": found[key]} for job, key in wanted]
    done.sheets = len(entries)
    done.dropped = len(set(locked(project)) - {key for _, key in wanted})
    # One record a line: a change of layout reads as the lines of its sheets.
    lines = ",\n".join("  " + json.dumps(entry, ensure_ascii=False, sort_keys=True) for entry in entries)
    text = f'{{"format": {LOCK_FORMAT},\n "about": "Written by onepagers layouts (make layouts); see src/onepagers/layouts.py",\n "sheets": [\n{lines}\n]}}\n'
    write_atomically(project.layouts_lock, text.encode("utf-8"))
    return done


def sheets(project: Project, library: Library, out: Path) -> tuple[list[tuple[Job, str]], list[Diagnostic]]:
    """Every theme sheet of every variant and PDF profile (planned into
    `out`), with the key its layout is kept by; the problems of those whose
    HTML cannot be made."""
    from .html import html_for
    from .pdf import layout_key

    found: list[tuple[Job, str]] = []
    problems: list[Diagnostic] = []
    for profile in profiles.PROFILES.values():
        if profile.pdf_variant is None:
            continue
        for job in plan(library, out, Selection(everything=True, every_variant=True, profile=profile.name)):
            try:
                html = html_for(library, project, job)
            except ContentError as exc:
                problems += exc.diagnostics
                continue
            if hasattr(html, "remake"):  # the introduction has one layout, nothing to choose
                found.append((job, layout_key(html, project, job.profile)))
    return found, problems


def unlocked(project: Project, library: Library) -> list[str]:
    """The sheets (labelled) whose layout as the project stands layouts.lock
    does not hold: each is searched for on a fresh machine, until `lock`."""
    from .pdf import locked

    held = locked(project)
    return [_label(job) for job, key in sheets(project, library, project.root / "build")[0] if key not in held]


def _label(job: Job) -> str:
    return f"{job.name} {job.profile.name}"
