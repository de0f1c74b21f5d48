"""Hostile input to the preview server and the watch modes.

The server's requests: every value it reads (the request line, the address,
the headers, the method) is refused with a short plain 4xx when it is bad,
never a 5xx or a traceback, and the server goes on serving. A reconnecting
page's Last-Event-ID that this run did not issue is not trusted. The watch of
`build --watch` and of `serve` outlives its folders being deleted, moved away
and replaced.
"""

from __future__ import annotations

import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest

from onepagers import serve
from onepagers.plan import Selection
from onepagers.project import Project

DIGEST = "0123456789abcdef" * 4
PICTURES = (b"\xff\xd8 the first page", b"\xff\xd8 the second page")
# A refusal says what is wrong in a line; a page is the page (its pictures are
# separate requests): nothing a request sends makes an answer grow.
REFUSAL_BYTES = 200
PAGE_BYTES = 1 << 20


@pytest.fixture
def running(project: Project) -> Iterator[serve._Server]:
    """A preview server in this process, showing one sheet of two made-up pictures."""
    server = _start(project)
    yield server
    _stop(server)


def _start(project: Project) -> serve._Server:
    preview = serve.Preview(project, Selection(themes=(6,)))
    preview._publish(mistakes=[], sheets=[serve.Pages("TEMA 6", "Svære kald", DIGEST, PICTURES, ((10, 14), (10, 14)))])
    server = serve._Server(("127.0.0.1", 0), serve._Handler)
    server.preview = preview
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _stop(server: serve._Server) -> None:
    server.preview.close()
    server.shutdown()
    server.server_close()


def _host(server: serve._Server) -> str:
    return f"127.0.0.1:{server.server_address[1]}"


def _exchange(server: serve._Server, raw: bytes) -> tuple[str, dict[str, str], bytes]:
    """One request on a fresh connection: the status line, the headers, the body."""
    with socket.create_connection(("127.0.0.1", server.server_address[1]), timeout=60) as connection:
        try:
            connection.sendall(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before all of it was read: the answer is still there to read
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = connection.recv(65536)
            assert chunk, f"the connection closed without an answer (so far {received[:200]!r})"
            received += chunk
            assert len(received) < 65536, f"an answer's head that does not end: {received[:200]!r}"
        head, _, body = received.partition(b"\r\n\r\n")
        status, *lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers["content-length"])  # every answer says how long it is
        assert length <= PAGE_BYTES, status
        if not raw.startswith(b"HEAD "):
            while len(body) < length:
                chunk = connection.recv(65536)
                assert chunk, "the connection closed in the middle of the body"
                body += chunk
    return status, headers, body


def _get(server: serve._Server, target: str | bytes, *headers: bytes, method: bytes = b"GET", host: bytes | None = None) -> bytes:
    target = target.encode("latin-1") if isinstance(target, str) else target
    host_line = b"Host: " + (host if host is not None else _host(server).encode()) + b"\r\n"
    return method + b" " + target + b" HTTP/1.1\r\n" + host_line + b"".join(h + b"\r\n" for h in headers) + b"\r\n"


