"""Template helpers shared by every page: times in <time> elements (UTC without JavaScript,
the viewer's zone with it), status badges, byte sizes, querystring edits for lists."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django import template
from django.http import QueryDict
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()

BADGE_TONES = {
    # asset lifecycle
    "deployed": "ok",
    "stock": "info",
    "intake": "muted",
    "repair": "warn",
    "retired": "muted",
    # bundles
    "received": "info",
    "parsing": "info",
    "parsed": "ok",
    "failed": "bad",
    # tickets
    "open": "warn",
    "in_progress": "info",
    "pending": "info",
    "resolved": "ok",
    "closed": "muted",
}


@register.filter
def when(value: datetime | None, style: str = "minute") -> SafeString | str:
    """<time datetime="UTC ISO" title="... UTC">: app.js rewrites the text into the viewer's zone."""
    if value is None:
        return "—"
    utc = value.astimezone(UTC)
    text = utc.strftime("%Y-%m-%d") if style == "date" else utc.strftime("%Y-%m-%d %H:%M")
    return format_html(
        '<time datetime="{}" title="{} UTC" data-style="{}">{} UTC</time>',
        utc.isoformat().replace("+00:00", "Z"),
        utc.strftime("%Y-%m-%d %H:%M:%S"),
        style,
        text,
    )


@register.filter
def badge(value: str | None, label: str = "") -> SafeString | str:
    if not value:
        return ""
    tone = BADGE_TONES.get(str(value), "muted")
    return format_html('<span class="badge badge-{}">{}</span>', tone, label or str(value).replace("_", " "))


@register.filter
def filesize(value: int | None) -> str:
    if value is None:
        return ""
    size = float(value)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return str(value)


@register.filter
def capacity(specs: dict[str, Any] | None) -> str:
    """A part's size from its specs: 3.84 TB, 32 GiB, 24 cores."""
    if not specs:
        return ""
    size = specs.get("capacity_bytes")
    if isinstance(size, int) and size > 0:
        if size % (1024**3) == 0 and size < 1024**4:
            return f"{size // 1024**3} GiB"
        return f"{size / 1000**4:.2f} TB" if size >= 1000**4 else f"{size / 1000**3:.0f} GB"
    if specs.get("cores"):
        return f"{specs['cores']} cores"
    if specs.get("watts"):
        return f"{specs['watts']} W"
    return ""


@register.filter
def label(asset: Any) -> str:
    """A server's short name: hostname, else asset tag, serial or UUID."""
    if asset is None:
        return ""
    return asset.hostname or asset.asset_tag or asset.vendor_serial or asset.system_uuid or f"asset {asset.pk}"


@register.filter
def get(mapping: dict[str, Any] | None, key: str) -> Any:
    return (mapping or {}).get(key)


@register.simple_tag(takes_context=True)
def query(context: template.Context, **changes: Any) -> str:
    """The current query string with some parameters replaced (None drops one); for sort
    links and pagers, so a filtered list keeps its filters."""
    params: QueryDict = context["request"].GET.copy()
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = str(value)
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"
