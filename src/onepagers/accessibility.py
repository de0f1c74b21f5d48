"""The accessibility report: every document an output folder holds, the checks
run on it and their results, and what is known not to conform, in plain words.

`accessibility.md` (for people: what a public body copies into its
accessibility statement) and `accessibility.json` (the same, for tools) are
written beside the gallery. The date is the build date (SOURCE_DATE_EPOCH),
never the clock, so the same folder gives the same report.

Web pages and the gallery are checked in headless Chromium (driven by
Playwright, the system's own browser) with axe-core, against the WCAG 2.0 and
2.1 rules of levels A and AA, with every request that would leave file://
refused and recorded; at 320 px wide they must not scroll sideways, and with
the text at 200 % nothing may be cut off. PDFs get the structural checks
PDF/UA-1 starts with (tagged, language, title, identification) and the font
check of the build. A check that cannot run here says "not run" and why.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable

from . import __version__
from .html import document_date
from .profiles import PROFILES
from .files import write_atomically
from .project import Project

AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
AXE_SCRIPT = Path("node_modules") / "axe-core" / "axe.min.js"
CHROMIUM = ("chromium", "chromium-browser")
NARROW = 320  # CSS px: WCAG 1.4.10's reflow width
WIDE = 1280
REPORT_MD = "accessibility.md"
REPORT_JSON = "accessibility.json"

PASSED, FAILED, NOT_RUN = "passed", "failed", "not run"

# What does not conform, or was not verified, told as a reader would need it.
EXCEPTIONS = {
    "web page": [
        "axe-core finds the problems a program can find (roughly a third to a half of WCAG's criteria); "
        "reading with a screen reader, and whether each link text makes sense on its own, have not been tried by a person.",
    ],
    "gallery": [
        "The thumbnails show the first page of each PDF; their text alternative is the sheet's title, not the text of the page.",
        "axe-core finds the problems a program can find; the page has not been tried with a screen reader by a person.",
    ],
    "screen PDF": [
        "Not certified by a PDF/UA-1 validator (veraPDF and PAC cannot run here): the checks are the "
        "machine-checkable part, and reading order, alternative wording and the like need a person.",
        "The two columns are tagged in document order (left column, then right), which is the order the sheet is meant to be read in.",
    ],
    "booklet": [
        "As for the single sheets: not certified by a PDF/UA-1 validator; reading order and wording need a person.",
        "The PDF/UA-1 checker warns that lines recurring at the top of many pages are tagged as content: they are the "
        "band that opens each sheet (the series and the theme's number) and section headings near the top of a page, "
        "which a listener needs once per sheet, so they stay content; the running header and the repeated colophon are artifacts.",
    ],
    "print PDF": [
        "Made for the print shop (PDF/X-4, crop marks, no links), not for reading on screen: not checked for accessibility. "
        "The screen PDF and the web page of the same sheet are the accessible versions.",
    ],
}


@dataclass
class Check:
    name: str
    result: str  # passed, failed, not run
    details: list[str] = field(default_factory=list)


@dataclass
class Document:
    path: str  # relative to the output folder, with forward slashes
    kind: str  # web page, gallery, screen PDF, booklet, print PDF
    checks: list[Check] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)

    @property
    def result(self) -> str:
        results = {c.result for c in self.checks}
        if FAILED in results:
            return FAILED
        if not results or results == {NOT_RUN}:
            return NOT_RUN
        return PASSED


# ---------------------------------------------------------------- the browser


@dataclass
class PageFindings:
    """What the browser saw on one page."""

    violations: list[dict]  # axe: id, impact, help, nodes (CSS selectors)
    passes: int  # axe rules that passed
    outside: list[str]  # requests that would have left file://, refused
    overflow_narrow: int  # px of sideways scrolling at 320 px wide
    overflow_large_text: int  # px of sideways scrolling with the text at 200 %
    clipped_large_text: list[str]  # elements whose text is cut off at 200 %
    keyboard: list[str]  # problems: the skip link, the focus outline


def chromium() -> str | None:
    for name in CHROMIUM:
        if path := shutil.which(name):
            return path
    return None


def browser_unavailable(project: Project) -> str | None:
    """Why the browser checks cannot run here, or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -e '.[test]')"
    if chromium() is None:
        return "Chromium is not installed (Debian: apt-get install chromium)"
    if not (project.root / AXE_SCRIPT).is_file():
        return f"axe-core is not installed ({AXE_SCRIPT}; run npm ci)"
    return None


