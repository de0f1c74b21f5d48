"""onepagers serve: the chosen sheets in a browser, page by page, updated on every save.

A local web server (127.0.0.1 only) shows pictures of the pages. One thread
watches data/, templates/ and fonts/ and renders what a save changed with one
warm renderer (WeasyPrint imported and its fonts loaded once); the page hears
of each new version through Server-Sent Events and swaps the pictures in
without a reload. A mistake in the data is shown in the page, at its
file:line:col with the line quoted, above the last pages that rendered; the
next good save clears it. Nothing is written to disk and nothing in the page
comes from outside the machine (the Content-Security-Policy says so too).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from io import BytesIO
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Callable
from urllib.parse import urlsplit

from . import fingerprint, html, profiles, verify
from .diagnostics import ContentError, SelectionError
from .html import html_for
from .library import Library, load_library
from .plan import Job, Selection, plan
from .project import Project

if TYPE_CHECKING:
    from .pdf import Renderer

# Pictures sharp enough to read a sheet at screen size (an A4 page is then
# about 1000 pixels wide), and on a high-density screen at half that.
PAGE_DPI = 120
KEEPALIVE_SECONDS = 15.0
CSP = (
    "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


@dataclass(frozen=True)
class Pages:
    """One sheet as last rendered: a picture per page, and what `build` would refuse in it."""

    label: str
    title: str
    digest: str  # of everything it was made from: names the picture URLs
    pictures: tuple[bytes, ...]  # JPEG, one per page
    sizes: tuple[tuple[int, int], ...]  # pixels, so that the page keeps its layout while pictures load
    problems: tuple[str, ...] = ()  # each with its file:line and the line quoted


@dataclass
class Preview:
    """What the page shows. Written by the render thread, read by the request threads."""

    project: Project
    selection: Selection
    version: int = 0
    sheets: list[Pages] = field(default_factory=list)
    mistakes: list[str] = field(default_factory=list)  # each: "file:line:col: error: …" and the line quoted
    updated: str = ""
    closed: bool = False
    _changed: threading.Condition = field(default_factory=threading.Condition)

    def refresh(self, renderer_for: Callable[[str], "Renderer"]) -> str:
        """Render what changed since the last refresh; one line saying what happened."""
        started = time.perf_counter()
        try:
            library = load_library(self.project.data)
            jobs = plan(library, self.project.root, self.selection)  # nothing is written there
            if problems := verify.characters(library, self.project):
                raise ContentError(problems)
            pages = {p.label: p for p in self.sheets}
            inputs = fingerprint.inputs_digest(self.project)
            made, rendered = [], []
            for job in jobs:
                page_html = html_for(library, self.project, job)
                digest = fingerprint.sheet_digest(page_html, job.profile.name, inputs)
                old = pages.get(job.name)
                if old is None or old.digest != digest:
                    old = _render(renderer_for(library.series.language), self.project, job, page_html, digest, _title(library, job), verify.section_sources(library, job))
                    rendered.append(job.name)
                made.append(old)
        except ContentError as exc:
            # The last good pages stay; the mistake goes above them.
            self._publish(mistakes=[d.with_source() for d in exc.diagnostics])
            first = exc.diagnostics[0].one_line()
            return first + (f" (and {len(exc.diagnostics) - 1} more)" if len(exc.diagnostics) > 1 else "")
        except SelectionError as exc:  # a theme shown was renumbered or removed
            self._publish(mistakes=[f"error: {exc}"])
            return f"error: {exc}"
        self._publish(mistakes=[], sheets=made)
        seconds = time.perf_counter() - started
        if not rendered:
            return f"nothing changed ({seconds:.2f} s)"
        return f"rendered {', '.join(rendered)} in {seconds:.2f} s"

    def _publish(self, mistakes: list[str], sheets: list[Pages] | None = None) -> None:
        with self._changed:
            if sheets is not None:
                self.sheets = sheets
            self.mistakes = mistakes
            self.updated = time.strftime("%H:%M:%S")
            self.version += 1
            self._changed.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        """Block until there is a version newer than `seen` (or the timeout, or close)."""
        with self._changed:
            self._changed.wait_for(lambda: self.version > seen or self.closed, timeout)
            return self.version

    def close(self) -> None:
        with self._changed:
            self.closed = True
            self._changed.notify_all()

    def page_html(self, fragment: bool = False) -> str:
        with self._changed:
            sheets, mistakes, version, updated = list(self.sheets), list(self.mistakes), self.version, self.updated
        template = html.environment(self.project.templates).get_template("serve.html.j2")
        return template.render(sheets=sheets, mistakes=mistakes, version=version, updated=updated, fragment=fragment)

    def picture(self, index: int, page: int, digest: str) -> bytes | None:
        with self._changed:
            sheets = self.sheets
        if 0 <= index < len(sheets) and sheets[index].digest == digest and 1 <= page <= len(sheets[index].pictures):
            return sheets[index].pictures[page - 1]
        return None


def _title(library: Library, job: Job) -> str:
    from . import inline
    from .variants import resolve, resolve_introduction

    if job.theme is None:
        return inline.to_plain(resolve_introduction(library, job.variant).title)
    tf = library.theme(job.theme)
    assert tf is not None
    return inline.to_plain(resolve(library, tf, job.variant).title)


def _render(renderer: "Renderer", project: Project, job: Job, page_html: str, digest: str, title: str, sources: verify.Sources) -> Pages:
    import pypdfium2

    rendered = renderer.render(page_html)
    document = pypdfium2.PdfDocument(rendered.pdf)
    try:
        images = [page.render(scale=PAGE_DPI / 72).to_pil() for page in document]
    finally:
        document.close()
    pictures = []
    for image in images:
        buffer = BytesIO()
        # JPEG, not PNG: a fifth of the time to make, which is most of what a
        # save waits for after the layout; at this quality and without chroma
        # subsampling the text stays as crisp as the pixels allow.
        image.save(buffer, format="JPEG", quality=92, subsampling=0)
        pictures.append(buffer.getvalue())
    sizes = tuple(image.size for image in images)
    problems = tuple(d.with_source() for d in verify.layout(project, job, rendered, sources))
    return Pages(job.name, title, digest, tuple(pictures), sizes, problems)


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        preview = self.server.preview
        if not self._local_host():
            return self._send(HTTPStatus.FORBIDDEN, b"only for 127.0.0.1\n", "text/plain; charset=utf-8")
        path = urlsplit(self.path).path
        if path == "/":
            return self._send(HTTPStatus.OK, preview.page_html().encode("utf-8"), "text/html; charset=utf-8")
        if path == "/content":
            return self._send(HTTPStatus.OK, preview.page_html(fragment=True).encode("utf-8"), "text/html; charset=utf-8")
        if path == "/events":
            return self._events(preview)
        parts = path.strip("/").split("/")  # page/<sheet>/<digest>/<n>.jpg: a new digest, a new address
        if len(parts) == 4 and parts[0] == "page" and parts[1].isdigit() and parts[3].removesuffix(".jpg").isdigit():
            picture = preview.picture(int(parts[1]), int(parts[3].removesuffix(".jpg")), parts[2])
            if picture is not None:
                return self._send(HTTPStatus.OK, picture, "image/jpeg", cache="private, max-age=3600, immutable")
        self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8")

    def _local_host(self) -> bool:
        """Refuse another name for this address (DNS rebinding): only the names we print."""
        port = self.server.server_address[1]
        return self.headers.get("Host", "") in (f"127.0.0.1:{port}", f"localhost:{port}")

    def _send(self, status: HTTPStatus, body: bytes, kind: str, cache: str = "no-store") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", cache)
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(body)

    def _events(self, preview: Preview) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        last = self.headers.get("Last-Event-ID", "")
        seen = int(last) if last.isdigit() else -1  # a reconnecting page says what it has
        try:
            while not preview.closed:
                version = preview.wait(seen, KEEPALIVE_SECONDS)
                if version > seen:
                    self.wfile.write(f"id: {version}\ndata: {version}\n\n".encode())
                    seen = version
                else:
                    self.wfile.write(b": still here\n\n")  # notices a closed tab
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # stderr is for what the editor needs: renders and mistakes


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # an open event stream must not keep Ctrl-C waiting
    preview: Preview

    def handle_error(self, request, client_address) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):  # a tab closed mid-answer is no news
            super().handle_error(request, client_address)


def serve(
    project: Project,
    selection: Selection,
    port: int,
    ready: Callable[[str], None],
    say: Callable[[str], None],
    stop_event: threading.Event | None = None,
) -> None:
    """Serve until Ctrl-C (KeyboardInterrupt) or `stop_event`; `ready` gets the URL first."""
    import watchfiles

    from .pdf import Renderer

    server = _Server(("127.0.0.1", port), _Handler)
    server.preview = preview = Preview(project, selection)
    ready(f"http://127.0.0.1:{server.server_address[1]}/")
    thread = threading.Thread(target=server.serve_forever, name="serve", daemon=True)
    thread.start()
    profile = profiles.get(selection.profile)
    renderer: Renderer | None = None

    def renderer_for(language: str) -> Renderer:
        nonlocal renderer
        if renderer is None or renderer.language != language:
            if renderer is not None:
                renderer.close()
            renderer = Renderer(project, profile, language)
        return renderer

    def refresh() -> str:
        return preview.refresh(renderer_for)

    try:
        say(refresh())
        folders = [str(p) for p in (project.data, project.templates, project.fonts) if p.is_dir()]
        fonts, templates = project.fonts.resolve(), project.templates.resolve()
        for changes in watchfiles.watch(*folders, stop_event=stop_event, debounce=400, step=20):
            paths = [Path(p).resolve() for _, p in changes]
            if renderer is not None and any(fonts in p.parents or templates in p.parents for p in paths):
                renderer.close()  # fonts, stylesheets and hyphenation are loaded once per renderer
                renderer = None
            say(time.strftime("%H:%M:%S ") + refresh())
    finally:
        preview.close()
        server.shutdown()
        server.server_close()
        if renderer is not None:
            renderer.close()

