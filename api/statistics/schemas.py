"""Statistics: response models (counts only; never a record, a name or a reference)."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from domain.statistics import model as m
from domain.statistics.periods import Period, fiscal_year_of, month_label_en, month_label_th


class StatisticsPeriod(BaseModel):
    kind: str = Field(description="`fiscal_year`, `year` or `range`", examples=["fiscal_year"])
    start: date = Field(description="First day (Bangkok calendar)", examples=["2025-10-01"])
    end: date = Field(description="Last day (Bangkok calendar)", examples=["2026-09-30"])
    label_th: str = Field(examples=["ปีงบประมาณ พ.ศ. 2569"])
    label_en: str = Field(examples=["Fiscal year 2569 BE (2025-10-01 to 2026-09-30)"])

    @classmethod
    def of(cls, period: Period) -> StatisticsPeriod:
        return cls(
            kind=period.kind,
            start=period.start,
            end=period.end,
            label_th=period.label_th,
            label_en=period.label_en,
        )


class StatisticsDurations(BaseModel):
    unit: str = Field(description="`hours` or `days` (whole units, rounded down)")
    count: int = Field(description="How many records the times are taken from")
    median: int | None = Field(description="Discrete median (None: no record)")
    p90: int | None = Field(description="Discrete 90th percentile")

    @classmethod
    def of(cls, d: m.Durations) -> StatisticsDurations:
        return cls(unit=d.unit, count=d.count, median=d.median, p90=d.p90)


class StatisticsDeadlines(BaseModel):
    met: int = Field(description="The act came at or before the deadline")
    pending: int = Field(description="Not done yet, the deadline has not passed")
    overdue: int = Field(description="Done late, or not done and the deadline passed")
    met_share: float | None
    pending_share: float | None
    overdue_share: float | None

    @classmethod
    def of(cls, c: m.DeadlineCompliance) -> StatisticsDeadlines:
        return cls(
            met=c.met,
            pending=c.pending,
            overdue=c.overdue,
            met_share=c.share(c.met),
            pending_share=c.share(c.pending),
            overdue_share=c.share(c.overdue),
        )


class TipStatisticsPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "period": {
                        "kind": "fiscal_year",
                        "start": "2025-10-01",
                        "end": "2026-09-30",
                        "label_th": "ปีงบประมาณ พ.ศ. 2569",
                        "label_en": "Fiscal year 2569 BE (2025-10-01 to 2026-09-30)",
                    },
                    "province_code": None,
                    "total": 12,
                    "by_province": {"40": 9, "10": 3},
                    "by_region": {"northeast": 9, "central": 3},
                    "by_category": {"bribery": 7, "fund_fraud": 5},
                    "by_channel": {"web": 10, "hotline": 2},
                    "by_status": {"received": 2, "closed": 10},
                    "by_outcome": {"substantiated": 4, "unsubstantiated": 6},
                    "by_month": {"2025-10": 5, "2025-11": 7},
                    "acknowledgement": {
                        "met": 9,
                        "pending": 1,
                        "overdue": 2,
                        "met_share": 0.75,
                        "pending_share": 0.0833,
                        "overdue_share": 0.1667,
                    },
                    "feedback": {
                        "met": 8,
                        "pending": 3,
                        "overdue": 1,
                        "met_share": 0.6667,
                        "pending_share": 0.25,
                        "overdue_share": 0.0833,
                    },
                    "time_to_acknowledge": {"unit": "hours", "count": 11, "median": 26, "p90": 140},
                    "time_to_feedback": {"unit": "days", "count": 9, "median": 30, "p90": 80},
                }
            ]
        }
    )

    period: StatisticsPeriod
    province_code: str | None = Field(description="The province asked for (None: all)")
    total: int = Field(description="Tips received in the period")
    by_province: dict[str, int]
    by_region: dict[str, int]
    by_category: dict[str, int]
    by_channel: dict[str, int]
    by_status: dict[str, int] = Field(description="Current status of the period's tips")
    by_outcome: dict[str, int] = Field(description="Outcome of the period's closed tips")
    by_month: dict[str, int] = Field(description="`YYYY-MM` (Bangkok month) -> tips received")
    acknowledgement: StatisticsDeadlines
    feedback: StatisticsDeadlines
    time_to_acknowledge: StatisticsDurations = Field(description="From receipt, in hours")
    time_to_feedback: StatisticsDurations = Field(description="From receipt, in days")

    @classmethod
    def of(cls, s: m.TipStatistics) -> TipStatisticsPublic:
        return cls(
            period=StatisticsPeriod.of(s.period),
            province_code=s.province_code,
            total=s.total,
            by_province=s.by_province,
            by_region=s.by_region,
            by_category=s.by_category,
            by_channel=s.by_channel,
            by_status=s.by_status,
            by_outcome=s.by_outcome,
            by_month=s.by_month,
            acknowledgement=StatisticsDeadlines.of(s.acknowledgement),
            feedback=StatisticsDeadlines.of(s.feedback),
            time_to_acknowledge=StatisticsDurations.of(s.time_to_acknowledge),
            time_to_feedback=StatisticsDurations.of(s.time_to_feedback),
        )


class InvestigationStatisticsPublic(BaseModel):
    period: StatisticsPeriod
    province_code: str | None
    opened: int = Field(description="Investigations opened in the period")
    opened_by_status: dict[str, int] = Field(description="Their current status")
    opened_by_month: dict[str, int]
    concluded: int = Field(description="Investigations concluded in the period")
    concluded_by_outcome: dict[str, int]
    concluded_by_month: dict[str, int]
    duration: StatisticsDurations = Field(description="Opening to conclusion, in days")
    damage_estimated_thb: Decimal = Field(description="Sum where recorded at conclusion")
    damage_recorded: int = Field(description="Conclusions that recorded a damage estimate")
    amount_recovered_thb: Decimal
    recovery_recorded: int

    @classmethod
    def of(cls, s: m.InvestigationStatistics) -> InvestigationStatisticsPublic:
        return cls(
            period=StatisticsPeriod.of(s.period),
            province_code=s.province_code,
            opened=s.opened,
            opened_by_status=s.opened_by_status,
            opened_by_month=s.opened_by_month,
            concluded=s.concluded,
            concluded_by_outcome=s.concluded_by_outcome,
            concluded_by_month=s.concluded_by_month,
            duration=StatisticsDurations.of(s.duration),
            damage_estimated_thb=s.damage_estimated_thb,
            damage_recorded=s.damage_recorded,
            amount_recovered_thb=s.amount_recovered_thb,
            recovery_recorded=s.recovery_recorded,
        )


class ReferralStatisticsPublic(BaseModel):
    period: StatisticsPeriod
    total: int = Field(description="Referrals made in the period")
    by_agency: dict[str, dict[str, int]] = Field(description="agency -> current status -> n")
    by_status: dict[str, int]
    by_month: dict[str, int]

    @classmethod
    def of(cls, s: m.ReferralStatistics) -> ReferralStatisticsPublic:
        return cls(
            period=StatisticsPeriod.of(s.period),
            total=s.total,
            by_agency=s.by_agency,
            by_status=s.by_status,
            by_month=s.by_month,
        )


class VolunteerStatisticsPublic(BaseModel):
    period: StatisticsPeriod
    province_code: str | None
    total: int = Field(description="Volunteers on the registry now (any status)")
    by_status: dict[str, int]
    by_province: dict[str, int]
    trained: int = Field(description="Volunteers with at least one training recorded")
    active: int
    active_trained: int
    trained_share: float | None = Field(description="Trained share of active volunteers")
    applications_by_month: dict[str, int] = Field(description="Applications in the period")

    @classmethod
    def of(cls, s: m.VolunteerStatistics) -> VolunteerStatisticsPublic:
        return cls(
            period=StatisticsPeriod.of(s.period),
            province_code=s.province_code,
            total=s.total,
            by_status=s.by_status,
            by_province=s.by_province,
            trained=s.trained,
            active=s.active,
            active_trained=s.active_trained,
            trained_share=s.trained_share,
            applications_by_month=s.applications_by_month,
        )


class AnnualReportPublic(BaseModel):
    """The yearly figures (EU Directive 2019/1937 Art. 27 style) of a Thai fiscal year."""

    fiscal_year: int = Field(examples=[2569], description="Buddhist Era fiscal year")
    period: StatisticsPeriod
    reports_received: int
    reports_by_channel: dict[str, int]
    reports_by_category: dict[str, int]
    acknowledged_within_deadline: int
    feedback_within_deadline: int
    investigations_opened: int
    investigations_concluded: int
    outcomes: dict[str, int]
    referrals: int
    referrals_by_agency: dict[str, int]
    prosecutions: int = Field(description="Referrals the agency reports as prosecuted")
    damage_estimated_thb: Decimal
    damage_recorded: int
    amount_recovered_thb: Decimal
    recovery_recorded: int
    median_hours_to_acknowledge: int | None
    median_days_to_feedback: int | None
    median_days_to_conclude: int | None

    @classmethod
    def of(cls, r: m.AnnualReport) -> AnnualReportPublic:
        fields = {name: getattr(r, name) for name in cls.model_fields if name != "period"}
        return cls(period=StatisticsPeriod.of(r.period), **fields)

    def to_csv(self) -> str:
        """`figure,value` lines; breakdowns flattened as `outcomes.substantiated`."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(["figure", "value"])
        for name, value in self.model_dump(mode="json").items():
            if isinstance(value, dict):
                for key, sub in value.items():
                    writer.writerow([f"{name}.{key}", "" if sub is None else sub])
            else:
                writer.writerow([name, "" if value is None else value])
        return out.getvalue()


