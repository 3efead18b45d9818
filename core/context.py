"""Per-request facts (ip, user agent, request id) that services record without seeing requests."""

from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    ip_address: str | None = None
    user_agent: str = ""
    extra: dict = field(default_factory=dict)

    def as_metadata(self) -> dict:
        return {
            "ip_address": self.ip_address,
            "user_agent": self.user_agent,
            "request_id": self.request_id,
        }


_current: ContextVar[RequestContext] = ContextVar("request_context", default=RequestContext())


def current() -> RequestContext:
    return _current.get()


def bind(ctx: RequestContext):
    return _current.set(ctx)


def reset(token) -> None:
    _current.reset(token)
