"""make bench: how fast onepagers builds, against a naive baseline measured in the same run.

Not a test: no time is asserted anywhere. The results go to stdout and to
bench/results.md, with the machine's core count and the versions used.
"""

from __future__ import annotations

import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from onepagers.html import html_for  # noqa: E402
from onepagers.plan import Selection, plan  # noqa: E402
from onepagers.library import load_library  # noqa: E402
from onepagers.project import Project  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "3"))
CORES = os.cpu_count() or 1
ONEPAGERS = [sys.executable, "-m", "onepagers"]
PLAIN_COLUMN_CSS = """
@page { size: A4; margin: 15mm; }
.page, .page-body { height: auto !important; overflow: visible !important; padding: 0 !important; }
.columns { display: block !important; }
.colophon { position: static !important; }
"""


def timed(command: list[str], cwd: Path, env: dict | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True, env=env)
    return time.perf_counter() - started


def stats(values: list[float]) -> tuple[float, float, float]:
    return min(values), statistics.median(values), max(values)


def sandbox() -> Path:
    root = Path(tempfile.mkdtemp(prefix="onepagers-bench-"))
    for part in ("data", "templates", "fonts"):
        shutil.copytree(ROOT / part, root / part)
    return root


def main() -> None:
    rows: list[tuple[str, tuple[float, float, float], str]] = []
    work = sandbox()
    project = Project(work)
    library = load_library(project.data)
    jobs = plan(library, work / "out", Selection(everything=True, every_variant=True))
    # What onepagers renders (its renderer brings the stylesheets), and the same
    # pages linking their stylesheets, for the tools that start from HTML alone.
    htmls = [html_for(library, project, job) for job in jobs]
    standalone = [html_for(library, project, job, linked_stylesheets=True) for job in jobs]
    leftovers_before = set(Path(tempfile.gettempdir()).glob("weasyprint-*"))

    # (a) cold build of every sheet, all cores.
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    cold = [timed([*ONEPAGERS, "build", "--all", "--every-variant", "--force", "--out", "out"], work) for _ in range(RUNS)]
    peak_kib = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before)
    rows.append((f"(a) cold `build --all --every-variant --force` ({len(jobs)} sheets, {CORES} cores)", stats(cold), ""))

    # (b) the naive loop: one `weasyprint` process per sheet, on the tool's own HTML.
    html_dir = Path(tempfile.mkdtemp(prefix="onepagers-bench-html-"))
    files = []
    for i, page in enumerate(standalone):
        path = html_dir / f"{i:02d}.html"
        path.write_text(page, encoding="utf-8")
        files.append(path)
    base = project.templates.resolve().as_uri() + "/"
    weasy = str(Path(sys.executable).with_name("weasyprint"))
    naive = []
    for _ in range(RUNS):
        started = time.perf_counter()
        for path in files:
            subprocess.run([weasy, "-u", base, str(path), str(path.with_suffix(".pdf"))], check=True, capture_output=True)
        naive.append(time.perf_counter() - started)
    rows.append(("(b) naive loop: one `weasyprint` process per sheet", stats(naive), ""))

    # (c) pure render time, in one warm process; and the import it pays once.
    started = time.perf_counter()
    import weasyprint  # noqa: F401

    from onepagers.pdf import Renderer

    import_s = time.perf_counter() - started
    renderer = Renderer(project, jobs[0].profile, library.series.language)
    renderer.render(htmls[0])  # warm: fonts loaded
    sums, per_sheet = [], {i: [] for i in range(len(htmls))}
    for _ in range(RUNS):
        total = 0.0
        for i, page in enumerate(htmls):
            t = time.perf_counter()
            renderer.render(page)
            per_sheet[i].append(time.perf_counter() - t)
            total += per_sheet[i][-1]
        sums.append(total)
    rows.append(("(c) sum of pure render times (one warm process)", stats(sums), ""))
    rows.append(("    `import weasyprint`", (import_s, import_s, import_s), ""))

    # (h) each sheet against the same content in one plain column.
    plain_css = weasyprint.CSS(string=PLAIN_COLUMN_CSS)
    ratios = []
    for i, page in enumerate(htmls):
        html = weasyprint.HTML(string=page, base_url=base)
        plain = []
        for _ in range(RUNS):
            t = time.perf_counter()
            html.render(font_config=renderer.fonts, stylesheets=[*renderer.stylesheets, plain_css]).write_pdf()
            plain.append(time.perf_counter() - t)
        ratios.append(statistics.median(per_sheet[i]) / statistics.median(plain))
    renderer.close()

    # (d) no-op rebuild and (e) a one-theme edit.
    noop = [timed([*ONEPAGERS, "build", "--all", "--every-variant", "--out", "out"], work) for _ in range(RUNS)]
    rows.append(("(d) no-op rebuild (`build --all --every-variant`, nothing changed)", stats(noop), ""))
    theme = next((project.data / "themes").glob("06-*.yaml"))
    original = theme.read_text(encoding="utf-8")
    edits = []
    for n in range(RUNS):
        # Alternate between two wordings, so every run has something to rebuild.
        theme.write_text(original.replace("Der er også psykologer", "Der er psykologer" if n % 2 == 0 else "Der er også psykologer", 1), encoding="utf-8")
        edits.append(timed([*ONEPAGERS, "build", "--all", "--every-variant", "--out", "out"], work))
    theme.write_text(original, encoding="utf-8")
    one_sheet = statistics.median(per_sheet[0])
    rows.append(("(e) rebuild after editing one theme (its 2 sheets)", stats(edits), ""))

    # (f) start-up.
    helps = [timed([*ONEPAGERS, "--help"], work) for _ in range(max(RUNS, 5))]
    rows.append(("(f) `onepagers --help`", stats(helps), ""))

    leftovers = set(Path(tempfile.gettempdir()).glob("weasyprint-*")) - leftovers_before
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(html_dir, ignore_errors=True)

    cold_m, naive_m, sum_m = statistics.median(cold), statistics.median(naive), statistics.median(sums)
    ideal = import_s + sum_m / CORES
    targets = [
        ("cold build / naive loop", cold_m / naive_m, "≤ 0.25"),
        ("cold build / (import + pure render ÷ cores)", cold_m / ideal, "≤ 1.15"),
        ("sheet / one plain column, worst sheet", max(ratios), "≤ 1.5"),
        ("sheet / one plain column, median sheet", statistics.median(ratios), "≤ 1.5"),
        ("no-op rebuild, s", statistics.median(noop), "≤ 0.3"),
        ("one-theme edit rebuild − one sheet's render, s", statistics.median(edits) - one_sheet, "≤ 0.3"),
        ("`onepagers --help`, s", statistics.median(helps), "≤ 0.25"),
        ("peak memory of one process (largest child), MB", peak_kib / 1024, "≤ 150"),
        ("/tmp/weasyprint-* folders left behind", float(len(leftovers)), "0"),
    ]

    lines = [
        "# Benchmark",
        "",
        f"Machine: {CORES} cores, {platform.machine()}, Python {platform.python_version()}, "
        f"WeasyPrint {version('weasyprint')}, onepagers {version('onepagers')}; {RUNS} runs each.",
        "",
        "| measurement | min | median | max |",
        "| --- | ---: | ---: | ---: |",
        *[f"| {name} | {a:.3f} s | {b:.3f} s | {c:.3f} s |" for name, (a, b, c), _ in rows],
        "",
        "| target | measured | target |",
        "| --- | ---: | ---: |",
        *[f"| {name} | {value:.2f} | {target} |" for name, value, target in targets],
        "",
        "(g) is the peak resident memory of the largest process the cold builds started "
        "(a worker, or the parent). (h) lays each sheet out as designed and again with its "
        "columns and page boxes turned into one plain column, from the same HTML.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    (ROOT / "bench" / "results.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
