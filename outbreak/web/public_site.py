"""The public site's cache: the published snapshot in memory, responses pre-rendered.

Nothing here opens a database. The snapshot file is checked for a change at most
once a second; the public list is recomputed when it changes or when an entry's 14
days run out; every distinct response (a page, a filter, a feed) is rendered once,
gzipped once, and served from memory with an ETag until the list changes.
"""

from __future__ import annotations

import gzip
import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from starlette.requests import Request
from starlette.responses import Response

from outbreak.disclose import snapshot as snap
from outbreak.disclose.public import PublicExposure, public_list

T = TypeVar("T")
STAT_EVERY_S = 1.0
MAX_CACHED = 4096
MAX_AGE_S = 60  # what a CDN or browser may reuse without asking


@dataclass(frozen=True)
class Rendered:
    """One response body, ready to send."""

    body: bytes
    gzipped: bytes
    media_type: str
    etag: str


class PublicSite:
    """The published exposure places as the public site serves them."""

    def __init__(
        self, directory: Path, *, clock: Callable[[], datetime] | None = None
    ) -> None:
        self.path = directory / snap.FILENAME
        self.clock = clock or (lambda: datetime.now(UTC))
        self._checked = float("-inf")
        self._seen: tuple[int, int, int] | None = None  # inode, mtime, size
        self._snapshot = snap.empty(self.clock())
        self._list: list[PublicExposure] = []
        self._until = datetime.min.replace(tzinfo=UTC)
        self._cache: OrderedDict[Hashable, Rendered] = OrderedDict()
        self._memo: dict[Hashable, object] = {}

    def _reload(self) -> None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            if self._seen is not None:
                self._seen, self._snapshot = None, snap.empty(self.clock())
                self._until = datetime.min.replace(tzinfo=UTC)
            return
        # a publication replaces the file (a new inode), whatever the clock says
        seen = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if seen != self._seen:
            self._snapshot = snap.parse(self.path.read_bytes())
            self._seen = seen
            self._until = datetime.min.replace(tzinfo=UTC)

    def current(self) -> tuple[snap.Snapshot, list[PublicExposure]]:
        """The snapshot and the public list as of now."""
        mono = time.monotonic()
        if mono - self._checked >= STAT_EVERY_S:
            self._checked = mono
            self._reload()
        now = self.clock()
        if now >= self._until:
            self._list = public_list(self._snapshot.items, now=now)
            self._until = snap.next_change(self._snapshot.items, now=now)
            self._cache.clear()
            self._memo.clear()
        return self._snapshot, self._list

    def memo(self, key: Hashable, compute: Callable[[], T]) -> T:
        """A value derived from the current list, computed once per version."""
        self.current()
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]  # type: ignore[return-value]

    def respond(
        self,
        request: Request,
        key: Hashable,
        render: Callable[[snap.Snapshot, list[PublicExposure]], tuple[bytes, str]],
    ) -> Response:
        """The cached response for ``key``, rendering it on the first request."""
        shot, exposures = self.current()
        hit = self._cache.get(key)
        if hit is None:
            body, media_type = render(shot, exposures)
            hit = Rendered(
                body,
                gzip.compress(body, compresslevel=6, mtime=0),
                media_type,
                '"' + hashlib.sha256(body).hexdigest()[:20] + '"',
            )
            self._cache[key] = hit
            if len(self._cache) > MAX_CACHED:
                self._cache.popitem(last=False)
        headers = {
            "ETag": hit.etag,
            "Cache-Control": f"public, max-age={MAX_AGE_S}",
            "Vary": "Accept-Encoding, Accept-Language",
        }
        if request.headers.get("if-none-match") == hit.etag:
            return Response(status_code=304, headers=headers)
        if "gzip" in request.headers.get("accept-encoding", ""):
            headers["Content-Encoding"] = "gzip"
            return Response(hit.gzipped, media_type=hit.media_type, headers=headers)
        return Response(hit.body, media_type=hit.media_type, headers=headers)
