"""The public transparency page: `GET /transparency` (Thai; `?lang=en` for English).

Server-rendered HTML with the standard library only (`html.escape` on every value; no
template engine needed for one page), charts as inline SVG drawn here, CSS inline: no
script, no CDN, no external request, so it works on closed networks and old phones.
Every chart is a `figure` with a text alternative and the same figures in a table.
"""

from __future__ import annotations

from html import escape
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from api.caching import cached_json
from api.deps import Uow, requires
from api.planning import PlannedRoute
from api.problems import problem_responses
from api.services import ClockDep, SettingsDep, Svc
from api.statistics.public import OUTCOME_NAMES, REGION_NAMES
from api.statistics.routes import (
    PUBLIC_CACHED,
    PUBLIC_MAX_AGE,
    FiscalYear,
    IfNoneMatch,
    _public_cache,
    public_statistics_document,
)
from api.statistics.schemas import PublicFigure, PublicStatisticsDocument, PublicStatisticsRow
from domain.policy import Action, Principal

router = APIRouter(tags=["statistics"], route_class=PlannedRoute)

Anyone = Annotated[Principal | None, requires(Action.STATISTICS_PUBLIC_READ)]
Lang = Literal["th", "en"]

TEXT: dict[str, dict[Lang, str]] = {
    "title": {
        "th": "ความโปร่งใส: สถิติการแจ้งเบาะแสการทุจริต เครือข่ายดวงตาแรงงาน",
        "en": "Transparency: corruption tips statistics of the Labour Eyes network",
    },
    "switch": {"th": "English", "en": "ภาษาไทย"},
    "received": {"th": "เรื่องที่ได้รับ", "en": "Tips received"},
    "ack": {"th": "ตอบรับภายในกำหนด", "en": "Acknowledged within the deadline"},
    "concluded": {"th": "ตรวจสอบแล้วเสร็จ", "en": "Investigations concluded"},
    "per_month": {"th": "เรื่องที่ได้รับรายเดือน", "en": "Tips received per month"},
    "compliance": {"th": "การตอบรับภายในกำหนด", "en": "Deadline compliance"},
    "outcomes": {"th": "ผลการตรวจสอบ", "en": "Outcomes of concluded investigations"},
    "provinces": {"th": "รายจังหวัด (77 จังหวัด) แยกตามภาค", "en": "The 77 provinces by region"},
    "province": {"th": "จังหวัด", "en": "Province"},
    "month": {"th": "เดือน", "en": "Month"},
    "outcome": {"th": "ผล", "en": "Outcome"},
    "count": {"th": "จำนวน", "en": "Count"},
    "total": {"th": "รวม", "en": "Total"},
    "suppressed": {
        "th": "* ไม่เปิดเผย: ค่าน้อยกว่า {n} หรือค่าที่ปกปิดเพิ่มเพื่อไม่ให้คำนวณค่าที่น้อยกว่า {n} "
        "ย้อนกลับจากยอดรวมได้ (คุ้มครองผู้แจ้งเบาะแส)",
        "en": "* suppressed: fewer than {n}, or hidden as well so that no count under {n} can be "
        "worked out from the totals (to protect reporters)",
    },
    "ita": {
        "th": "ช่องทางร้องเรียนการทุจริต (ข้อมูลตามแบบประเมิน ITA ของ ป.ป.ช.)",
        "en": "The corruption-complaint channel (as the NACC's ITA asks to publish)",
    },
    "guideline": {"th": "แนวทางการจัดการเรื่องร้องเรียน", "en": "Handling guideline"},
    "frames": {
        "th": "ตอบรับภายใน {d} วัน แจ้งผลภายใน {m} เดือนนับแต่ตอบรับ",
        "en": "Acknowledged within {d} days; feedback within {m} months of the acknowledgement",
    },
    "ita_figures": {
        "th": "สถิติเรื่องร้องเรียน: ได้รับ {r} เรื่อง ตรวจสอบแล้วเสร็จ {c} เรื่อง",
        "en": "Complaints: {r} received, {c} handled to a conclusion",
    },
    "open_data": {"th": "ข้อมูลเปิด (Open Data)", "en": "Open data"},
    "csv": {"th": "ดาวน์โหลด CSV", "en": "Download the CSV"},
    "metadata": {"th": "คำอธิบายชุดข้อมูล (metadata)", "en": "Dataset metadata"},
    "chart_alt_month": {
        "th": "แผนภูมิแท่งจำนวนเรื่องที่ได้รับในแต่ละเดือน ตัวเลขอยู่ในตารางถัดไป",
        "en": "Bar chart of the tips received each month; the figures are in the next table",
    },
    "chart_alt_compliance": {
        "th": "แผนภูมิสัดส่วนเรื่องที่ตอบรับภายในกำหนด ตัวเลขอยู่ในตารางถัดไป",
        "en": "Chart of the share of tips acknowledged within the deadline; figures below",
    },
    "chart_alt_outcomes": {
        "th": "แผนภูมิแท่งผลการตรวจสอบ ตัวเลขอยู่ในตารางถัดไป",
        "en": "Bar chart of the outcomes; the figures are in the next table",
    },
}