def _hostile_requests(server: serve._Server) -> list[bytes]:
    picture = f"/page/0/{DIGEST}/1.jpg"
    targets = [
        # The picture's numbers: a digit only in Latin-1 (²), numbers Python will not read, none, negative.
        b"/page/\xb2/" + DIGEST.encode() + b"/1.jpg",
        b"/page/0/" + DIGEST.encode() + b"/\xb9.jpg",
        "/page/" + "9" * 5000 + f"/{DIGEST}/1.jpg",
        f"/page/0/{DIGEST}/" + "9" * 5000 + ".jpg",
        f"/page/-1/{DIGEST}/1.jpg", f"/page/0/{DIGEST}/0.jpg", f"/page/0/{DIGEST}/3.jpg", f"/page/1/{DIGEST}/1.jpg",
        "/page/0/../1.jpg", "/page//1.jpg", "/page/0/%00/1.jpg", f"/page/0/{DIGEST}/1.jpg%00", f"/page/0/{DIGEST}/1",
        # Query parameters: the server takes none, whatever they say.
        "/?theme=6", "/?theme=../../etc/passwd", "/?theme=6&theme=7&theme=-1", "/?page=-1", "/?page=99999999999999999999",
        "/?zoom=1e309", "/?zoom=NaN", "/?profile=%00", "/?variant=%ff%fe", "/?variant=" + "x" * 10000, "/content?x",
        "/events?last=1", picture + "?v=2", "/?%", "/?=",
        # Addresses that are no address here: traversal, escapes (NUL, overlong UTF-8, broken), odd forms.
        "/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/%c0%ae%c0%ae/etc/passwd", "/%00", "/content%00",
        "/%", "/%zz", "//etc/passwd", "/\x00", "/\x7f", "/content/", "/CONTENT", "/é", b"/\xff\xfe",
        "*", f"http://{_host(server)}/", "http://attacker.example/", "content", "",
        "/" + "a" * 3000, "/" + "a" * 60000, "/#fragment", "/content#",
    ]
    requests = [_get(server, t) for t in targets]
    requests += [
        _get(server, "/" + "a" * 70000),  # longer than http.server reads in a line
        # Methods: none but GET and HEAD.
        b"POST / HTTP/1.1\r\nHost: " + _host(server).encode() + b"\r\nContent-Length: 5\r\n\r\nhello",
        _get(server, "/", method=b"PUT"), _get(server, "/", method=b"DELETE"), _get(server, "/", method=b"OPTIONS"),
        _get(server, "/", method=b"TRACE"), _get(server, "/", method=b"PATCH"), _get(server, "/", method=b"get"),
        _get(server, "/", method=b"G\x00T"), _get(server, "/", method=b"X" * 60000),
        b"CONNECT " + _host(server).encode() + b" HTTP/1.1\r\nHost: " + _host(server).encode() + b"\r\n\r\n",
        # Request lines: versions it does not speak, HTTP/0.9, garbage.
        b"GET / HTTP/9.9\r\nHost: x\r\n\r\n", b"GET / HTTP/2.0\r\n\r\n", b"GET / HTTP/1.x\r\n\r\n",
        b"GET / FOO/1.1\r\n\r\n", b"GET / HTTP/1.1 more\r\n\r\n", b"GET /\r\n\r\n", b"GET\r\n\r\n",
        b"\x00\x01\x02\r\n\r\n", b"\xff\xfe / HTTP/1.1\r\n\r\n", b" / HTTP/1.1\r\n\r\n",
        # Host: none, two, wrong, with a NUL, huge.
        b"GET / HTTP/1.1\r\n\r\n",
        _get(server, "/", b"Host: attacker.example"),
        _get(server, "/", host=b"attacker.example:" + str(server.server_address[1]).encode()),
        _get(server, "/", host=_host(server).encode() + b"\x00"),
        _get(server, "/", host=b""), _get(server, "/", host=b"h" * 60000), _get(server, "/", host=b"\xff\xfe"),
        # Headers: too long a line, too many, broken lines.
        _get(server, "/", b"X-Long: " + b"x" * 70000),
        _get(server, "/", *[b"X-Many-%d: x" % n for n in range(150)]),
        _get(server, "/", b"no colon here"), _get(server, "/", b": no name"), _get(server, "/", b"X-Nul: \x00"),
        # A body where a GET has none: any length, a bad length, two lengths, chunks.
        _get(server, "/", b"Content-Length: 5") + b"hello",
        _get(server, "/", b"Content-Length: -1"), _get(server, "/", b"Content-Length: abc"),
        _get(server, "/", b"Content-Length: 99999999999999999999999"), _get(server, "/", b"Content-Length: \xb2"),
        _get(server, "/", b"Content-Length: 0", b"Content-Length: 5") + b"hello",
        _get(server, "/", b"Transfer-Encoding: chunked") + b"5\r\nhello\r\n0\r\n\r\n",
        _get(server, "/", b"Expect: something-else"),
    ]
    return requests


