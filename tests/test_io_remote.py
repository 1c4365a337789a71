"""NWB over HTTP: real NWB files served from a loopback server that honours Range requests, read in parts.

The server (:class:`RangeServer`, threaded, on a free port) serves the files of a folder, answers
``Range: bytes=A-B`` with 206 and exactly those bytes, and counts every byte of file content it sends: the truth
the report's ``bytes_read`` is checked against. Started with ``ranges=False`` it ignores Range, as some servers
do. The planted session of tests/test_cli.py (220 units over 5 s, with an LFP) is analysed from its local path
and from its URL: the report's numbers are the same. A file holding a 20 MB LFP is analysed with ``--lfp none``
from its URL: under 10 % of it is read.
"""

import json
import re
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from test_cli import planted_recording, run_cli

from synchro import Recording, Signal, SpikeData, io
from synchro.errors import InputNotFoundError, NotHDF5Error, UnreadableInputError, UsageError

FAST = ("--bands", "gamma=30-80", "--surrogates", "20", "--synchrony-surrogates", "5", "--no-figures", "-q", "--format",
        "json")


class RangeServer:
    """Files of ``folder`` over HTTP on 127.0.0.1 (threaded, port 0), honouring ``Range`` unless ``ranges=False``.

    ``sent`` counts bytes of file content written to clients (headers and error bodies left out). With
    ``expire_after=N``, requests after the first N are refused (403), as an expired link is.
    """

    def __init__(self, folder: Path, *, ranges: bool = True, expire_after: int | None = None):
        self.folder, self.ranges, self.sent, self.lock = folder, ranges, 0, threading.Lock()
        self.expire_after, self.n_requests = expire_after, 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                path = server.folder / self.path.lstrip("/")
                with server.lock:
                    server.n_requests += 1
                    expired = server.expire_after is not None and server.n_requests > server.expire_after
                if not path.is_file() or expired:
                    self.send_response(403 if expired else 404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                data = path.read_bytes()
                wanted = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", "")) if server.ranges else None
                if wanted and wanted[1] == "":  # a suffix range: the last N bytes
                    start, stop = max(0, len(data) - int(wanted[2])), len(data)
                elif wanted:
                    start, stop = int(wanted[1]), min(len(data), int(wanted[2]) + 1 if wanted[2] else len(data))
                if wanted and start >= len(data):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(data)}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if wanted:
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{stop - 1}/{len(data)}")
                else:
                    start, stop = 0, len(data)
                    self.send_response(200)
                self.send_header("Content-Type", "text/html" if path.suffix == ".html" else "application/x-hdf5")
                self.send_header("Content-Length", str(stop - start))
                self.end_headers()
                try:
                    for a in range(start, stop, 1 << 16):
                        block = data[a:min(stop, a + (1 << 16))]
                        self.wfile.write(block)
                        with server.lock:
                            server.sent += len(block)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client read what it wanted and hung up (a server without Range support)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}/{name}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The planted session (NWB with LFP), a web page named .nwb, and two servers of them: with and without Range."""
    folder = tmp_path_factory.mktemp("served")
    io.write_nwb(planted_recording(), folder / "planted.nwb")
    (folder / "landing.html").write_text("<!DOCTYPE html><html><body>Download planted.nwb</body></html>\n")
    servers = {"ranges": RangeServer(folder), "plain": RangeServer(folder, ranges=False)}
    yield {"folder": folder, **servers}
    for server in servers.values():
        server.close()


def _numbers(doc: dict) -> dict:
    """A report without what differs between a local path and a URL of the same file: timings, time, source."""
    doc = json.loads(json.dumps(doc))
    doc.pop("timings")
    doc["generator"].pop("created")
    for key in ("path", "url", "sha256", "bytes_read"):
        doc["input"].pop(key, None)
    for key in ("source", "url", "bytes", "bytes_read"):
        doc["input"]["metadata"].pop(key, None)
    return doc


def test_the_library_reads_a_url_as_it_reads_the_file(served):
    local = io.read(served["folder"] / "planted.nwb")
    server = served["ranges"]
    before = server.sent
    rec = io.read(server.url("planted.nwb"))
    size = (served["folder"] / "planted.nwb").stat().st_size
    assert rec.metadata["bytes_read"] == server.sent - before and rec.metadata["bytes"] == size
    assert rec.metadata["url"] == rec.metadata["source"] == server.url("planted.nwb")
    assert np.array_equal(rec.spikes.times, local.spikes.times)
    assert np.array_equal(rec.spikes.offsets, local.spikes.offsets)
    assert (rec.spikes.t_start, rec.spikes.t_stop) == (local.spikes.t_start, local.spikes.t_stop)
    assert list(rec.spikes.units.columns) == list(local.spikes.units.columns)
    assert np.array_equal(rec.signals["LFP"].data, local.signals["LFP"].data)
    assert rec.signals["LFP"].fs == local.signals["LFP"].fs == 1000.0
    assert io.source_name(server.url("planted.nwb?token=abc#x")) == "planted.nwb"


def test_analyze_url_gives_the_local_report(served, tmp_path):
    server = served["ranges"]
    work = tmp_path / "work"
    work.mkdir()
    before = server.sent
    with ThreadPoolExecutor(2) as pool:  # two processes at once: each mostly waits for its imports on one core
        remote = pool.submit(run_cli, "analyze", server.url("planted.nwb"), *FAST, cwd=work)
        local = run_cli("analyze", served["folder"] / "planted.nwb", *FAST, "-o", tmp_path / "local", cwd=tmp_path)
        remote = remote.result()
    assert local.returncode == 0, local.stderr
    assert remote.returncode == 0, remote.stderr
    # Nothing is written but the report folder, named after the URL's file.
    assert [p.name for p in work.iterdir()] == ["synchro-report-planted"]
    doc, ref = json.loads(remote.stdout), json.loads(local.stdout)
    assert json.loads((work / "synchro-report-planted" / "report.json").read_text())["input"] == doc["input"]
    assert doc["input"]["url"] == server.url("planted.nwb") and "path" not in doc["input"]
    assert doc["input"]["bytes"] == ref["input"]["bytes"] == (served["folder"] / "planted.nwb").stat().st_size
    assert doc["input"]["bytes_read"] == server.sent - before
    assert doc["input"]["field"]["name"] == "LFP" and doc["coupling"]  # the LFP was read, and used
    assert _numbers(doc) == _numbers(ref)


@pytest.mark.parametrize(("case", "error", "words"), [
    ("unreachable", UnreadableInputError, "cannot be reached (Connection refused); check the address"),
    ("missing", InputNotFoundError, "the server has no such file (HTTP 404 Not Found); check the URL"),
    ("no ranges", UnreadableInputError, "ignores HTTP Range requests"),
    ("web page", NotHDF5Error, "is not an HDF5 file, so not NWB (it starts with b'<!DOCTYP', served as text/html); "
                             "check that the URL is the file's own download address"),
    ("ftp", UnreadableInputError, "synchro reads http and https URLs, not ftp://; download the file"),
])
def test_a_bad_url_is_one_line_with_exit_code_3_and_writes_nothing(served, tmp_path, case, error, words):
    with socket.socket() as s:  # a port nobody listens on: bound, then released
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    url = {"unreachable": f"http://127.0.0.1:{closed}/planted.nwb", "missing": served["ranges"].url("missing.nwb"),
           "no ranges": served["plain"].url("planted.nwb"), "web page": served["ranges"].url("landing.html"),
           "ftp": "ftp://127.0.0.1/planted.nwb"}[case]
    with pytest.raises(error) as caught:
        io.read(url)
    assert words in str(caught.value) and url in str(caught.value)
    if case in ("unreachable", "no ranges"):  # and through the command line: the line, the code, nothing written
        proc = run_cli("analyze", url, cwd=tmp_path)
        assert proc.returncode == 3
        assert proc.stderr == f"synchro: error: {caught.value}\n" and proc.stdout == ""
        assert list(tmp_path.iterdir()) == []


def test_a_link_that_expires_mid_read_is_one_error_naming_what_was_read(served):
    server = RangeServer(served["folder"], expire_after=2)  # the check and one read, then 403
    try:
        with pytest.raises(UnreadableInputError) as caught:
            io.read(server.url("planted.nwb"))
        assert str(caught.value) == (f"reading {server.url('planted.nwb')} failed after {server.sent} bytes (Error "
                                     "fetching bytes 102400-307199: 403 Forbidden); check the URL and your network "
                                     "connection, and try again")
        assert server.sent == 8 + 102400  # the check's 8 bytes and remfile's first 100 kB chunk
    finally:
        server.close()


def test_only_nwb_is_read_from_a_url(served):
    with pytest.raises(UnreadableInputError, match="reads only NWB files from URLs; download the CSV file"):
        io.read(served["ranges"].url("spikes.csv"))
    with pytest.raises(UsageError, match="columns= names the columns of CSV/TSV files"):
        io.read(served["ranges"].url("planted.nwb"), columns="unit=cluster,time=time")


def test_lfp_none_reads_under_a_tenth_of_a_file_holding_a_large_lfp(tmp_path):
    gen = np.random.default_rng(18)
    duration, n_channels, fs = 20.0, 128, 1000.0
    trains = [np.sort(gen.uniform(0.0, duration, gen.poisson(5.0 * duration))) for _ in range(30)]
    spikes = SpikeData.from_trains(trains, t_stop=duration, units={"population": ["exc"] * 24 + ["inh"] * 6})
    lfp = Signal(gen.normal(0.0, 1e-4, (int(duration * fs), n_channels)), fs, name="LFP", units="V")
    folder = tmp_path / "served"
    folder.mkdir()
    path = io.write_nwb(Recording(spikes, {"LFP": lfp}), folder / "long.nwb")
    size = path.stat().st_size
    assert size > lfp.data.nbytes > 20e6  # the writer stores the LFP as given: 20 MB of float64, contiguous
    server = RangeServer(folder)
    try:
        work = tmp_path / "work"
        work.mkdir()
        proc = run_cli("analyze", server.url("long.nwb"), "--lfp", "none", *FAST, cwd=work)
        assert proc.returncode == 0, proc.stderr
        doc = json.loads(proc.stdout)
        assert doc["input"]["bytes_read"] == server.sent
        assert server.sent < 0.1 * size
        assert doc["input"]["field"] is None and doc["input"]["spikes"] == spikes.n_spikes
        # The same file with its LFP read: every sample crosses the wire, and only once.
        before = server.sent
        rec = io.read(server.url("long.nwb"))
        assert np.array_equal(rec.signals["LFP"].data, lfp.data)
        assert lfp.data.nbytes < server.sent - before == rec.metadata["bytes_read"] < 1.1 * size
    finally:
        server.close()
