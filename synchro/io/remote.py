"""Files on an HTTP(S) server: a URL recognised, checked with one small request, then read in parts with remfile.

An NWB file on a server (DANDI, an S3 bucket, a lab's web server) is read
without downloading it: h5py reads through :class:`RemoteFile`, which fetches
only the byte ranges h5py asks for (HTTP ``Range`` requests) and counts every
byte it receives, so the reader touches the Units table, the interval tables
and the one series it needs, and ``--lfp none`` leaves a large LFP unread.
Nothing is written to disk.

Why remfile rather than fsspec: remfile is made for h5py's way of reading
(many small metadata reads scattered over the file, then large contiguous
dataset reads). It fetches 100 kB chunks and keeps them, so small reads do
not each cost a request; a read spanning many chunks is one request; and it
reads ahead further only while reads are sequential. fsspec's HTTP file
offers either a block cache, which fetches one block per request (80 MB of
spike times in 1 MB blocks is 80 round trips), or a read-ahead cache that
keeps one region only, so h5py's jumps between metadata and data fetch the
same bytes again. remfile needs only requests; fsspec's HTTP support needs
aiohttp and an event loop. fsspec would add other protocols (``s3://``,
``gs://``); a public S3 object is read here through its ``https://`` address.

Before remfile reads anything, one request for the file's first 8 bytes
checks what remfile would report late or slowly: an unreachable host
(remfile retries for about 25 s), a missing file, a server that ignores
``Range`` (remfile would download the whole file, several times), a body
that is not HDF5 (a web page); it also gives the file's size, from the
``Content-Range`` header.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import unquote, urlsplit

from ..errors import InputNotFoundError, NotHDF5Error, UnreadableInputError, check_installed
from .files import HDF5_SIGNATURE

__all__ = ["URL_SCHEMES", "TIMEOUT", "is_url", "url_name", "RemoteFile"]

#: The URL schemes :func:`synchro.io.read` reads.
URL_SCHEMES = ("http", "https")

#: Seconds to wait for the server's answer to a request before giving it up.
TIMEOUT = 30.0

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")


def is_url(path) -> bool:
    """Whether ``path`` is a URL (``scheme://...``) rather than a local path.

    Parameters
    ----------
    path : str or path-like
        What the user gave.

    Returns
    -------
    bool
        True for a string that starts with a scheme and ``://`` (any
        scheme: those synchro cannot read are refused by
        :class:`RemoteFile` with a message naming the fix).
    """
    return isinstance(path, str) and _SCHEME.match(path) is not None


def url_name(url: str) -> str:
    """The file name of a URL: the last part of its path, percent-decoded (its host when the path is empty).

    Parameters
    ----------
    url : str
        The URL.

    Returns
    -------
    str
        ``"my session.nwb"`` for ``https://host/data/my%20session.nwb?x=1``
        (query and fragment left out).
    """
    parts = urlsplit(url)
    return unquote(parts.path.rstrip("/").rpartition("/")[2]) or parts.hostname or "remote"


class RemoteFile:
    """A file on an HTTP(S) server, read in parts: the file object h5py reads, and the bytes it cost.

    Opening it sends one request for the first 8 bytes, which checks that
    the server answers, holds the file, honours ``Range`` requests and
    serves HDF5. Reads then go through remfile (100 kB chunks, cached,
    larger requests while reads are sequential). Use it as a context
    manager, or call :meth:`close`.

    Parameters
    ----------
    url : str
        ``http://`` or ``https://`` address of the file; redirects are
        followed once, at opening, and the final address is read.
    timeout : float, default :data:`TIMEOUT`
        Seconds to wait for the server to answer a request (remfile retries
        a request that timed out, 8 times).

    Attributes
    ----------
    url : str
        The address as given.
    name : str
        The file name of the URL (:func:`url_name`), for messages.
    size : int
        The file's size in bytes, as the server reports it.
    bytes_read : int
        Bytes of file content received so far (response bodies, the check
        included; headers left out).
    error : str or None
        The network error that ended a read, if one did.

    Raises
    ------
    MissingDependencyError
        remfile is not installed (``pip install "synchro[remote]"``).
    UnreadableInputError
        A scheme other than http/https, an unreachable server, a refused
        request, a server that ignores ``Range``, or an answer without the
        file's size.
    InputNotFoundError
        The server has no such file (HTTP 404 or 410).
    NotHDF5Error
        The file is empty or does not start with the HDF5 signature (a web
        page, a CSV file).
    """

    def __init__(self, url: str, *, timeout: float = TIMEOUT):
        scheme = urlsplit(url).scheme.lower()
        if scheme not in URL_SCHEMES:
            fix = {"s3": "give the object's https:// address (https://BUCKET.s3.amazonaws.com/KEY)",
                   "file": "give the path itself"}.get(scheme, "download the file and give its local path")
            raise UnreadableInputError(f"{url}: synchro reads {' and '.join(URL_SCHEMES)} URLs, not {scheme}://; "
                                       f"{fix}")
        check_installed("remfile", extra="remote", use="URLs as input (synchro.io.read, synchro analyze)")
        import remfile
        import requests

        self.url, self.name, self.bytes_read, self.error = url, url_name(url), 0, None
        probe = requests.Session()
        try:
            self.size, final = self._probe(probe, timeout)
        finally:
            probe.close()
        # The size is known from the check: passing it spares remfile a request for the whole file, which it would
        # abort after the headers (bytes sent for nothing, and a server's log full of cut connections).
        self._file = remfile.File(final, _size=self.size)
        session = self._file.session
        session.hooks["response"].append(self._count)
        # remfile sets no timeout: a server that stops answering mid-read would hang the reader for ever.
        session.request = functools.partial(session.request, timeout=timeout)

    def _count(self, response, *args, **kwargs):
        self.bytes_read += len(response.content)

    def _probe(self, session, timeout: float) -> tuple[int, str]:
        """Size of the file and its final address, after one request for its first bytes."""
        import requests

        url, name = self.url, self.name
        n = len(HDF5_SIGNATURE)
        try:
            # identity: the byte ranges of the stored file, not of a compressed rendering of it.
            r = session.get(url, headers={"Range": f"bytes=0-{n - 1}", "Accept-Encoding": "identity"}, stream=True,
                            timeout=timeout)
        except requests.Timeout:
            raise UnreadableInputError(f"{url} did not answer within {timeout:g} s; check the address and your "
                                       "network connection, or try again later") from None
        except requests.exceptions.SSLError as exc:
            raise UnreadableInputError(f"{url}: the secure connection failed ({_reason(exc)}); check the address, "
                                       "or the system's certificates") from None
        except requests.ConnectionError as exc:
            raise UnreadableInputError(f"{url} cannot be reached ({_reason(exc)}); check the address and your "
                                       "network connection") from None
        except requests.RequestException as exc:
            raise UnreadableInputError(f"{url} is not a URL synchro can open ({_reason(exc)}); give "
                                       "http(s)://HOST/PATH/FILE.nwb") from None
        with r:
            status = f"HTTP {r.status_code} {r.reason or ''}".strip()
            if r.status_code in (404, 410):
                raise InputNotFoundError(f"{url}: the server has no such file ({status}); check the URL")
            if r.status_code in (401, 403):
                raise UnreadableInputError(f"{url}: the server refused access ({status}); check the URL, that the "
                                           "file is public, or that the link has not expired")
            if r.status_code == 416:
                raise NotHDF5Error(f"{name} at {url} is empty, so not NWB; check the URL")
            if r.status_code not in (200, 206):
                raise UnreadableInputError(f"{url}: the server answered {status}; check the URL, or try again later")
            head = r.raw.read(n)
            self.bytes_read += len(head)
            if head != HDF5_SIGNATURE:
                kind = r.headers.get("Content-Type", "").split(";")[0].strip()
                raise NotHDF5Error(f"{name} at {url} is not an HDF5 file, so not NWB (it starts with {head!r}"
                                   f"{f', served as {kind}' if kind else ''}); check that the URL is the file's own "
                                   "download address, not a web page about it")
            total = r.headers.get("Content-Range", "").rpartition("/")[2]
            if r.status_code == 200:
                raise UnreadableInputError(f"{url}: the server ignores HTTP Range requests (it answered a request for "
                                           f"{n} bytes with the whole file), so synchro cannot read the parts it "
                                           "needs; download the file and give its local path")
            if not total.isdigit():
                raise UnreadableInputError(f"{url}: the server does not say the file's size (Content-Range "
                                           f"{r.headers.get('Content-Range')!r}); download the file and give its "
                                           "local path")
            # Later requests go to the final address: one round trip each instead of a redirect and a fetch.
            return int(total), r.url

    def read(self, size: int) -> bytes:
        """``size`` bytes from the current position (fewer at the end of the file).

        Parameters
        ----------
        size : int
            Number of bytes.

        Returns
        -------
        bytes

        Raises
        ------
        Exception
            What remfile raises when the network fails (after 8 retries,
            but at once for a refusal, HTTP 4xx); it is kept in
            :attr:`error` as text.
        """
        size = max(0, min(size, self.size - self._file.tell()))
        if size == 0:
            return b""
        try:
            return self._file.read(size)
        except Exception as exc:
            # Kept as text: the exception's traceback holds h5py's objects of the failed read, which must not outlive
            # the HDF5 library (the interpreter crashed at exit when they did).
            self.error = str(exc) or type(exc).__name__
            raise

    def seek(self, offset: int, whence: int = 0) -> int:
        """Move to ``offset`` bytes from the start (``whence=0``), the current position (1) or the end (2).

        Parameters
        ----------
        offset : int
            Bytes.
        whence : {0, 1, 2}, default 0
            Reference point, as for :meth:`io.IOBase.seek`.

        Returns
        -------
        int
            The new position.
        """
        self._file.seek(offset, whence)
        return self._file.tell()

    def tell(self) -> int:
        """The current position, in bytes from the start.

        Returns
        -------
        int
        """
        return self._file.tell()

    def close(self) -> None:
        """Close the connection to the server."""
        self._file.session.close()

    def __enter__(self) -> RemoteFile:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"RemoteFile({self.url!r}, size={self.size}, bytes_read={self.bytes_read})"


def _reason(exc: Exception) -> str:
    """The root cause of a requests error in a few words ("Connection refused"), not urllib3's whole chain."""
    text = str(exc)
    found = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", text) or re.search(r"\[SSL[^\]]*\] ([^'\")(]+)", text)
    if found:
        return found[1].strip().rstrip(".")
    return type(exc).__name__ if not text else text.split(" (Caused by")[0][:120]