_AXE_RUN = """async tags => {
  const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return {
    version: axe.version,
    passes: r.passes.length,
    violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                        nodes: v.nodes.map(n => n.target.join(' '))})),
  };
}"""

_OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"

# Text cut off: a text element whose content is wider or taller than its box
# while the box hides what overflows.
_CLIPPED = """() => [...document.querySelectorAll('body *')].filter(e => {
  // A visually hidden text (1 px, clipped on purpose for screen readers) is not lost.
  if (!e.textContent.trim() || e.closest('[data-web-only]') || e.clientWidth <= 1) return false;
  const s = getComputedStyle(e);
  const hides = v => v === 'hidden' || v === 'clip';
  return (hides(s.overflowX) && e.scrollWidth > e.clientWidth + 1) || (hides(s.overflowY) && e.scrollHeight > e.clientHeight + 1);
}).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className.split(' ').join('.') : ''))"""

_FOCUS = """() => {
  const e = document.activeElement;
  const s = getComputedStyle(e);
  const target = (e.getAttribute('href') || '').startsWith('#') ? document.getElementById(e.getAttribute('href').slice(1)) : null;
  return {tag: e.tagName.toLowerCase(), skip: e.classList.contains('skip'), target: !!target,
          outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2};
}"""


def _only_files(refused: list[str]):
    """A route handler: file:// goes through, anything else is refused and noted."""

    def handle(route) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    return handle


def check_pages(pages: Iterable[Path], project: Project, *, keyboard: Iterable[Path] = ()) -> dict[Path, PageFindings]:
    """Open every page in headless Chromium and run the checks; `keyboard` pages
    must also start with a skip link and show where the focus is."""
    from playwright.sync_api import sync_playwright

    axe = (project.root / AXE_SCRIPT).read_text(encoding="utf-8")
    keyboard = set(keyboard)
    findings: dict[Path, PageFindings] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=["--disable-background-networking", "--disable-component-update"])
        try:
            for page_path in pages:
                context = browser.new_context(viewport={"width": WIDE, "height": 900})
                outside: list[str] = []
                context.route("**/*", _only_files(outside))
                page = context.new_page()
                page.goto(page_path.resolve().as_uri(), wait_until="load")
                page.evaluate("document.fonts.ready.then(() => true)")
                problems = []
                if page_path in keyboard:
                    page.keyboard.press("Tab")
                    focus = page.evaluate(_FOCUS)
                    if not focus["skip"] or not focus["target"]:
                        problems.append(f"the first Tab lands on <{focus['tag']}>, not on a skip link to the content")
                    if not focus["outline"]:
                        problems.append("the focused link shows no outline of 2 px or more")
                    page.keyboard.press("Escape")
                page.add_script_tag(content=axe)
                axe_result = page.evaluate(_AXE_RUN, list(AXE_TAGS))
                page.set_viewport_size({"width": NARROW, "height": 800})
                narrow = page.evaluate(_OVERFLOW)
                page.set_viewport_size({"width": WIDE, "height": 900})
                page.evaluate("document.documentElement.style.fontSize = '200%'")
                large = max(page.evaluate(_OVERFLOW), 0)
                clipped = page.evaluate(_CLIPPED)
                findings[page_path] = PageFindings(
                    axe_result["violations"], axe_result["passes"], list(dict.fromkeys(outside)), max(narrow, 0), large, clipped, problems
                )
                context.close()
        finally:
            browser.close()
    return findings


def axe_version(project: Project) -> str:
    try:
        package = json.loads((project.root / AXE_SCRIPT).parent.joinpath("package.json").read_text(encoding="utf-8"))
        return str(package.get("version", "?"))
    except (OSError, ValueError):
        return "?"


