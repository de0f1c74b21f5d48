"""onepagers serve: the chosen sheets in a browser, page by page, updated on every save.

A local web server (127.0.0.1 only) shows pictures of the pages. One thread
watches data/, templates/ and fonts/ and renders what a save changed with one
warm renderer (WeasyPrint imported and its fonts loaded once); the page hears
of each new version through Server-Sent Events and swaps the pictures in
without a reload. A mistake in the data is shown in the page, at its
file:line:col with the line quoted, above the last pages that rendered; the
next good save clears it. Nothing is written to disk and nothing in the page
comes from outside the machine (the Content-Security-Policy says so too).
A request the page would never make (a query, a body, another method, an
odd address or header) is refused in one plain line, and the server goes on.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from io import BytesIO
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Callable

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
    # Names this run's states apart from an earlier run's: a page still open
    # from before a restart must not take version 3 of this run for its own.
    run: str = field(default_factory=lambda: secrets.token_hex(6))
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
        said = f"rendered {', '.join(rendered)} in {seconds:.2f} s"
        # The page shows a refused sheet as refused; the terminal must not call it done.
        refused = [p for p in made if p.label in rendered and p.problems]
        if refused:
            said += f"; build would refuse {', '.join(p.label for p in refused)}: {refused[0].problems[0].splitlines()[0]}"
        return said

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

    def state(self, version: int) -> str:
        """A version as the page knows it: in the event stream's ids, and in the page."""
        return f"{self.run}.{version}"

    def issued(self, state: str) -> int:
        """The version a page says it has seen, if this run told it so; else -1."""
        run, dot, version = state.partition(".")
        if run != self.run or not dot or not (version.isascii() and version.isdigit()) or len(version) > 18:
            return -1
        with self._changed:
            return int(version) if int(version) <= self.version else -1

    def close(self) -> None:
        with self._changed:
            self.closed = True
            self._changed.notify_all()

    def page_html(self, fragment: bool = False) -> str:
        with self._changed:
            sheets, mistakes, version, updated = list(self.sheets), list(self.mistakes), self.version, self.updated
        template = html.environment(self.project.templates).get_template("serve.html.j2")
        return template.render(sheets=sheets, mistakes=mistakes, state=self.state(version), updated=updated, fragment=fragment)

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


# What a request may say. The page asks for nothing but "/", "/content",
# "/events" and its pictures, with no query, no body and one Host; anything
# else is refused in a line of plain text, before it is looked at further.
MAX_TARGET = 2048  # the longest address the page makes is about a hundred characters
_PICTURE = re.compile(r"/page/([0-9]{1,4})/([0-9a-f]{64})/([0-9]{1,4})\.jpg")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # never in a header's value (RFC 9110 5.5)
# Threads are one per connection: so many at once, and each must send its
# request within REQUEST_SECONDS, or it is closed. An open event stream holds
# one; a browser opens at most six more per server.
MAX_CONNECTIONS = 64
REQUEST_SECONDS = 10.0


