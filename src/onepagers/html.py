"""Turn a resolved sheet into HTML with the project's Jinja2 templates.

Autoescaping is on and the only markup that reaches the HTML is what
`inline.to_html` makes of `**bold**` and links.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from functools import lru_cache, partial
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
from markupsafe import Markup

from . import compose, hyphenation, inline
from .compose import balance  # noqa: F401  (the template's filter; tests use html.balance)
from .diagnostics import ContentError, Diagnostic
from .profiles import Profile
from .variants import IntroductionSheet, Sheet, resolve, resolve_introduction

if TYPE_CHECKING:
    from .library import Library
    from .plan import Job
    from .project import Project

# No publication dates are known for the editions: a fixed, obviously
# conventional date (as reproducible builds use) unless SOURCE_DATE_EPOCH says.
DEFAULT_DATE = datetime(1980, 1, 1, tzinfo=timezone.utc)


# A paragraph must not end on a line of one short word ("… og / ja."): the
# last word, if it is this short, is tied to the word before it by a no-break
# space. The letters stay as they are; only where the line may break changes.
SHORT_LAST_WORD = 4
_LAST_TWO_WORDS = re.compile(r"(\S) ([^\s<>]+)((?:\s*</[a-z]+>)*\s*)$")


def tie_short_last_word(html: Markup | str) -> Markup:
    text = str(html)
    match = _LAST_TWO_WORDS.search(text)
    if not match or sum(ch.isalnum() for ch in match.group(2)) > SHORT_LAST_WORD or "<" in match.group(2):
        return Markup(text)
    return Markup(text[: match.start()] + match.group(1) + "\u00a0" + match.group(2) + match.group(3))


def shown_url(url: str) -> str:
    """An address as a reader should see it: escapes of visible letters decoded
    ("S%C3%A5dan+gik+det.pdf" reads "Sådan+gik+det.pdf"), never one of a
    control or bidi character (`inline.shown`); the link's href is
    `inline.href` of the address as written."""
    return inline.shown(url)


# A reference's words that end in a colon announced the address printed after
# them ("Indflydelse:" and the address). Where the words are the link (screen,
# web) or the address stands apart under them in small type (print), the colon
# announces nothing: it is not shown. The data keeps it; only a reference with
# an address loses it, and only the last character (a bold end kept).
_ANNOUNCING_COLON = re.compile(r"\s*:(\s*(?:\*\*)?)\s*$")


def reference_title(text: str, url: str | None) -> str:
    """A reference's words as the sheet shows them: without the colon that
    announced its address (`_ANNOUNCING_COLON`), never emptied."""
    if not url:
        return text
    title = _ANNOUNCING_COLON.sub(lambda colon: colon.group(1).strip(), text)
    return title if inline.visibility_problem(title) is None else text


def has_links(text: str) -> bool:
    """Does the text hold links of its own? Then it cannot be one (a link holds no link)."""
    return any(span.url is not None for span in inline.parse(text))


@lru_cache(maxsize=8)
def environment(templates: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=True,
    )
    env.filters["md"] = inline.to_html
    env.filters["kept"] = inline.kept
    env.filters["balance"] = balance
    env.filters["whole_last_word"] = lambda html: hyphenation.whole_last_word(tie_short_last_word(html))
    env.filters["shown_url"] = shown_url
    env.filters["href"] = inline.href
    env.filters["words"] = compose.words
    env.filters["on_paper"] = inline.on_paper
    env.filters["md_unlinked"] = inline.to_unlinked_html
    env.filters["reference_title"] = reference_title
    env.filters["has_links"] = has_links
    return env


def document_title(sheet: Sheet | IntroductionSheet) -> str:
    """Names the variant too: the print shop must never mistake one version for another."""
    if isinstance(sheet, Sheet):
        name = f"{sheet.number_label} {sheet.number}/{sheet.variant.theme_count}: {inline.to_plain(sheet.title)}"
    else:
        name = inline.to_plain(sheet.title)
    return f"{name} ({sheet.variant.label})"


def document_date() -> str:
    """The date written into every document: SOURCE_DATE_EPOCH's, else a fixed
    one, never the clock, so that the same input gives the same bytes."""
    from .environment import source_date

    return source_date(DEFAULT_DATE).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def html_for(library: Library, project: Project, job: Job, *, linked_stylesheets: bool = False) -> str:
    """The HTML of a job's sheet in its variant and profile. The renderer brings
    the profile's stylesheets itself (parsed once per process); a standalone
    copy for other tools links them."""
    if job.theme is None:
        document: Sheet | IntroductionSheet = resolve_introduction(library, job.variant)
    else:
        document = resolve(library, library.theme(job.theme), job.variant)  # type: ignore[arg-type]
    from .plan import web_page as address

    web_page = address(library, job.key, job.variant) if job.theme is not None else None
    return render(document, project.templates, job.profile, library.series.language, linked_stylesheets=linked_stylesheets, web_page=web_page)


def qr_code(url: str | None) -> Markup | None:
    """A QR code of the address as inline SVG (vector: sharp at any size), in
    black; None without an address."""
    if not url:
        return None
    import segno

    svg = segno.make(url, error="m", micro=False).svg_inline(scale=1, border=0, omitsize=True)
    return Markup(svg)


def get_template(templates: Path, name: str) -> jinja2.Template:
    """A template, or a ContentError naming the file (and line) that is missing or wrong."""
    try:
        return environment(templates).get_template(name)
    except jinja2.TemplateError as exc:
        raise _template_error(exc, templates, name) from None
    except UnicodeDecodeError as exc:
        raise ContentError([Diagnostic(templates / name, 0, 0, f"template is not UTF-8 text (byte {exc.start}): save it as UTF-8")]) from None


class SheetHtml(str):
    """A theme sheet's HTML at one layout, which knows how to make itself at
    another: the renderer lays a few out and keeps the one the measures choose
    (`compose.fitted`). It is still just the text of the HTML to everything else."""

    sheet: Sheet
    remake: "partial[str]"
    date: str  # the metadata's date, which sets no line (`pdf.layout_key`)


def render(
    document: Sheet | IntroductionSheet,
    templates: Path,
    profile: Profile,
    language: str,
    *,
    linked_stylesheets: bool = False,
    layout: compose.Layout | None = None,
    web_page: str | None = None,
    date: str | None = None,
) -> str:
    """The HTML of a theme sheet (`sheet.html.j2`) or the introduction (`introduction.html.j2`)."""
    is_sheet = isinstance(document, Sheet)
    # Read here, in the build, and kept for `remake`: a worker sets the sheet
    # again in the fork server's environment, which is not the build's.
    date = date or document_date()
    layout = layout or compose.Layout()
    name = "sheet.html.j2" if is_sheet else "introduction.html.j2"
    template = get_template(templates, name)
    # Words a catalogue or a search shows a reader: the edition as the sheet
    # says it ("2. udgave"), not the data's name for the variant ("privat@2").
    keywords = [document.variant.series_name, document.variant.label]
    if is_sheet:
        keywords.insert(0, inline.to_plain(document.title))
    try:
        html = template.render(
            sheet=document,
            intro=document,
            body_class="sheet" if is_sheet else "introduction",
            doc_title=document_title(document),
            author=document.author,
            subject=f"{document.variant.series_name} ({document.variant.label})",
            keywords=keywords,
            profile=profile,
            stylesheets=profile.stylesheets if linked_stylesheets else (),
            links=profile.live_links,
            language=language,
            date=date,
            layout=layout,
            type=layout.type,
            web_page=web_page,
            qr_code=qr_code(web_page) if is_sheet else None,
            columns={page: compose.columns(document, layout, page) for page in (1, 2)} if is_sheet else None,
            gaps={page: compose.column_gaps(layout, page) for page in (1, 2)} if is_sheet else None,
        )
    except jinja2.TemplateError as exc:  # an {% include %} not found, an undefined name
        raise _template_error(exc, templates, name) from None
    except UnicodeDecodeError as exc:
        raise ContentError([Diagnostic(templates / name, 0, 0, f"a template it includes is not UTF-8 text (byte {exc.start})")]) from None
    if not is_sheet:
        return html
    sheet_html = SheetHtml(html)
    sheet_html.sheet = document
    sheet_html.date = date
    sheet_html.remake = partial(render, document, templates, profile, language, linked_stylesheets=linked_stylesheets, web_page=web_page, date=date)
    return sheet_html


def _template_error(exc: jinja2.TemplateError, templates: Path, name: str) -> ContentError:
    if isinstance(exc, jinja2.TemplateNotFound):
        # Named as the template asked for it, never resolved: no path outside templates/ is shown or read.
        message = "template file not found" if exc.name == name else f"template '{exc.name}' not found in templates/"
        return ContentError([Diagnostic(templates / name, 0, 0, message)])
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return ContentError([Diagnostic(Path(exc.filename or templates / name), exc.lineno, 0, f"template: {exc.message}")])
    return ContentError([Diagnostic(templates / name, 0, 0, f"template: {exc.message or exc}")])