def browser_checks(found: PageFindings, project: Project, keyboard: bool) -> list[Check]:
    axe = Check(
        f"axe-core {axe_version(project)}, WCAG 2.0 and 2.1, levels A and AA",
        FAILED if found.violations else PASSED,
        [f"{v['id']} ({v['impact']}): {v['help']} at {', '.join(v['nodes'][:3])}" for v in found.violations]
        or [f"0 violations; {found.passes} rules passed"],
    )
    checks = [
        axe,
        Check(
            "nothing loaded from outside the output folder",
            FAILED if found.outside else PASSED,
            [f"refused: {url}" for url in found.outside] or ["every request stayed on file://"],
        ),
        Check(
            f"reflow: {NARROW} px wide without scrolling sideways (WCAG 1.4.10)",
            FAILED if found.overflow_narrow else PASSED,
            [f"scrolls {found.overflow_narrow} px sideways"] if found.overflow_narrow else [],
        ),
        Check(
            "text at 200 % without loss (WCAG 1.4.4)",
            FAILED if found.overflow_large_text or found.clipped_large_text else PASSED,
            ([f"scrolls {found.overflow_large_text} px sideways"] if found.overflow_large_text else [])
            + [f"text cut off in {what} ({n}×)" for what, n in Counter(found.clipped_large_text).items()],
        ),
    ]
    if keyboard:
        checks.append(Check("keyboard: a skip link first, the focus visible (WCAG 2.4.1, 2.4.7)", FAILED if found.keyboard else PASSED, found.keyboard))
    return checks


# ---------------------------------------------------------------- PDFs


def pdf_checks(path: Path, project: Project) -> list[Check]:
    from .diagnostics import ContentError
    from .fonts import foreign_fonts
    from .preflight import open_pdf  # here: the gallery imports this module for a file name

    try:
        reader = open_pdf(path)
    except ContentError as exc:  # a damaged file fails its document's checks; the others are still checked
        return [Check("a PDF that can be read", FAILED, [d.message for d in exc.diagnostics])]
    data = path.read_bytes()
    root = reader.trailer["/Root"]
    problems = []
    if not bool((root.get("/MarkInfo") or {}).get("/Marked")) or "/StructTreeRoot" not in root:
        problems.append("not tagged (no structure tree)")
    if not str(root.get("/Lang", "")).strip():
        problems.append("no document language (/Lang)")
    # The Info dictionary directly: pypdf's metadata property warns about the 1980 dates.
    info = reader.trailer.get("/Info")
    if not (info and str(info.get_object().get("/Title", "")).strip()):
        problems.append("no title")
    if not bool((root.get("/ViewerPreferences") or {}).get("/DisplayDocTitle")):
        problems.append("the viewer is not told to show the title (DisplayDocTitle)")
    xmp = root["/Metadata"].get_object().get_data() if "/Metadata" in root else b""
    if b'pdfuaid:part="1"' not in xmp and b"<pdfuaid:part>1<" not in xmp:
        problems.append("not identified as PDF/UA-1 in its XMP metadata")
    lang = str(root.get("/Lang", "")).strip()
    structure = Check(
        "PDF/UA-1 basics: tagged, language, title shown, PDF/UA identification",
        FAILED if problems else PASSED,
        problems or [f"tagged, /Lang {lang}, title shown, pdfuaid:part 1"],
    )
    # fontTools warns about every subset font's zero creation date: noise here.
    logging.getLogger("fontTools.ttLib.tables._h_e_a_d").setLevel(logging.ERROR)
    foreign = foreign_fonts(data, project.fonts)
    fonts = Check(
        "every font embedded and one of fonts/ (Lato)",
        FAILED if foreign else PASSED,
        [f"foreign or not embedded: {name}" for name in foreign],
    )
    return [structure, fonts, *gate_checks(path)]


def gate_checks(path: Path) -> list[Check]:
    """The gates a receiver of the file would run (`preflight.gates`): for a
    screen PDF the structure audit and the PDF/UA-1 checker outloud, judged as
    `audit` and the tests judge them."""
    from .preflight import gates, said

    checks = []
    for gate in gates(path):
        if [f.rule for f in gate.findings] == ["not-run"]:
            checks.append(Check(gate.name, NOT_RUN, [gate.findings[0].message]))
        else:
            # Reviewed warnings stay in the report, each with why it is not a failure.
            details = said(gate.findings) + said(gate.reviewed)
            checks.append(Check(gate.name, PASSED if gate.passed else FAILED, details))
    return checks


# ---------------------------------------------------------------- the report


def kind_of(path: Path, out: Path, booklet: str) -> str | None:
    """`booklet`: the first word of a booklet's file name (series.yaml's file_names)."""
    if path == out / "index.html":
        return "gallery"
    if path.parent.parent != out:
        return None
    if path.suffix == ".html":
        return "web page"
    if path.suffix != ".pdf":
        return None
    if any(path.stem.endswith(p.suffix) for p in PROFILES.values() if p.pdf_variant and not p.live_links):
        return "print PDF"
    return "booklet" if path.name.startswith(f"{booklet}-") else "screen PDF"


