"""The ``Paging`` dependency every list endpoint takes: ``limit`` and ``cursor`` in, a ``Page`` out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar, overload

from fastapi import Depends, Query, Request

from bayfin.api.deps import PlatformDep
from bayfin.kernel.pagination import (
    DEFAULT_LIMIT,
    MAX_CURSOR_LENGTH,
    MAX_LIMIT,
    CursorCodec,
    Key,
    Page,
    PageRequest,
    in_memory,
    split,
)

R = TypeVar("R")
T = TypeVar("T")


class Pager:
    """The page a request asked for, and how to answer it with the link to the next one."""

    def __init__(self, request: Request, codec: CursorCodec, scope: str, limit: int,
                 cursor: str | None) -> None:
        self._request = request
        self._codec = codec
        self._scope = scope
        self.page_request = PageRequest(limit=limit,
                                        after=codec.decode(scope, cursor) if cursor else None)

    @property
    def limit(self) -> int:
        """The page size asked for."""
        return self.page_request.limit

    def _link(self, key: Key | None) -> str | None:
        if key is None:
            return None
        url = self._request.url.include_query_params(cursor=self._codec.encode(self._scope, key),
                                                     limit=self.limit)
        return f"{url.path}?{url.query}"

    @overload
    def page(self, rows: Sequence[R], key: Callable[[R], Key]) -> Page[R]: ...

    @overload
    def page(self, rows: Sequence[R], key: Callable[[R], Key], convert: Callable[[R], T]) -> Page[T]: ...

    def page(self, rows: Sequence[Any], key: Callable[[Any], Key],
             convert: Callable[[Any], Any] | None = None) -> Page[Any]:
        """The page made of ``rows`` (read with ``limit + 1``), each converted for the response."""
        kept, next_key = split(rows, self.page_request, key)
        items = [convert(r) for r in kept] if convert else kept
        return Page(items=items, next=self._link(next_key))

    def feed(self, rows: Sequence[R], key: Callable[[R], Key], convert: Callable[[R], T]) -> Page[T]:
        """A page of a feed that grows at its end (oldest first): ``next`` always names where to poll
        from, after the last item seen, even when nothing new has come yet."""
        kept, _ = split(rows, self.page_request, key)
        resume = key(kept[-1]) if kept else self.page_request.after
        return Page(items=[convert(r) for r in kept], next=self._link(resume) if resume else
                    self._link_without_cursor())

    def _link_without_cursor(self) -> str:
        url = self._request.url.remove_query_params("cursor").include_query_params(limit=self.limit)
        return f"{url.path}?{url.query}"

    @overload
    def page_of(self, items: Sequence[R], key: Callable[[R], Key], *,
                descending: bool = False) -> Page[R]: ...

    @overload
    def page_of(self, items: Sequence[R], key: Callable[[R], Key], convert: Callable[[R], T], *,
                descending: bool = False) -> Page[T]: ...

    def page_of(self, items: Sequence[Any], key: Callable[[Any], Key],
                convert: Callable[[Any], Any] | None = None, *, descending: bool = False) -> Page[Any]:
        """A page over a list computed in memory, sorted by ``key`` (unique per item)."""
        rows = in_memory(items, key, self.page_request, descending=descending)
        return self.page(rows, key, convert) if convert else self.page(rows, key)


def get_pager(request: Request, platform: PlatformDep,
              limit: Annotated[int, Query(ge=1, le=MAX_LIMIT,
                                          description=f"Page size, 1 to {MAX_LIMIT}")] = DEFAULT_LIMIT,
              cursor: Annotated[str | None, Query(max_length=MAX_CURSOR_LENGTH,
                                                  description="Where to continue: the cursor of the "
                                                              "previous page's `next` link")] = None,
              ) -> Pager:
    """The requested page; a cursor this list did not issue is a 400 problem."""
    route = request.scope.get("route")
    scope = f"{request.method} {getattr(route, 'path', request.url.path)}"
    codec = CursorCodec(platform.settings.audit_key.get_secret_value().encode())
    return Pager(request, codec, scope, limit, cursor)


Paging = Annotated[Pager, Depends(get_pager)]