def test_every_bad_request_gets_a_short_plain_4xx_and_the_server_goes_on(running, capfd):
    refused = []
    for raw in _hostile_requests(running):
        status, headers, body = _exchange(running, raw)
        code = int(status.split(" ")[1]) if re.match(r"HTTP/1\.[01] \d\d\d ", status) else 0
        assert 400 <= code < 500, (raw[:120], status, body[:200])
        assert headers.get("content-type") == "text/plain; charset=utf-8", (raw[:120], status, headers)
        assert len(body) <= REFUSAL_BYTES and b"<" not in body, (raw[:120], body)
        refused.append(code)
    # A normal request still works, on the page and on a picture.
    status, headers, body = _exchange(running, _get(running, "/"))
    assert status.startswith("HTTP/1.1 200") and f"/page/0/{DIGEST}/2.jpg".encode() in body
    status, headers, body = _exchange(running, _get(running, f"/page/0/{DIGEST}/2.jpg"))
    assert status.startswith("HTTP/1.1 200") and body == PICTURES[1]
    assert "Traceback" not in capfd.readouterr().err
    # Not every refusal is a "not found": the query, the method and the length say what they are.
    assert {400, 403, 404, 405, 414, 431} <= set(refused)


def test_ignored_request_values_change_nothing(running, capfd):
    """What the server does not read (Range, caching, cookies) leaves a normal answer normal."""
    picture = f"/page/0/{DIGEST}/1.jpg"
    for extra in (b"Range: bytes=-1", b"Range: bytes=999999999999-", b"Range: bytes=a-b", b"Range: " + b"0-1," * 5000,
                  b"If-None-Match: " + b"x" * 5000, b"Cookie: a=\xff", b"Accept: */*\r\nAccept: */*"):
        status, headers, body = _exchange(running, _get(running, picture, extra))
        assert status.startswith("HTTP/1.1 200") and body == PICTURES[0], extra[:40]
    # HEAD: the same head, no body.
    status, headers, body = _exchange(running, _get(running, "/", method=b"HEAD"))
    assert status.startswith("HTTP/1.1 200") and int(headers["content-length"]) > 0 and body == b""
    assert "Traceback" not in capfd.readouterr().err


def test_a_connection_that_never_finishes_its_request_is_closed(monkeypatch, running):
    # The server's own limit is serve.REQUEST_SECONDS; a second shows the same rule.
    monkeypatch.setattr(serve._Handler, "timeout", 1.0)
    with socket.create_connection(("127.0.0.1", running.server_address[1]), timeout=60) as connection:
        connection.sendall(b"GET / HTTP/1.1\r\nHost: " + _host(running).encode() + b"\r\n")  # and then nothing
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    assert received == b"" or received.startswith(b"HTTP/1.1 408"), received[:200]


def test_connections_beyond_the_limit_are_refused_and_the_server_goes_on(running, capfd):
    idle = [socket.create_connection(("127.0.0.1", running.server_address[1]), timeout=60) for _ in range(getattr(serve, "MAX_CONNECTIONS", 64))]
    try:
        status, headers, body = _exchange(running, _get(running, "/"))
        assert status.startswith("HTTP/1.1 429") and body == b"429 too many connections\n", (status, body)
    finally:
        for connection in idle:
            connection.close()
    for _ in range(600):  # until the idle connections' threads have seen them closed
        status, headers, body = _exchange(running, _get(running, "/"))
        if not status.startswith("HTTP/1.1 429"):
            break
        time.sleep(0.1)
    assert status.startswith("HTTP/1.1 200")
    assert "Traceback" not in capfd.readouterr().err


# Reconnecting pages ---------------------------------------------------------


