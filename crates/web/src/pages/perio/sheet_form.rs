//! The sheet's form: the name of every input, the stored exam as the values of those inputs,
//! and the sheet as posted turned back into the draft the room validates (with the problems
//! the page finds itself, and the input each of the room's problems belongs to).
//!
//! Each value has one input, named by kind, tooth and site: `d-3-mb` (probing depth), `m-3-mb`
//! (gingival margin), `f-3-mb` (furcation, back teeth only), and the site's flags, each a
//! checkbox: `b-3-mb` (bleeding), `s-3-mb` (suppuration), `p-3-mb` (plaque) and `c-3-mb`
//! (calculus); and per tooth `mob-3` (mobility), `x-3` (missing) and `imp-3` (implant).
//!
//! Every value the room keeps has its input, so a sheet saved as it was drawn saves the exam
//! as it was stored (whatever recorded it, the API included).

use std::collections::HashMap;

use enamel_domain::clinical::{
    PerioExam, PerioExamDraft, PerioSite, PerioTooth, PerioToothDraft, Tooth,
};
use enamel_domain::iso_date;

/// The kinds of site value, in the order a side's rows are drawn.
pub(super) const SITE_KINDS: [(&str, &str); 7] = [
    ("d", "depth"),
    ("b", "bleeding"),
    ("s", "suppuration"),
    ("p", "plaque"),
    ("c", "calculus"),
    ("m", "margin"),
    ("f", "furcation"),
];
/// The site flags (checkboxes), by kind: what the sheet shows of each on a closed exam is its
/// letter, the kind in capitals.
pub(super) const FLAG_KINDS: [&str; 4] = ["b", "s", "p", "c"];

pub(super) fn is_flag(kind: &str) -> bool {
    FLAG_KINDS.contains(&kind)
}