def documents(out: Path, booklet: str) -> list[tuple[Path, str]]:
    """Every document in `out`: the gallery, then each variant's folder in name order."""
    candidates = [out / "index.html", *sorted(out.glob("*/*.html")), *sorted(out.glob("*/*.pdf"))]
    found = [(p, kind_of(p, out, booklet)) for p in candidates if p.is_file()]
    return sorted(((p, k) for p, k in found if k), key=lambda item: (item[0].parent != out, item[0].parent.name, item[0].stem, item[0].suffix))


def inspect(out: Path, project: Project, booklet: str) -> list[Document]:
    docs = [Document(p.relative_to(out).as_posix(), kind, exceptions=list(EXCEPTIONS[kind])) for p, kind in documents(out, booklet)]
    paths = {d.path: out / d.path for d in docs}
    pages = [paths[d.path] for d in docs if d.kind in ("web page", "gallery")]
    unavailable = browser_unavailable(project) if pages else None
    found = {} if unavailable or not pages else check_pages(pages, project, keyboard=[paths[d.path] for d in docs if d.kind == "web page"])
    for doc in docs:
        path = paths[doc.path]
        if doc.kind in ("web page", "gallery"):
            if unavailable:
                doc.checks.append(Check("axe-core, WCAG 2.0 and 2.1, levels A and AA, in headless Chromium", NOT_RUN, [unavailable]))
            else:
                doc.checks += browser_checks(found[path], project, keyboard=doc.kind == "web page")
        elif doc.kind in ("screen PDF", "booklet"):
            doc.checks += pdf_checks(path, project)
    return docs


def to_json(docs: list[Document], date: str) -> str:
    summary: dict[str, int] = {PASSED: 0, FAILED: 0, NOT_RUN: 0}
    for doc in docs:
        summary[doc.result] += 1
    return json.dumps(
        {
            "date": date,
            "tool": f"onepagers {__version__}",
            "standard": "WCAG 2.1 level AA (EN 301 549); PDF/UA-1 for the PDFs",
            "summary": summary,
            "documents": [{**asdict(d), "result": d.result} for d in docs],
        },
        ensure_ascii=False,
        indent=2,
    ) + "\n"


def to_markdown(docs: list[Document], date: str) -> str:
    day = date[:10]
    counts = {k: sum(d.kind == k for d in docs) for k in dict.fromkeys(d.kind for d in docs)}
    lines = [
        "# Accessibility: what was checked",
        "",
        f"Date: {day}. Made by onepagers {__version__} from the files in this folder.",
        "",
        "Every document in this folder, the checks run on each, "
        "their results, and what is known not to conform. Standard: WCAG 2.1 level AA "
        "(EN 301 549) for the web pages, PDF/UA-1 for the PDFs.",
        "",
        "| document | kind | result |",
        "| --- | --- | --- |",
        *(f"| [{d.path}]({d.path}) | {d.kind} | {d.result} |" for d in docs),
        "",
        "Documents: " + ", ".join(f"{n} {k}{'s' if n != 1 else ''}" for k, n in counts.items()) + ".",
        "",
        "## Known exceptions",
        "",
    ]
    for kind in counts:
        lines.append(f"- {kind}: " + " ".join(EXCEPTIONS[kind]))
    lines += ["", "## Checks, document by document", ""]
    for doc in docs:
        lines += [f"### {doc.path}", "", f"{doc.kind}: {doc.result}", ""]
        if not doc.checks:
            lines += ["- no checks: see the known exceptions above", ""]
        for check in doc.checks:
            detail = "; ".join(check.details)
            lines.append(f"- {check.name}: **{check.result}**" + (f" ({detail})" if detail else ""))
        lines.append("")
    return "\n".join(lines)


def write_report(project: Project, out: Path, booklet: str) -> tuple[Path, Path, list[Document]]:
    """Check every document in `out` and write both forms of the report beside the gallery."""
    docs = inspect(out, project, booklet)
    date = document_date()
    md, js = out / REPORT_MD, out / REPORT_JSON
    write_atomically(md, to_markdown(docs, date).encode("utf-8"))
    write_atomically(js, to_json(docs, date).encode("utf-8"))
    return md, js, docs