def _first_event(server: serve._Server, last_event_id: bytes | None) -> dict[str, str]:
    """The first block the event stream sends to a page that says it has seen `last_event_id`."""
    with socket.create_connection(("127.0.0.1", server.server_address[1]), timeout=60) as connection:
        extra = [b"Last-Event-ID: " + last_event_id] if last_event_id is not None else []
        connection.sendall(_get(server, "/events", b"Accept: text/event-stream", *extra))
        received = b""
        while b"\r\n\r\n" not in received or b"\n\n" not in received.partition(b"\r\n\r\n")[2]:
            chunk = connection.recv(65536)
            assert chunk, f"the stream ended: {received[:300]!r}"
            received += chunk
    head, _, stream = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and b"text/event-stream" in head, head
    block = stream.decode("utf-8").partition("\n\n")[0]
    fields = dict(line.partition(": ")[::2] for line in block.split("\n"))
    return fields


def _shown(server: serve._Server) -> str:
    """The state the page has when it loads now: what it compares each event with."""
    _, _, body = _exchange(server, _get(server, "/content"))
    return re.search(r'id="state" data-version="([^"]*)"', body.decode("utf-8")).group(1)


def test_an_event_id_from_another_run_or_made_up_gets_the_current_state(project, capfd):
    earlier, server = _start(project), _start(project)
    try:
        # Both runs at the same version: the earlier run's page must still hear of the new run's state.
        assert earlier.preview.version == server.preview.version
        old = _first_event(earlier, None)
        assert old["data"] == _shown(earlier)
        assert _shown(server) != old["data"], "a page from the earlier run would see nothing new"
        server.preview._publish(mistakes=["a mistake"])  # the current state is not the first one
        current = _shown(server)
        hostile = [
            old["id"].encode(),  # from the earlier run
            str(server.preview.version + 1).encode(), str(server.preview.version + 1000).encode(), b"9" * 5000,  # from the future
            b"-1", b"-" + str(server.preview.version).encode(), b"0", b"",  # negative, nothing
            b"abc", b"1e3", b"0x1", b" 1", b"1 ", b"\xb2", b"\xd9\xa1", b"1\x00", b"%31", b"x" * 5000,  # not a number
        ]
        for last in hostile:
            event = _first_event(server, last)
            assert event.get("data") == current, (last[:40], event)
        # An id this run issued is trusted: only what is newer follows.
        seen = _first_event(server, None)
        assert seen["data"] == current
        server.preview._publish(mistakes=[])
        assert _first_event(server, seen["id"].encode())["data"] == _shown(server) != current
    finally:
        _stop(earlier)
        _stop(server)
    assert "Traceback" not in capfd.readouterr().err


# Watched folders deleted and recreated ----------------------------------------

THEME = "data/themes/06-svaere-kald.yaml"
TITLE = re.compile(r'^title: "', re.M)


class _Log:
    """The lines a command writes to stderr, as they come."""

    def __init__(self, stream) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=lambda: [self.lines.put(line.rstrip("\n")) for line in stream], daemon=True).start()

    def next(self) -> str:
        try:
            line = self.lines.get(timeout=120)
        except queue.Empty:
            pytest.fail("no more lines; those so far:\n" + "\n".join(self.seen))
        self.seen.append(line)
        assert "Traceback" not in line, "\n".join(self.seen)
        return line

    def until(self, wanted: str) -> str:
        """The next line that matches `wanted`."""
        while not re.search(wanted, line := self.next()):
            pass
        return line