/// A tooth's flags in the order of [`FLAG_KINDS`].
fn flags_of(chart: &PerioTooth) -> [(&'static str, Option<[bool; 6]>); 4] {
    [
        ("b", chart.bleeding),
        ("s", chart.suppuration),
        ("p", chart.plaque),
        ("c", chart.calculus),
    ]
}
pub(super) const TOOTH_KINDS: [(&str, &str); 3] =
    [("mob", "mobility"), ("x", "missing"), ("imp", "implant")];

/// The id (and form name) of a site's input: `d-3-mb`.
pub(super) fn site_input(kind: &str, tooth: u8, site: PerioSite) -> String {
    format!("{kind}-{tooth}-{}", site.as_str())
}

pub(super) fn tooth_input(kind: &str, tooth: u8) -> String {
    format!("{kind}-{tooth}")
}

pub(super) fn number(tooth: Tooth) -> u8 {
    tooth.to_string().parse().unwrap_or(0)
}

/// The exam's values by input id, as the sheet shows them.
pub(super) fn values_of(exam: &PerioExam) -> HashMap<String, String> {
    let mut values = HashMap::new();
    for (tooth, chart) in &exam.teeth {
        let n = number(*tooth);
        if chart.skipped {
            values.insert(tooth_input("x", n), "on".into());
            continue;
        }
        if chart.implant {
            values.insert(tooth_input("imp", n), "on".into());
        }
        if let Some(m) = chart.mobility {
            values.insert(tooth_input("mob", n), m.to_string());
        }
        for site in PerioSite::ALL {
            let k = site.index();
            if let Some(d) = chart.depth[k] {
                values.insert(site_input("d", n, *site), d.to_string());
            }
            if let Some(m) = chart.margin[k] {
                values.insert(site_input("m", n, *site), m.to_string());
            }
            if let Some(f) = chart.furcation[k] {
                values.insert(site_input("f", n, *site), f.to_string());
            }
            for (kind, flags) in flags_of(chart) {
                if flags.is_some_and(|f| f[k]) {
                    values.insert(site_input(kind, n, *site), "on".into());
                }
            }
        }
    }
    values
}

/// The sheet as posted: the exam's own fields, and every input's text by id.
#[derive(Default)]
pub(super) struct Posted {
    pub csrf: String,
    pub row_version: String,
    pub exam_date: String,
    pub note: String,
    pub provider_id: String,
    pub values: HashMap<String, String>,
}

redacted_debug!(Posted);

impl Posted {
    pub(super) fn from_pairs(pairs: Vec<(String, String)>) -> Posted {
        let mut posted = Posted::default();
        for (name, value) in pairs {
            match name.as_str() {
                "csrf" => posted.csrf = value,
                "row_version" => posted.row_version = value,
                "exam_date" => posted.exam_date = value,
                "note" => posted.note = value,
                "provider_id" => posted.provider_id = value,
                _ => {
                    let value = value.trim().to_string();
                    if !value.is_empty() {
                        posted.values.insert(name, value);
                    }
                }
            }
        }
        posted
    }

    /// The version the page showed; one that cannot be read never matches (a conflict).
    pub(super) fn expected(&self) -> i64 {
        self.row_version.trim().parse().unwrap_or(-1)
    }
}

/// The draft for the room, the problems the page finds itself (text that is not a number),
/// and which tooth each of the draft's `teeth[i]` is, to place the room's problems.
pub(super) struct Drafted {
    pub draft: PerioExamDraft,
    pub problems: Vec<(String, String)>,
    pub teeth: Vec<u8>,
}

fn whole_number(text: &str) -> Option<i64> {
    let t = text.trim().replace('\u{2212}', "-");
    t.parse().ok()
}

pub(super) fn draft(posted: &Posted) -> Drafted {
    let mut problems = Vec::new();
    let mut teeth = Vec::new();
    let mut drafts = Vec::new();
    let on = |id: &str| posted.values.contains_key(id);
    for n in 1..=32u8 {
        let mut numbers = |kind: &str, what: &str| -> Option<Vec<Option<i64>>> {
            let values: Vec<Option<i64>> = PerioSite::ALL
                .iter()
                .map(|site| {
                    let id = site_input(kind, n, *site);
                    let text = posted.values.get(&id)?;
                    let parsed = whole_number(text);
                    if parsed.is_none() {
                        problems.push((id, format!("{what} is a whole number of millimetres")));
                    }
                    parsed
                })
                .collect();
            values.iter().any(Option::is_some).then_some(values)
        };
        let depth = numbers("d", "Depth");
        let margin = numbers("m", "Margin");
        let furcation = numbers("f", "Furcation");
        let [bleeding, suppuration, plaque, calculus] = FLAG_KINDS.map(|kind| {
            PerioSite::ALL
                .iter()
                .map(|s| on(&site_input(kind, n, *s)))
                .collect::<Vec<bool>>()
        });
        let mobility = posted.values.get(&tooth_input("mob", n)).and_then(|text| {
            let parsed = whole_number(text);
            if parsed.is_none() {
                problems.push((
                    tooth_input("mob", n),
                    "Mobility is a grade from 0 to 3".into(),
                ));
            }
            parsed
        });
        let skipped = on(&tooth_input("x", n));
        let implant = on(&tooth_input("imp", n));
        let measured = depth.is_some() || margin.is_some() || furcation.is_some();
        // A flag is recorded on every probed tooth (an unticked site had none), and on any
        // tooth where it is ticked somewhere.
        let recorded = |flags: Vec<bool>| -> Option<Vec<bool>> {
            (flags.iter().any(|f| *f) || (measured && !skipped)).then_some(flags)
        };
        let (bleeding, suppuration, plaque, calculus) = (
            recorded(bleeding),
            recorded(suppuration),
            recorded(plaque),
            recorded(calculus),
        );
        let flagged = [&bleeding, &suppuration, &plaque, &calculus]
            .iter()
            .any(|f| f.as_ref().is_some_and(|f| f.iter().any(|b| *b)));
        if !(skipped || implant || mobility.is_some() || measured || flagged) {
            continue;
        }
        teeth.push(n);
        drafts.push(PerioToothDraft {
            tooth: n.to_string(),
            skipped,
            implant,
            mobility,
            depth,
            margin,
            bleeding,
            suppuration,
            plaque,
            calculus,
            furcation,
        });
    }
    let given = |t: &str| {
        let t = t.trim();
        (!t.is_empty()).then(|| t.to_string())
    };
    Drafted {
        draft: PerioExamDraft {
            exam_date: given(&posted.exam_date),
            provider_id: given(&posted.provider_id),
            note: given(&posted.note),
            teeth: drafts,
        },
        problems,
        teeth,
    }
}

/// The input a problem of the room belongs to: `teeth[3].depth[2]` is the depth at the
/// third site of the fourth tooth sent; a problem of a whole array (a missing tooth that
/// carries values, a furcation on a front tooth) goes on the tooth's checkbox that explains it.
pub(super) fn input_of(field: &str, teeth: &[u8]) -> Option<String> {
    if matches!(field, "exam_date" | "note") {
        return Some(field.to_string());
    }
    let rest = field.strip_prefix("teeth[")?;
    let (index, rest) = rest.split_once("].")?;
    let tooth = *teeth.get(index.parse::<usize>().ok()?)?;
    let (member, site) = match rest.split_once('[') {
        Some((member, site)) => (member, site.trim_end_matches(']').parse::<usize>().ok()),
        None => (rest, None),
    };
    let kind = match member {
        "depth" => "d",
        "margin" => "m",
        "furcation" => "f",
        "bleeding" => "b",
        "suppuration" => "s",
        "plaque" => "p",
        "calculus" => "c",
        "mobility" => return Some(tooth_input("mob", tooth)),
        "implant" | "tooth" => return Some(tooth_input("x", tooth)),
        _ => return Some(tooth_input("x", tooth)),
    };
    match site.and_then(|k| PerioSite::ALL.get(k)) {
        Some(site) => Some(site_input(kind, tooth, *site)),
        // A whole array refused: on a missing tooth, the missing box says why; a furcation
        // on a front tooth or an implant, the implant box.
        None if kind == "f" => Some(tooth_input("imp", tooth)),
        None => Some(tooth_input("x", tooth)),
    }
}

/// The exam's date as the form shows it.
pub(super) fn date_text(exam: &PerioExam) -> String {
    iso_date(exam.exam_date)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use enamel_domain::FieldProblem;
    use enamel_domain::clinical::Numbering;

    use super::*;
    use crate::pages::perio::sheet::place;

    fn posted(pairs: &[(&str, &str)]) -> Posted {
        Posted::from_pairs(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                .collect(),
        )
    }

    #[test]
    fn the_posted_sheet_becomes_the_draft_and_problems_find_their_inputs() {
        let p = posted(&[
            ("csrf", "t"),
            ("row_version", "4"),
            ("d-3-mb", "5"),
            ("d-3-b", " "),
            ("m-3-mb", "\u{2212}2"),
            ("b-3-b", "on"),
            ("d-14-dl", "x"),
            ("x-1", "on"),
            ("mob-30", "2"),
            ("s-3-b", "on"),
            ("c-3-ml", "on"),
            ("p-5-l", "on"),
        ]);
        assert_eq!(p.expected(), 4);
        let d = draft(&p);
        assert_eq!(
            d.teeth,
            vec![1, 3, 5, 30],
            "a tooth with nothing readable is left out"
        );
        assert_eq!(
            d.problems,
            vec![(
                "d-14-dl".to_string(),
                "Depth is a whole number of millimetres".to_string()
            )]
        );
        let t3 = &d.draft.teeth[1];
        assert_eq!(t3.depth.as_ref().unwrap()[0], Some(5));
        assert_eq!(t3.depth.as_ref().unwrap()[1], None);
        assert_eq!(t3.margin.as_ref().unwrap()[0], Some(-2));
        assert_eq!(
            t3.bleeding.as_deref(),
            Some(&[false, true, false, false, false, false][..])
        );
        // A probed tooth sends all its flags; unticked sites had none.
        assert_eq!(
            t3.suppuration.as_deref(),
            Some(&[false, true, false, false, false, false][..])
        );
        assert_eq!(
            t3.calculus.as_deref(),
            Some(&[false, false, false, true, false, false][..])
        );
        assert_eq!(t3.plaque.as_deref(), Some(&[false; 6][..]));
        let t1 = &d.draft.teeth[0];
        assert!(t1.skipped && t1.bleeding.is_none() && t1.plaque.is_none());
        // A tooth with a flag only sends that flag.
        let t5 = &d.draft.teeth[2];
        assert_eq!(
            t5.plaque.as_deref(),
            Some(&[false, false, false, false, true, false][..])
        );
        assert!(t5.depth.is_none() && t5.bleeding.is_none() && t5.suppuration.is_none());
        assert_eq!(d.draft.teeth[3].mobility, Some(2));
        assert!(
            d.draft.teeth[3].calculus.is_none(),
            "nothing probed, nothing ticked"
        );

        assert_eq!(input_of("teeth[1].depth[0]", &d.teeth).unwrap(), "d-3-mb");
        assert_eq!(input_of("teeth[0].depth", &d.teeth).unwrap(), "x-1");
        assert_eq!(input_of("teeth[3].mobility", &d.teeth).unwrap(), "mob-30");
        assert_eq!(
            input_of("teeth[1].calculus[3]", &d.teeth).unwrap(),
            "c-3-ml"
        );
        assert_eq!(input_of("teeth[0].plaque", &d.teeth).unwrap(), "x-1");
        assert_eq!(input_of("exam_date", &d.teeth).unwrap(), "exam_date");
        assert_eq!(input_of("teeth[9].depth[0]", &d.teeth), None);
        let placed = place(
            &d.problems,
            &[FieldProblem::new("teeth[1].depth[0]", "must be 0 to 19 mm")],
            &d.teeth,
            Numbering::Fdi,
        );
        assert_eq!(
            placed.by_input["d-3-mb"],
            "Tooth 16 mesio-buccal depth: must be 0 to 19 mm."
        );
        assert_eq!(placed.first_input(), Some("d-14-dl"));
    }

    fn posted_values(values: &HashMap<String, String>) -> Posted {
        Posted::from_pairs(values.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
    }

    #[test]
    fn a_stored_exam_fills_the_same_inputs() {
        let p = posted(&[
            ("d-3-mb", "5"),
            ("b-3-mb", "on"),
            ("f-3-b", "1"),
            ("s-3-db", "on"),
            ("p-3-mb", "on"),
            ("c-3-l", "on"),
            ("c-4-dl", "on"),
        ]);
        let exam = draft(&p)
            .draft
            .validate(time::macros::date!(2026 - 03 - 01))
            .unwrap();
        let values = values_of(&exam);
        assert_eq!(values["d-3-mb"], "5");
        assert_eq!(values["b-3-mb"], "on");
        assert_eq!(values["f-3-b"], "1");
        assert!(!values.contains_key("b-3-b"));
        for id in ["s-3-db", "p-3-mb", "c-3-l", "c-4-dl"] {
            assert_eq!(values[id], "on", "{id}");
        }
        assert!(!values.contains_key("s-3-mb") && !values.contains_key("p-4-dl"));
        assert_eq!(
            draft(&posted_values(&values)).draft,
            draft(&p).draft,
            "and back"
        );
    }
}
