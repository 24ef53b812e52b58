"""The public figures as a document: JSON, the open-data CSV and its data.go.th metadata.

Shared by the public API and the transparency page (api/statistics/page.py).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from api.settings import Settings
from api.statistics.schemas import (
    ComplaintChannel,
    PublicFigure,
    PublicStatisticsDocument,
    PublicStatisticsRow,
    StatisticsPeriod,
    month_labels,
)
from domain.provinces.model import Province
from domain.statistics.model import PublicRow, PublicStatistics

REGION_NAMES: dict[str, tuple[str, str]] = {
    "north": ("ภาคเหนือ", "North"),
    "northeast": ("ภาคตะวันออกเฉียงเหนือ", "Northeast"),
    "central": ("ภาคกลาง", "Central"),
    "east": ("ภาคตะวันออก", "East"),
    "west": ("ภาคตะวันตก", "West"),
    "south": ("ภาคใต้", "South"),
}

OUTCOME_NAMES: dict[str, tuple[str, str]] = {
    "substantiated": ("พบมูล", "Substantiated"),
    "unsubstantiated": ("ไม่พบมูล", "Unsubstantiated"),
    "referred": ("ส่งต่อหน่วยงานที่มีอำนาจ", "Referred to the competent agency"),
    "insufficient_evidence": ("พยานหลักฐานไม่เพียงพอ", "Insufficient evidence"),
}

CHANNELS = ["web", "mobile", "hotline", "walk_in"]


def complaint_channel(settings: Settings) -> ComplaintChannel:
    """The handling guideline of the complaint channel, with the configured time frames."""
    days, months = settings.tip_ack_days, settings.tip_feedback_months
    return ComplaintChannel(
        guideline_th=(
            "ผู้แจ้งเบาะแสการทุจริตแจ้งได้ทางเว็บไซต์ แอปพลิเคชัน สายด่วน หรือที่สำนักงานแรงงานจังหวัด "
            "โดยไม่ต้องเปิดเผยตัวตน และได้รับรหัสติดตามเรื่อง เจ้าหน้าที่ตอบรับเรื่องภายใน "
            f"{days} วันนับแต่ได้รับ แจ้งความคืบหน้าหรือผลการดำเนินการภายใน {months} เดือน"
            "นับแต่ตอบรับ เรื่องที่กล่าวหาสำนักงานแรงงานจังหวัดใด จะไม่ส่งให้สำนักงานนั้นพิจารณา "
            "ข้อมูลผู้แจ้งได้รับการคุ้มครองตามพระราชบัญญัติประกอบรัฐธรรมนูญว่าด้วยการป้องกันและ"
            "ปราบปรามการทุจริต พ.ศ. 2561 มาตรา 131 และ 133"
        ),
        guideline_en=(
            "Anyone may report suspected corruption on the web, in the app, by the hotline or at "
            "a provincial labour office, anonymously if they wish, and receives a receipt to "
            f"follow it up. Officials acknowledge a report within {days} days of receipt and "
            f"give feedback within {months} months of the acknowledgement. A report about a "
            "provincial labour office is never handled by that office. Reporters are protected "
            "under sections 131 and 133 of the Organic Act on Anti-Corruption B.E. 2561 (2018)."
        ),
        acknowledge_within_days=days,
        feedback_within_months=months,
        channels=CHANNELS,
    )


def _figure(cell: Any) -> PublicFigure:
    return PublicFigure.of(cell)


def _row(row: PublicRow, label_th: str, label_en: str) -> PublicStatisticsRow:
    return PublicStatisticsRow(
        key=row.key,
        label_th=label_th,
        label_en=label_en,
        received=_figure(row.received),
        acknowledged_in_time=_figure(row.acknowledged_in_time),
        concluded=_figure(row.concluded),
    )


def public_document(
    stats: PublicStatistics, provinces: list[Province], settings: Settings
) -> PublicStatisticsDocument:
    names = {p.code: p for p in provinces}
    return PublicStatisticsDocument(
        fiscal_year=stats.fiscal_year,
        period=StatisticsPeriod.of(stats.period),
        suppression_threshold=stats.threshold,
        national=_row(stats.national, "ทั้งประเทศ", "Whole country"),
        regions=[_row(r, *REGION_NAMES.get(r.key, (r.key, r.key))) for r in stats.regions],
        provinces=[
            _row(r, names[r.key].name_th, names[r.key].name_en)
            if r.key in names
            else _row(r, r.key, r.key)
            for r in stats.provinces
        ],
        months=[_row(r, *month_labels(r.key)) for r in stats.months],
        outcomes={k: _figure(v) for k, v in stats.outcomes.items()},
        province_regions=stats.province_regions,
        complaint_channel=complaint_channel(settings),
    )


CSV_COLUMNS = [
    "fiscal_year_be",
    "level",
    "code",
    "name_th",
    "name_en",
    "region",
    "tips_received",
    "acknowledged_within_deadline",
    "investigations_concluded",
]


def _value(figure: PublicFigure) -> str:
    return "" if figure.value is None else str(figure.value)


def public_csv(doc: PublicStatisticsDocument) -> str:
    """The open dataset: one line per area or month; a suppressed count is an empty field
    (fewer than 5, or hidden so that no small count can be derived from the totals)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)

    def line(level: str, row: PublicStatisticsRow, region: str) -> None:
        writer.writerow(
            [
                doc.fiscal_year,
                level,
                row.key,
                row.label_th,
                row.label_en,
                region,
                _value(row.received),
                _value(row.acknowledged_in_time),
                _value(row.concluded),
            ]
        )

    line("national", doc.national, "")
    for row in doc.regions:
        line("region", row, row.key)
    for row in doc.provinces:
        line("province", row, doc.province_regions.get(row.key, ""))
    for row in doc.months:
        line("month", row, "")
    return "\ufeff" + out.getvalue()  # a BOM: spreadsheet programs then read Thai as UTF-8