CSS = """
body{font-family:system-ui,"Noto Sans Thai",sans-serif;margin:0;color:#1a1a1a;background:#fff;
line-height:1.5}
main{max-width:60rem;margin:auto;padding:1rem}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:2px solid #0b4f8a}
a{color:#0b4f8a}
.cards{display:flex;flex-wrap:wrap;gap:.75rem}
.card{flex:1 1 12rem;border:1px solid #767676;border-radius:.5rem;padding:.75rem}
.card b{display:block;font-size:1.6rem}
figure{margin:1rem 0}svg{width:100%;height:auto;max-width:100%}
table{border-collapse:collapse;width:100%;font-size:.95rem}
th,td{border-bottom:1px solid #ccc;padding:.3rem .4rem;text-align:right}
th:first-child,td:first-child{text-align:left}
.region th{background:#e8eef5;text-align:left}
.suppressed{color:#5a3e00;font-weight:bold}
.wrap{overflow-x:auto}
@media (max-width:40rem){h1{font-size:1.2rem}table{font-size:.85rem}}
"""


def _t(key: str, lang: Lang) -> str:
    return TEXT[key][lang]


def _cell(figure: PublicFigure) -> str:
    if figure.suppressed:
        return '<td class="suppressed" data-suppressed="true">*</td>'
    return f"<td>{figure.value:,}</td>"


def _label(row: PublicStatisticsRow, lang: Lang) -> str:
    return escape(row.label_th if lang == "th" else row.label_en)


def bar_chart(
    labels: list[str], values: list[int | None], *, title: str, desc: str, chart_id: str
) -> str:
    """A vertical bar chart as SVG; a suppressed value is drawn as a hatched stub with *."""
    width, height, pad, base = 640, 260, 40, 220
    top = max([v for v in values if v is not None] + [1])
    step = (width - pad) / max(1, len(values))
    bars = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = pad + i * step + step * 0.15
        w = step * 0.7
        if value is None:
            bars.append(
                f'<rect class="bar-suppressed" x="{x:.1f}" y="{base - 12}" width="{w:.1f}" '
                f'height="12" fill="url(#hatch-{chart_id})" stroke="#5a3e00"/>'
                f'<text x="{x + w / 2:.1f}" y="{base - 16}" text-anchor="middle" '
                f'font-size="14" fill="#5a3e00" data-suppressed="true">*</text>'
            )
        else:
            h = (base - 20) * value / top
            bars.append(
                f'<rect class="bar" x="{x:.1f}" y="{base - h:.1f}" width="{w:.1f}" '
                f'height="{h:.1f}" fill="#0b4f8a"><title>{escape(label)}: {value}</title></rect>'
                f'<text x="{x + w / 2:.1f}" y="{base - h - 4:.1f}" text-anchor="middle" '
                f'font-size="11" fill="#1a1a1a">{value}</text>'
            )
        bars.append(
            f'<text x="{x + w / 2:.1f}" y="{base + 16}" text-anchor="end" font-size="10" '
            f'fill="#1a1a1a" transform="rotate(-35 {x + w / 2:.1f} {base + 16})">'
            f"{escape(label)}</text>"
        )
    return (
        f'<svg viewBox="0 0 {width} {height + 30}" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" class="chart" id="{chart_id}">'
        f'<title id="{chart_id}-t">{escape(title)}</title>'
        f'<desc id="{chart_id}-d">{escape(desc)}</desc>'
        f'<defs><pattern id="hatch-{chart_id}" width="6" height="6" '
        f'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="#5a3e00" stroke-width="2"/></pattern></defs>'
        f'<line x1="{pad}" y1="{base}" x2="{width}" y2="{base}" stroke="#1a1a1a"/>'
        + "".join(bars)
        + "</svg>"
    )