class _Refused(Exception):
    def __init__(self, status: HTTPStatus, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"
    protocol_version = "HTTP/1.1"
    timeout = REQUEST_SECONDS  # the socket's: a request that never ends, a stream nobody reads

    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        self._answer(body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(body=False)

    def _answer(self, body: bool) -> None:
        preview = self.server.preview
        try:
            path = self._checked()
        except _Refused as refusal:
            self.close_connection = True  # what else the connection holds is not to be read as a request
            return self._plain(refusal.status, refusal.reason, body)
        if path == "/":
            return self._send(HTTPStatus.OK, preview.page_html().encode("utf-8"), "text/html; charset=utf-8", body=body)
        if path == "/content":
            return self._send(HTTPStatus.OK, preview.page_html(fragment=True).encode("utf-8"), "text/html; charset=utf-8", body=body)
        if path == "/events":
            return self._events(preview, body)
        if (match := _PICTURE.fullmatch(path)) is not None:  # a new digest, a new address
            picture = preview.picture(int(match[1]), int(match[3]), match[2])
            if picture is not None:
                return self._send(HTTPStatus.OK, picture, "image/jpeg", cache="private, max-age=3600, immutable", body=body)
        self._plain(HTTPStatus.NOT_FOUND, "not found", body)

    def _checked(self) -> str:
        """The path asked for, once the request is one the page could have made."""
        hosts = self.headers.get_all("Host") or []
        if len(hosts) != 1:
            raise _Refused(HTTPStatus.BAD_REQUEST, "one Host header, please")
        # Another name for this address (DNS rebinding): only the names we print.
        port = self.server.server_address[1]
        if hosts[0] not in (f"127.0.0.1:{port}", f"localhost:{port}"):
            raise _Refused(HTTPStatus.FORBIDDEN, "only for 127.0.0.1")
        # Last-Event-ID aside: whatever it says only makes it an id this run did
        # not issue, and a refused event stream is one the browser never retries.
        if self.headers.defects or any(_CONTROL.search(value) for name, value in self.headers.items() if name.lower() != "last-event-id"):
            raise _Refused(HTTPStatus.BAD_REQUEST, "a header line that is not Name: value")
        if any(expect.lower() != "100-continue" for expect in self.headers.get_all("Expect") or []):
            raise _Refused(HTTPStatus.EXPECTATION_FAILED, "no expectation but 100-continue")
        lengths = self.headers.get_all("Content-Length") or []
        if "Transfer-Encoding" in self.headers or any(length != "0" for length in lengths) or len(lengths) > 1:
            raise _Refused(HTTPStatus.BAD_REQUEST, f"a {self.command} request has no body")
        target = self.path
        if len(target) > MAX_TARGET:
            raise _Refused(HTTPStatus.REQUEST_URI_TOO_LONG, "request line too long")
        if not target.startswith("/") or target.startswith("//"):
            raise _Refused(HTTPStatus.BAD_REQUEST, "an address here starts with one /")
        path, mark, _ = target.partition("?")
        if mark or "#" in target:
            raise _Refused(HTTPStatus.BAD_REQUEST, "no ? or # here: the sheets are chosen when the server starts")
        return path

    def _plain(self, status: HTTPStatus, reason: str, body: bool = True) -> None:
        self._send(status, f"{status.value} {reason}\n".encode("utf-8"), "text/plain; charset=utf-8", body=body)

    def _send(self, status: HTTPStatus, content: bytes, kind: str, cache: str = "no-store", body: bool = True) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(content)))
        self.send_header("Cache-Control", cache)
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("X-Content-Type-Options", "nosniff")
        if status is HTTPStatus.METHOD_NOT_ALLOWED:
            self.send_header("Allow", "GET, HEAD")
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if body:
            self.wfile.write(content)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (a request line or a header it cannot read, a
        method with no do_ here): in a plain line that never quotes the request."""
        status = HTTPStatus(code)
        status, reason = {
            HTTPStatus.NOT_IMPLEMENTED: (HTTPStatus.METHOD_NOT_ALLOWED, "only GET and HEAD"),
            HTTPStatus.HTTP_VERSION_NOT_SUPPORTED: (HTTPStatus.BAD_REQUEST, "HTTP/1.0 or HTTP/1.1 only"),
            HTTPStatus.BAD_REQUEST: (status, "a request line is: GET /address HTTP/1.1"),
            HTTPStatus.REQUEST_URI_TOO_LONG: (status, "request line too long"),
            HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE: (status, "a header line too long, or too many headers"),
        }.get(status, (status, status.phrase.lower()))
        # The status line too when the request line was unreadable (http.server
        # then takes it for HTTP/0.9, which has none).
        self.request_version = "HTTP/1.1"
        self.close_connection = True
        self._plain(status, reason, body=self.command != "HEAD")

    def parse_request(self) -> bool:
        if not super().parse_request():
            return False
        if self.request_version == "HTTP/0.9":  # a line without a version: no status line, no headers
            self.send_error(HTTPStatus.BAD_REQUEST)
            return False
        return True

    def handle_expect_100(self) -> bool:
        return True  # no request here has a body to wait for: the answer is the refusal, or the page

    def _events(self, preview: Preview, body: bool) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        if not body:
            return
        # A reconnecting page says what it has seen; an id this run did not
        # issue (an earlier run's, one from the future, garbage) is not
        # believed, and the page gets the current state.
        ids = self.headers.get_all("Last-Event-ID") or []
        seen = preview.issued(ids[0]) if len(ids) == 1 else -1
        try:
            while not preview.closed:
                version = preview.wait(seen, KEEPALIVE_SECONDS)
                if version > seen:
                    state = preview.state(version)
                    self.wfile.write(f"id: {state}\ndata: {state}\n\n".encode())
                    seen = version
                else:
                    self.wfile.write(b": still here\n\n")  # notices a closed tab
                self.wfile.flush()
        except OSError:  # a tab closed, or stopped reading
            pass

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # stderr is for what the editor needs: renders and mistakes


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # an open event stream must not keep Ctrl-C waiting
    request_queue_size = 2 * MAX_CONNECTIONS  # those beyond the limit are told so, not left to time out
    preview: Preview

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self._connections = threading.BoundedSemaphore(MAX_CONNECTIONS)

    def process_request(self, request, client_address) -> None:
        if not self._connections.acquire(blocking=False):
            # Told without a thread, in what a socket takes at once.
            reason = b"429 too many connections\n"
            try:
                request.sendall(
                    b"HTTP/1.1 429 Too Many Requests\r\nContent-Type: text/plain; charset=utf-8\r\n"
                    b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(reason), reason)
                )
            except OSError:
                pass
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._connections.release()

    def handle_error(self, request, client_address) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):  # a tab closed mid-answer is no news
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
    from .pdf import Renderer
    from .watch import changes, stamp, touches

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
        # The watch of build --watch: it outlives a folder deleted or replaced.
        for count, paths in enumerate(changes(project, say, stop_event, debounce=400, step=20)):
            if renderer is not None and touches(paths, project.fonts, project.templates):
                renderer.close()  # fonts, stylesheets and hyphenation are loaded once per renderer
                renderer = None
            say((stamp() if count else "") + refresh())
    finally:
        preview.close()
        server.shutdown()
        server.server_close()
        if renderer is not None:
            renderer.close()

