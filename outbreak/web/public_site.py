"""The public site's cache: the published snapshot in memory, responses pre-rendered.

Nothing here opens a database. The snapshot file is checked for a change at most
once a second; the public list is recomputed when it changes or when an entry's 14
days run out; every distinct response (a page, a filter, a feed) is rendered once,
gzipped once, and served from memory with an ETag until the list changes.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
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
from outbreak.errors import OutbreakError, Unavailable

T = TypeVar("T")
STAT_EVERY_S = 1.0
MAX_CACHED_BYTES = 256 * 2**20  # rendered bodies kept (plain and gzipped)
MAX_AGE_S = 60  # what a CDN or browser may reuse without asking
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rendered:
    """One response body, ready to send."""

    body: bytes
    gzipped: bytes
    media_type: str
    etag: str

    @classmethod
    def of(cls, body: bytes, media_type: str) -> Rendered:
        """Gzip once, hash once."""
        return cls(
            body,
            gzip.compress(body, compresslevel=6, mtime=0),
            media_type,
            '"' + hashlib.sha256(body).hexdigest()[:20] + '"',
        )

    @property
    def size(self) -> int:
        """Bytes held."""
        return len(self.body) + len(self.gzipped)


class PublicSite:
    """The published exposure places as the public site serves them."""

    def __init__(
        self, directory: Path, *, clock: Callable[[], datetime] | None = None
    ) -> None:
        self.path = directory / snap.FILENAME
        self.clock = clock or (lambda: datetime.now(UTC))
        self._checked = float("-inf")
        self._seen: tuple[int, int, int] | None = None  # inode, mtime, size
        self._good = True  # no file yet is an empty list; a bad first file is not
        self._snapshot = snap.empty(self.clock())
        self._list: list[PublicExposure] = []
        self._until = datetime.min.replace(tzinfo=UTC)
        self._cache: OrderedDict[Hashable, Rendered] = OrderedDict()
        self._cached_bytes = 0
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
        if seen == self._seen:
            return
        self._seen = seen
        try:
            self._snapshot = snap.parse(self.path.read_bytes())
        except (OSError, OutbreakError) as exc:  # a half-copied or foreign file
            log.error(
                "Snapshot %s unusable (%s); serving the last good one", self.path, exc
            )
            self._good = self._good and self._snapshot.etag != "empty"
            return
        self._good = True
        self._until = datetime.min.replace(tzinfo=UTC)

    def current(self) -> tuple[snap.Snapshot, list[PublicExposure]]:
        """The snapshot and the public list as of now."""
        mono = time.monotonic()
        if mono - self._checked >= STAT_EVERY_S:
            self._checked = mono
            self._reload()
        now = self.clock()
        if not self._good:
            raise Unavailable(
                "The published exposure places cannot be read; try again shortly"
            )
        if now >= self._until:
            self._list = public_list(self._snapshot.items, now=now)
            self._until = snap.next_change(self._snapshot.items, now=now)
            self._cache.clear()
            self._cached_bytes = 0
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
        *,
        cache: bool = True,
    ) -> Response:
        """The response for ``key``: from the cache (least recently used out first,
        at most ``MAX_CACHED_BYTES``), else rendered — and kept if ``cache``."""
        shot, exposures = self.current()
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
        else:
            body, media_type = render(shot, exposures)
            if not cache:  # rendered for this request only: not worth gzipping
                return Response(body, media_type=media_type, headers=self._headers())
            hit = Rendered.of(body, media_type)
            self._cache[key] = hit
            self._cached_bytes += hit.size
            while self._cached_bytes > MAX_CACHED_BYTES and len(self._cache) > 1:
                _, old = self._cache.popitem(last=False)
                self._cached_bytes -= old.size
        headers = self._headers(hit.etag)
        if request.headers.get("if-none-match") == hit.etag:
            return Response(status_code=304, headers=headers)
        if "gzip" in request.headers.get("accept-encoding", ""):
            headers["Content-Encoding"] = "gzip"
            return Response(hit.gzipped, media_type=hit.media_type, headers=headers)
        return Response(hit.body, media_type=hit.media_type, headers=headers)

    @staticmethod
    def _headers(etag: str | None = None) -> dict[str, str]:
        headers = {
            "Cache-Control": f"public, max-age={MAX_AGE_S}",
            "Vary": "Accept-Encoding, Accept-Language",
        }
        if etag is not None:
            headers["ETag"] = etag
        return headers