def hbar_chart(
    labels: list[str], values: list[int | None], *, title: str, desc: str, chart_id: str
) -> str:
    """A horizontal bar chart as SVG (long Thai labels stay readable); a suppressed value
    is a hatched stub with *."""
    width, row, label_w = 640, 34, 250
    height = row * len(values) + 10
    top = max([v for v in values if v is not None] + [1])
    parts = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 5 + i * row
        parts.append(
            f'<text x="{label_w - 8}" y="{y + row / 2 + 4:.1f}" text-anchor="end" '
            f'font-size="13" fill="#1a1a1a">{escape(label)}</text>'
        )
        if value is None:
            parts.append(
                f'<rect class="bar-suppressed" x="{label_w}" y="{y + 6}" width="14" '
                f'height="{row - 12}" fill="url(#hatch-{chart_id})" stroke="#5a3e00"/>'
                f'<text x="{label_w + 20}" y="{y + row / 2 + 5:.1f}" font-size="14" '
                f'fill="#5a3e00" data-suppressed="true">*</text>'
            )
        else:
            w = (width - label_w - 60) * value / top
            parts.append(
                f'<rect class="bar" x="{label_w}" y="{y + 6}" width="{w:.1f}" '
                f'height="{row - 12}" fill="#0b4f8a"><title>{escape(label)}: {value}</title>'
                f'</rect><text x="{label_w + w + 6:.1f}" y="{y + row / 2 + 4:.1f}" '
                f'font-size="12" fill="#1a1a1a">{value:,}</text>'
            )
    return (
        f'<svg viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" class="chart" id="{chart_id}">'
        f'<title id="{chart_id}-t">{escape(title)}</title>'
        f'<desc id="{chart_id}-d">{escape(desc)}</desc>'
        f'<defs><pattern id="hatch-{chart_id}" width="6" height="6" '
        f'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="#5a3e00" stroke-width="2"/></pattern></defs>'
        + "".join(parts)
        + "</svg>"
    )