def _replace_and_edit(root: Path, log: _Log, changed: str, unchanged: str) -> None:
    """Each folder the watch reads deleted, moved away or replaced, and then
    edited: every edit after it came back is seen."""
    theme = root / THEME
    stash = root.parent / f"{root.name}-stash"
    shutil.copytree(root / "data", stash / "data")

    # data/ deleted: said once, waited for; back: rebuilt; edited after: rebuilt.
    shutil.rmtree(root / "data")
    log.until(r"\bdata/ is gone")
    time.sleep(1)  # looked at again and again while gone: said once
    shutil.copytree(stash / "data", root / "data")
    assert re.search(r"\bdata/ is back", log.next()), "\n".join(log.seen)
    log.until(unchanged)
    theme.write_text(TITLE.sub('title: "Nyt om ', theme.read_text(encoding="utf-8"), count=1), encoding="utf-8")
    log.until(changed)

    # data/ replaced at once, as `rm -rf data && cp -r backup data` does.
    shutil.rmtree(stash / "data")
    shutil.copytree(root / "data", stash / "data")
    shutil.rmtree(root / "data")
    shutil.copytree(stash / "data", root / "data")
    log.until(r"\bdata/ (is back|was replaced)")
    log.until(unchanged)
    theme.write_text(TITLE.sub('title: "Mere om ', theme.read_text(encoding="utf-8"), count=1), encoding="utf-8")
    log.until(changed)

    # data/themes/ replaced inside the watched data/.
    shutil.copytree(root / "data" / "themes", stash / "themes")
    shutil.rmtree(root / "data" / "themes")
    shutil.copytree(stash / "themes", root / "data" / "themes")
    time.sleep(1)
    theme.write_text(TITLE.sub('title: "Alt om ', theme.read_text(encoding="utf-8"), count=1), encoding="utf-8")
    log.until(changed)

    # templates/ replaced by a copy moved into place, as a checkout or an atomic save does.
    shutil.copytree(root / "templates", stash / "templates")
    (root / "templates").rename(root / "templates-old")
    (stash / "templates").rename(root / "templates")
    log.until(r"\btemplates/ (is back|was replaced)")
    log.until(unchanged)
    css = root / "templates" / "print.css"
    css.write_text(css.read_text(encoding="utf-8") + "\n/* edited after it came back */\n", encoding="utf-8")
    log.until(changed)

    # fonts/ deleted and copied back.
    shutil.copytree(root / "fonts", stash / "fonts")
    shutil.rmtree(root / "fonts")
    shutil.copytree(stash / "fonts", root / "fonts")
    log.until(r"\bfonts/ (is back|was replaced)")
    log.until(unchanged)
    licence = root / "fonts" / "OFL.txt"
    licence.write_text(licence.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    log.until(changed)


def _stopped(process: subprocess.Popen) -> str:
    process.send_signal(signal.SIGINT)
    _, rest = process.communicate(timeout=60)
    return rest


@pytest.mark.slow
def test_build_watch_outlives_its_folders_deleted_and_replaced(sandbox):
    root = sandbox.root
    process = subprocess.Popen(
        [sys.executable, "-m", "onepagers", "build", "--watch", "--theme", "6", "--out", "out"],
        cwd=root, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )
    log = _Log(process.stderr)
    try:
        log.until(r"rebuilt TEMA 6 \(privat@2\)")
        _replace_and_edit(root, log, changed=r"rebuilt TEMA 6 \(privat@2\)", unchanged=r"nothing changed")
        # The whole project, its working folder included, deleted and copied back.
        shutil.copytree(root, root.parent / "whole")
        shutil.rmtree(root)
        log.until(rf"{re.escape(str(root))}/ is gone")
        shutil.copytree(root.parent / "whole", root)
        log.until(rf"{re.escape(str(root))}/ is back")
        log.until(r"nothing changed")
        theme = root / THEME
        theme.write_text(TITLE.sub('title: "Til sidst om ', theme.read_text(encoding="utf-8"), count=1), encoding="utf-8")
        log.until(r"rebuilt TEMA 6 \(privat@2\)")
        assert process.poll() is None
    finally:
        rest = _stopped(process)
    assert "Traceback" not in rest


@pytest.mark.slow
def test_serve_watch_outlives_its_folders_deleted_and_replaced(sandbox):
    root = sandbox.root
    process = subprocess.Popen(
        [sys.executable, "-m", "onepagers", "serve", "--theme", "6"],
        cwd=root, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    log = _Log(process.stderr)
    try:
        assert process.stdout.readline().startswith("http://127.0.0.1:")
        log.until(r"rendered TEMA 6 \(privat@2\)")
        _replace_and_edit(root, log, changed=r"rendered TEMA 6 \(privat@2\)", unchanged=r"nothing changed")
        assert process.poll() is None
    finally:
        rest = _stopped(process)
    assert "Traceback" not in rest