def open_data_metadata(doc: PublicStatisticsDocument, base_url: str) -> dict[str, Any]:
    """The dataset's metadata, with the fields of the government open-data portal
    (data.go.th, CKAN): title, description, publisher, licence, frequency, coverage..."""
    return {
        "name": "duangta-tip-statistics",
        "title": "สถิติการแจ้งเบาะแสการทุจริต เครือข่ายดวงตาแรงงาน",
        "title_en": "Labour Eyes network: corruption tips statistics",
        "notes": (
            "จำนวนเรื่องแจ้งเบาะแสการทุจริตที่ได้รับ ที่ตอบรับภายในกำหนด และผลการตรวจสอบที่แล้วเสร็จ "
            "รายภาค รายจังหวัด และรายเดือน ตามปีงบประมาณ ค่าที่น้อยกว่า 5 ไม่เปิดเผย"
        ),
        "notes_en": (
            "Corruption tips received, acknowledged within the legal deadline, and "
            "investigations concluded, by region, province and month of a Thai fiscal year. "
            f"Counts under {doc.suppression_threshold} are suppressed (empty), with "
            "complementary suppression so that none can be derived from the totals."
        ),
        "organization": "ศูนย์ปฏิบัติการต่อต้านการทุจริต กระทรวงแรงงาน",
        "publisher_en": "Anti-Corruption Operation Center, Ministry of Labour",
        "maintainer": "ศูนย์ปฏิบัติการต่อต้านการทุจริต กระทรวงแรงงาน",
        "license_id": "Open Government Licence - Thailand",
        "data_category": "ข้อมูลสาธารณะ",
        "data_classification": "เปิดเผย",
        "objective": "ความโปร่งใส / Transparency (NACC ITA)",
        "update_frequency_unit": "เดือน",
        "update_frequency_interval": 1,
        "update_frequency": "monthly",
        "geo_coverage": "ประเทศ",
        "data_format": "CSV",
        "data_language": ["ไทย", "อังกฤษ"],
        "temporal_coverage_start": doc.period.start.isoformat(),
        "temporal_coverage_end": doc.period.end.isoformat(),
        "fiscal_year_be": doc.fiscal_year,
        "url": f"{base_url}/api/v1/public/statistics.csv?fiscal_year={doc.fiscal_year}",
        "tags": ["ทุจริต", "แรงงาน", "แจ้งเบาะแส", "ITA", "corruption", "whistleblowing"],
        "columns": CSV_COLUMNS,
    }