def render_page(doc: PublicStatisticsDocument, lang: Lang, base: str) -> str:
    national = doc.national
    other = "en" if lang == "th" else "th"
    period = escape(doc.period.label_th if lang == "th" else doc.period.label_en)

    def figure(f: PublicFigure) -> str:
        return "*" if f.value is None else f"{f.value:,}"

    cards = "".join(
        f'<div class="card">{_t(key, lang)}<b>{figure(getattr(national, attr))}</b></div>'
        for key, attr in (
            ("received", "received"),
            ("ack", "acknowledged_in_time"),
            ("concluded", "concluded"),
        )
    )
    months = [_label(r, lang) for r in doc.months]
    month_chart = bar_chart(
        [r.label_th if lang == "th" else r.label_en.split(" (")[0] for r in doc.months],
        [r.received.value for r in doc.months],
        title=_t("per_month", lang),
        desc=_t("chart_alt_month", lang),
        chart_id="chart-months",
    )
    month_rows = "".join(
        f"<tr><th scope='row'>{label}</th>{_cell(r.received)}{_cell(r.acknowledged_in_time)}"
        f"{_cell(r.concluded)}</tr>"
        for label, r in zip(months, doc.months, strict=True)
    )
    compliance_chart = hbar_chart(
        [_t("received", lang), _t("ack", lang)],
        [national.received.value, national.acknowledged_in_time.value],
        title=_t("compliance", lang),
        desc=_t("chart_alt_compliance", lang),
        chart_id="chart-compliance",
    )
    received, in_time = national.received.value, national.acknowledged_in_time.value
    share = f"{100 * in_time / received:.1f} %" if received and in_time is not None else "*"
    compliance_text = escape(
        f"{_t('ack', lang)}: {figure(national.acknowledged_in_time)} / "
        f"{figure(national.received)} ({share})"
    )
    outcome_keys = list(doc.outcomes)
    outcome_labels = [OUTCOME_NAMES.get(k, (k, k))[0 if lang == "th" else 1] for k in outcome_keys]
    outcome_chart = hbar_chart(
        outcome_labels,
        [doc.outcomes[k].value for k in outcome_keys],
        title=_t("outcomes", lang),
        desc=_t("chart_alt_outcomes", lang),
        chart_id="chart-outcomes",
    )
    outcome_rows = "".join(
        f"<tr><th scope='row'>{escape(label)}</th>{_cell(doc.outcomes[k])}</tr>"
        for label, k in zip(outcome_labels, outcome_keys, strict=True)
    )
    province_rows = []
    for region in doc.regions:
        name = REGION_NAMES.get(region.key, (region.key, region.key))[0 if lang == "th" else 1]
        province_rows.append(
            f"<tr class='region'><th scope='rowgroup'>{escape(name)}</th>{_cell(region.received)}"
            f"{_cell(region.acknowledged_in_time)}{_cell(region.concluded)}</tr>"
        )
        for row in doc.provinces:
            if doc.province_regions.get(row.key) == region.key:
                province_rows.append(
                    f"<tr><th scope='row'>{_label(row, lang)}</th>{_cell(row.received)}"
                    f"{_cell(row.acknowledged_in_time)}{_cell(row.concluded)}</tr>"
                )
    head = (
        f"<tr><th scope='col'>{{first}}</th><th scope='col'>{_t('received', lang)}</th>"
        f"<th scope='col'>{_t('ack', lang)}</th><th scope='col'>{_t('concluded', lang)}</th></tr>"
    )
    channel = doc.complaint_channel
    guideline = escape(channel.guideline_th if lang == "th" else channel.guideline_en)
    frames = _t("frames", lang).format(
        d=channel.acknowledge_within_days, m=channel.feedback_within_months
    )
    ita_figures = _t("ita_figures", lang).format(
        r=figure(national.received), c=figure(national.concluded)
    )
    suppressed_note = escape(_t("suppressed", lang).format(n=doc.suppression_threshold))
    fy = doc.fiscal_year
    csv_url = f"{base}/api/v1/public/statistics.csv?fiscal_year={fy}"
    meta_url = f"{base}/api/v1/public/statistics/metadata?fiscal_year={fy}"
    switch = f"{base}/transparency?fiscal_year={fy}&amp;lang={other}"
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_t("title", lang)}</title>
<style>{CSS}</style></head>
<body><main>
<p><a href="{switch}" lang="{other}" hreflang="{other}">{_t("switch", lang)}</a></p>
<h1>{_t("title", lang)}</h1>
<p>{period}</p>
<div class="cards">{cards}</div>
<p class="note">{suppressed_note}</p>
<h2 id="months">{_t("per_month", lang)}</h2>
<figure aria-describedby="months-table">{month_chart}</figure>
<div class="wrap"><table id="months-table"><caption>{_t("per_month", lang)}</caption>
{head.format(first=_t("month", lang))}{month_rows}</table></div>
<h2 id="compliance">{_t("compliance", lang)}</h2>
<figure>{compliance_chart}<figcaption>{compliance_text}</figcaption></figure>
<h2 id="outcomes">{_t("outcomes", lang)}</h2>
<figure>{outcome_chart}</figure>
<div class="wrap"><table id="outcomes-table"><caption>{_t("outcomes", lang)}</caption>
<tr><th scope="col">{_t("outcome", lang)}</th><th scope="col">{_t("count", lang)}</th></tr>
{outcome_rows}</table></div>
<h2 id="provinces">{_t("provinces", lang)}</h2>
<div class="wrap"><table id="provinces-table"><caption>{_t("provinces", lang)}</caption>
{head.format(first=_t("province", lang))}
<tr class="region"><th scope="row">{_t("total", lang)}</th>{_cell(national.received)}
{_cell(national.acknowledged_in_time)}{_cell(national.concluded)}</tr>
{"".join(province_rows)}</table></div>
<h2 id="ita">{_t("ita", lang)}</h2>
<h3>{_t("guideline", lang)}</h3><p>{guideline}</p><p><strong>{frames}</strong></p>
<p>{ita_figures}</p>
<h2 id="open-data">{_t("open_data", lang)}</h2>
<ul><li><a href="{csv_url}">{_t("csv", lang)}</a></li>
<li><a href="{meta_url}">{_t("metadata", lang)}</a></li></ul>
</main></body></html>
"""


@router.get(
    "/transparency",
    response_class=HTMLResponse,
    responses={
        **PUBLIC_CACHED,
        **problem_responses(422),
        200: {**PUBLIC_CACHED[200], "content": {"text/html": {"schema": {"type": "string"}}}},
    },
)
async def transparency_page(
    request: Request,
    uow: Uow,
    services: Svc,
    settings: SettingsDep,
    clock: ClockDep,
    _caller: Anyone,
    fiscal_year: FiscalYear = None,
    lang: Annotated[Lang, Query(description="`th` (default) or `en`")] = "th",
    _if_none_match: IfNoneMatch = None,
) -> HTMLResponse:
    """The public transparency page (HTML, Thai first; `lang=en` for English): tips per
    month, deadline compliance, outcomes, the 77 provinces by region, the complaint
    channel's guideline (NACC ITA) and the open-data links. No script, no external asset."""
    base = str(request.base_url).rstrip("/")

    async def render() -> bytes:
        doc = await public_statistics_document(uow, settings, fiscal_year)
        return render_page(doc, lang, base).encode()

    cache, key = _public_cache(services, clock, f"page:{fiscal_year}:{lang}:{base}")
    response = await cached_json(request, cache, key, render, max_age=PUBLIC_MAX_AGE)
    html = HTMLResponse(
        content=response.body, status_code=response.status_code, headers=dict(response.headers)
    )
    if response.status_code == 200:
        html.headers["content-type"] = "text/html; charset=utf-8"
    return html