class PublicFigure(BaseModel):
    value: int | None = Field(description="The count; null when suppressed")
    suppressed: bool = Field(description="Hidden: under 5, or hidden so that none can be derived")

    @classmethod
    def of(cls, cell: m.PublicCell) -> PublicFigure:
        return cls(value=cell.value, suppressed=cell.suppressed)


class PublicStatisticsRow(BaseModel):
    key: str = Field(description="Province code, region, `YYYY-MM` month or `total`")
    label_th: str
    label_en: str
    received: PublicFigure
    acknowledged_in_time: PublicFigure
    concluded: PublicFigure


class PublicStatisticsDocument(BaseModel):
    """Public figures of one fiscal year with small-count suppression."""

    fiscal_year: int = Field(examples=[2569])
    period: StatisticsPeriod
    suppression_threshold: int = Field(description="Counts under this are never published")
    national: PublicStatisticsRow
    regions: list[PublicStatisticsRow]
    provinces: list[PublicStatisticsRow]
    months: list[PublicStatisticsRow]
    outcomes: dict[str, PublicFigure] = Field(description="Concluded investigations by outcome")
    province_regions: dict[str, str] = Field(description="Province code -> region")
    complaint_channel: ComplaintChannel


class ComplaintChannel(BaseModel):
    """What the NACC's Integrity and Transparency Assessment (ITA) asks an agency to
    publish about its corruption-complaint channel."""

    guideline_th: str
    guideline_en: str
    acknowledge_within_days: int
    feedback_within_months: int
    channels: list[str]


PublicStatisticsDocument.model_rebuild()


def month_labels(key: str) -> tuple[str, str]:
    month = date(int(key[:4]), int(key[5:7]), 1)
    return month_label_th(month), f"{month_label_en(month)} (FY{fiscal_year_of(month)})"
