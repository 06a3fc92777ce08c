"""/audit URL end to end: check the page, store the findings, compare with the last check of
the same site, and put the report into words (each finding with its lesson and an idea)."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.catalogue import Catalogue
from bot.content.loader import CourseIndex
from bot.db.models import WebAudit
from bot.domain.findings import (
    SEVERITIES,
    Finding,
    PageFacts,
    evaluate,
    images_to_check,
    links_to_check,
    parse_html,
)
from bot.kernel.context import escape, fill, rows
from bot.kernel.i18n import N_, Translator
from bot.kernel.messages import Button, Message, Outbound
from bot.net.pages import DEFAULT_PORTS, AuditRefused, WebFetcher, normalise_url

MESSAGE_LIMIT = 3500
SITE_KEY_LIMIT = 255  # web_audits.site is String(255)
SEVERITY_MARKS = {"high": "🔴", "medium": "🟠", "low": "🟡"}
IDEAS_SUGGESTED = 3

REFUSALS = {
    "bad_url": N_("That does not look like a web address. Try e.g. /audit https://example.lt"),
    "scheme": N_("I can only check web pages (addresses starting with http:// or https://)."),
    "private": N_(
        "This address leads to a private or internal network, so I do not check it. "
        "Please send the address of a public page."
    ),
    "unresolvable": N_("I could not find this website. Please check the address for typos."),
    "unreachable": N_("The website did not answer. Please try again later."),
    "timeout": N_("The website took too long to answer, so I stopped waiting. Try again later."),
    "too_many_redirects": N_(
        "The page sends me round in circles (more than 5 redirects), so I stopped. Your web "
        "administrator should look at the redirect settings."
    ),
    "too_large": N_(
        "The page is larger than 3 MB, so I stopped reading it. That alone is a sign it is too "
        "heavy for phones: see the lesson on speed."
    ),
    "not_html": N_("This address opens a file, not a web page. Please send a page address."),
    "http_error": N_("The website answered with an error ({detail}). Is the address right?"),
    "failed": N_("Sorry, the check failed on my side. Please try again later."),
}


@dataclass(frozen=True)
class AuditReport:
    """A finished check: where it ended up and what it found."""

    url: str
    final_url: str
    site: str  # site_key(final_url): which earlier check this one is compared with
    findings: list[Finding]


def site_of(url: str) -> str:
    """The site a URL belongs to, to name it in a report: its host without www."""
    return (urlsplit(url).hostname or "").lower().removeprefix("www.")


def site_key(url: str) -> str:
    """What a check is compared by: scheme://host:port/path (host lowercased, the default
    port written out, no query or fragment), at most SITE_KEY_LIMIT characters (a longer key
    keeps its beginning and ends in a hash of the whole)."""
    try:
        parsed = httpx.URL(url)
        host = parsed.raw_host.decode("ascii").lower()
        port = parsed.port or DEFAULT_PORTS[parsed.scheme]
    except (httpx.InvalidURL, ValueError, KeyError, UnicodeError):
        key = url.strip()
    else:
        path = parsed.raw_path.split(b"?", 1)[0].decode("ascii") or "/"
        named = f"[{host}]" if ":" in host else host
        key = f"{parsed.scheme}://{named}:{port}{path}"
    if len(key) <= SITE_KEY_LIMIT:
        return key
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    return key[: SITE_KEY_LIMIT - len(digest) - 1] + "#" + digest


async def check_page(fetcher: WebFetcher, raw_url: str) -> AuditReport:
    """Fetch and judge a page within the policy's deadline (raises AuditRefused when it
    cannot be checked, reason "timeout" when the deadline passes). The probes of images and
    links and the https check stop a little before the deadline and report what answered."""
    deadline = fetcher.policy.deadline
    end = asyncio.get_running_loop().time() + deadline
    try:
        async with asyncio.timeout_at(end):
            return await _check_page(fetcher, raw_url, end - min(1.0, deadline / 10))
    except TimeoutError as error:
        raise AuditRefused("timeout", "deadline") from error


async def _check_page(fetcher: WebFetcher, raw_url: str, extras_until: float) -> AuditReport:
    page = await fetcher.fetch_page(normalise_url(raw_url))
    content_type = page.headers.get("content-type", "")
    charset = content_type.split("charset=", 1)[1].strip() if "charset=" in content_type else None
    try:
        parsed = parse_html(page.body, page.final_url, charset)
    except LookupError:
        parsed = parse_html(page.body, page.final_url)
    images = images_to_check(parsed)
    links = links_to_check(parsed)
    favicon = None if parsed.has_icon else urljoin(page.final_url, "/favicon.ico")
    probes, http_redirects = await asyncio.gather(
        fetcher.probe_all([*images, *links, *([favicon] if favicon else [])], until=extras_until),
        fetcher.redirects_to_https(page, until=extras_until),
    )
    facts = PageFacts(
        final_url=page.final_url,
        html_bytes=len(page.body),
        hsts="strict-transport-security" in page.headers,
        http_redirects=http_redirects,
    )
    findings = evaluate(
        parsed,
        facts,
        {url: probes[url] for url in images if url in probes},
        {url: probes[url] for url in links if url in probes},
        probes.get(favicon) if favicon else None,
    )
    return AuditReport(page.url, page.final_url, site_key(page.final_url), findings)


def _stored(findings: list[Finding]) -> dict[str, Any]:
    return {
        f.code: {"ok": f.ok, "severity": f.severity, "params": f.params}
        for f in findings
        if f.ok is not None
    }


async def store_report(
    session: AsyncSession, participant_id: int, report: AuditReport, now: datetime
) -> tuple[WebAudit, WebAudit | None]:
    """Save a check; return it and this participant's previous check of the same page
    (same scheme, host, port and path: see site_key)."""
    previous = await session.scalar(
        select(WebAudit)
        .where(WebAudit.participant_id == participant_id, WebAudit.site == report.site)
        .order_by(WebAudit.created_at.desc(), WebAudit.id.desc())
        .limit(1)
    )
    audit = WebAudit(
        participant_id=participant_id,
        site=report.site,
        url=report.url,
        final_url=report.final_url,
        findings=_stored(report.findings),
        created_at=now,
    )
    session.add(audit)
    await session.flush()
    return audit, previous


def refusal_text(tr: Translator, error: AuditRefused) -> str:
    """Why a page could not be checked, in plain words."""
    template = tr.gettext(REFUSALS.get(error.reason, REFUSALS["failed"]))
    return fill(template, detail=error.detail)


def render_report(
    tr: Translator,
    catalogue: Catalogue,
    index: CourseIndex,
    audit: WebAudit,
    previous: WebAudit | None,
    zone_date: str | None,
) -> list[Outbound]:
    """The report: problems by severity (each with its lesson), what is fine, what changed."""
    _ = tr.gettext
    lang = tr.language

    def local(text: dict[str, str]) -> str:
        return text.get(lang) or text["lt"]

    def params(code: str) -> dict[str, str]:
        values = dict(audit.findings[code]["params"])
        if lang == "lt":
            values = {k: v.replace(".", ",") if k == "size" else v for k, v in values.items()}
        return values

    known = catalogue.findings
    problems = [c for c, f in audit.findings.items() if not f["ok"] and c in known]
    problems.sort(key=lambda c: SEVERITIES.index(audit.findings[c]["severity"]))
    passed = [c for c, f in audit.findings.items() if f["ok"] and c in known]
    head = fill(_("🔎 <b>Check of {site}</b>"), site=site_of(audit.final_url)) + "\n"
    head += fill(
        _("To improve: {problems}. Fine: {passed}."), problems=len(problems), passed=len(passed)
    )
    blocks: list[str] = []
    for code in problems:
        text = catalogue.findings[code]
        ref = index.lesson(text.lesson)
        lesson = local(ref.lesson.title) if ref else text.lesson
        mark = SEVERITY_MARKS[audit.findings[code]["severity"]]
        blocks.append(
            f"{mark} <b>{escape(local(text.title))}</b>\n"
            + fill(local(text.problem), **params(code))
            + "\n"
            + fill(_("📘 Lesson: {lesson}"), lesson=lesson)
        )
    messages: list[Outbound] = []
    current = head
    for block in blocks:
        if len(current) + len(block) + 2 > MESSAGE_LIMIT:
            messages.append(Message(current))
            current = block
        else:
            current += "\n\n" + block
    messages.append(Message(current))
    tail: list[str] = []
    if passed:
        names = ", ".join(local(catalogue.findings[c].title) for c in passed)
        tail.append(fill(_("✅ Fine: {names}."), names=names))
    tail.append(_compare(tr, catalogue, audit, previous, zone_date))
    ideas: list[str] = []
    for code in problems:
        idea = catalogue.findings[code].idea
        if idea not in ideas:
            ideas.append(idea)
    buttons = [
        Button("💡 " + local(catalogue.ideas[idea].title), f"isg:{idea}")
        for idea in ideas[:IDEAS_SUGGESTED]
    ]
    if buttons:
        tail.append(_("Ideas to start with:"))
    messages.append(Message("\n\n".join(t for t in tail if t), rows(*buttons)))
    return messages


def _compare(
    tr: Translator,
    catalogue: Catalogue,
    audit: WebAudit,
    previous: WebAudit | None,
    zone_date: str | None,
) -> str:
    _ = tr.gettext
    if previous is None or zone_date is None:
        return _("I saved this check: next time I will show what has improved.")

    def title(code: str) -> str:
        text = catalogue.findings[code].title
        return text.get(tr.language) or text["lt"]

    before, now = previous.findings, audit.findings
    known = [c for c in now if c in before and c in catalogue.findings]
    better = [c for c in known if now[c]["ok"] and not before[c]["ok"]]
    worse = [c for c in known if not now[c]["ok"] and before[c]["ok"]]
    lines = [fill(_("Compared with your check on {date}:"), date=zone_date)]
    if better:
        lines.append(fill(_("📈 Improved: {names}."), names=", ".join(map(title, better))))
    if worse:
        lines.append(fill(_("📉 Got worse: {names}."), names=", ".join(map(title, worse))))
    if not better and not worse:
        lines.append(_("No change yet. Step by step, it will come!"))
    return "\n".join(lines)
