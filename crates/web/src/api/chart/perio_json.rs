//! The JSON answers of the perio API, made from the room's views: per-site arrays in the order
//! MB, B, DB, ML, L, DL, attachment loss computed, never stored.

use enamel_app::{PerioComparison, PerioExamView};
use enamel_domain::clinical::{Numbering, PerioSite, SiteChange, summarize};
use enamel_domain::iso_date;
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::{instant, maybe_instant};

#[derive(Serialize, ToSchema)]
pub(crate) struct PerioToothJson {
    tooth: String,
    /// The tooth as the practice reads it (Universal or FDI).
    tooth_display: String,
    skipped: bool,
    implant: bool,
    mobility: Option<u8>,
    depth: [Option<i8>; 6],
    margin: [Option<i8>; 6],
    /// Clinical attachment loss, computed (depth + margin) where both were measured.
    cal: [Option<i8>; 6],
    bleeding: Option<[bool; 6]>,
    suppuration: Option<[bool; 6]>,
    plaque: Option<[bool; 6]>,
    calculus: Option<[bool; 6]>,
    furcation: [Option<u8>; 6],
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PerioSummaryJson {
    probed_sites: usize,
    bleeding_percentage: Option<u8>,
    sites_4mm_or_more: usize,
    sites_6mm_or_more: usize,
}

/// A perio exam. `status` is `draft` (saved in place) or `closed` (never changes again).
#[derive(Serialize, ToSchema)]
pub(crate) struct PerioExamJson {
    id: String,
    patient_id: String,
    status: String,
    /// The `ETag`.
    row_version: i64,
    #[schema(format = Date)]
    exam_date: String,
    provider_id: Option<String>,
    note: Option<String>,
    teeth: Vec<PerioToothJson>,
    summary: PerioSummaryJson,
    #[schema(format = DateTime)]
    closed_at: Option<String>,
    closed_by: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
    created_by: String,
    #[schema(format = DateTime)]
    updated_at: String,
    updated_by: String,
}

impl PerioExamJson {
    pub(super) fn of(v: PerioExamView, numbering: Numbering) -> PerioExamJson {
        let s = summarize(&v.exam);
        PerioExamJson {
            id: v.id.to_string(),
            patient_id: v.patient_id.to_string(),
            status: if v.closed { "closed" } else { "draft" }.into(),
            row_version: v.row_version,
            exam_date: iso_date(v.exam.exam_date),
            provider_id: v.exam.provider_id.clone(),
            note: v.exam.note.clone(),
            teeth: v
                .exam
                .teeth
                .iter()
                .map(|(tooth, t)| PerioToothJson {
                    tooth: tooth.to_string(),
                    tooth_display: tooth.display(numbering),
                    skipped: t.skipped,
                    implant: t.implant,
                    mobility: t.mobility,
                    depth: t.depth,
                    margin: t.margin,
                    cal: std::array::from_fn(|i| t.attachment_loss(PerioSite::ALL[i])),
                    bleeding: t.bleeding,
                    suppuration: t.suppuration,
                    plaque: t.plaque,
                    calculus: t.calculus,
                    furcation: t.furcation,
                })
                .collect(),
            summary: PerioSummaryJson {
                probed_sites: s.probed_sites,
                bleeding_percentage: s.bleeding_percentage,
                sites_4mm_or_more: s.sites_4mm_or_more,
                sites_6mm_or_more: s.sites_6mm_or_more,
            },
            closed_at: maybe_instant(v.closed_ms),
            closed_by: v.closed_by,
            created_at: instant(v.created_ms),
            created_by: v.created_by,
            updated_at: instant(v.updated_ms),
            updated_by: v.updated_by,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PerioExamsJson {
    pub(super) items: Vec<PerioExamJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) next: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct SiteChangeJson {
    tooth: String,
    tooth_display: String,
    /// `mb`, `b`, `db`, `ml`, `l` or `dl`.
    site: String,
    depth_before: i8,
    depth_after: i8,
    cal_before: Option<i8>,
    cal_after: Option<i8>,
    /// Depth or attachment loss grew by 2 mm or more.
    worsened: bool,
}

impl SiteChangeJson {
    pub(super) fn of(c: SiteChange, numbering: Numbering) -> SiteChangeJson {
        SiteChangeJson {
            tooth: c.tooth.to_string(),
            tooth_display: c.tooth.display(numbering),
            site: c.site.as_str().to_string(),
            depth_before: c.depth_before,
            depth_after: c.depth_after,
            cal_before: c.cal_before,
            cal_after: c.cal_after,
            worsened: c.worsened,
        }
    }
}

/// Two exams side by side, older first, whichever was named first.
#[derive(Serialize, ToSchema)]
pub(crate) struct PerioComparisonJson {
    older: PerioExamJson,
    newer: PerioExamJson,
    /// Every site probed in both exams.
    sites: Vec<SiteChangeJson>,
}

impl PerioComparisonJson {
    pub(super) fn of(c: PerioComparison, numbering: Numbering) -> Self {
        PerioComparisonJson {
            older: PerioExamJson::of(c.older, numbering),
            newer: PerioExamJson::of(c.newer, numbering),
            sites: c
                .sites
                .into_iter()
                .map(|s| SiteChangeJson::of(s, numbering))
                .collect(),
        }
    }
}
