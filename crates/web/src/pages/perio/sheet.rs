//! The perio sheet: the 32 permanent teeth by arch, six sites each, as the template draws
//! them (inputs, or text once the exam is closed), and the sheet as posted turned back into
//! the draft the room validates, with every problem placed on its input.
//!
//! Each value has one input, named by kind, tooth and site: `d-3-mb` (probing depth), `m-3-mb`
//! (gingival margin), `b-3-mb` (bleeding, a checkbox), `f-3-mb` (furcation, back teeth only);
//! and per tooth `mob-3` (mobility), `x-3` (missing) and `imp-3` (implant). The page is laid
//! out as the dentist faces the patient (the patient's right on the left), so the order a
//! hygienist calls out in ([`entry_order`]) runs along the rows: upper facial left to right,
//! upper lingual back, lower lingual, lower facial. Every site input carries its place in that
//! order (`data-i`) for `static/perio.js`.

use std::collections::{BTreeMap, HashMap};

use enamel_domain::FieldProblem;
use enamel_domain::clinical::{
    Numbering, PerioExam, PerioExamDraft, PerioSite, PerioToothDraft, Tooth, entry_order,
};
use enamel_domain::iso_date;

/// The kinds of site value, in the order a side's rows are drawn.
const SITE_KINDS: [(&str, &str); 4] = [
    ("d", "depth"),
    ("b", "bleeding"),
    ("m", "margin"),
    ("f", "furcation"),
];
const TOOTH_KINDS: [(&str, &str); 3] = [("mob", "mobility"), ("x", "missing"), ("imp", "implant")];

/// The id (and form name) of a site's input: `d-3-mb`.
pub(super) fn site_input(kind: &str, tooth: u8, site: PerioSite) -> String {
    format!("{kind}-{tooth}-{}", site.as_str())
}

fn tooth_input(kind: &str, tooth: u8) -> String {
    format!("{kind}-{tooth}")
}

/// Teeth left to right on the screen: upper 1→16, lower 32→17.
fn screen_teeth(upper: bool) -> Vec<u8> {
    if upper {
        (1..=16).collect()
    } else {
        (17..=32).rev().collect()
    }
}

/// A side's three sites of one tooth, left to right on the screen: distal first on the
/// patient's right half (1–8, 25–32), mesial first on the left half.
fn screen_sites(tooth: u8, facial: bool) -> [PerioSite; 3] {
    let [mesial, middle, distal] = if facial {
        [
            PerioSite::MesioBuccal,
            PerioSite::Buccal,
            PerioSite::DistoBuccal,
        ]
    } else {
        [
            PerioSite::MesioLingual,
            PerioSite::Lingual,
            PerioSite::DistoLingual,
        ]
    };
    if tooth <= 8 || tooth >= 25 {
        [distal, middle, mesial]
    } else {
        [mesial, middle, distal]
    }
}

fn number(tooth: Tooth) -> u8 {
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
            if chart.bleeds_at(*site) {
                values.insert(site_input("b", n, *site), "on".into());
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

/// Names the form, never what was typed into it (a note and measurements are PHI).
impl std::fmt::Debug for Posted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Posted { .. }")
    }
}

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
        let bleeding: Vec<bool> = PerioSite::ALL
            .iter()
            .map(|s| on(&site_input("b", n, *s)))
            .collect();
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
        let bled = bleeding.iter().any(|b| *b);
        let measured = depth.is_some() || margin.is_some() || furcation.is_some();
        if !(skipped || implant || mobility.is_some() || measured || bled) {
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
            // Bleeding is recorded on every probed tooth (unticked sites did not bleed).
            bleeding: (bled || (measured && !skipped)).then_some(bleeding),
            suppuration: None,
            plaque: None,
            calculus: None,
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

/// What the sheet's label of an input says: "Tooth 3 mesio-buccal depth".
fn site_label(tooth: &str, site: PerioSite, what: &str) -> String {
    format!("Tooth {tooth} {} {what}", site.label().to_lowercase())
}

/// Problems placed on the sheet: by input id, and listed in order for the top of the page.
#[derive(Debug, Default)]
pub(super) struct Placed {
    pub by_input: BTreeMap<String, String>,
    pub listed: Vec<(Option<String>, String)>,
}

impl Placed {
    pub(super) fn is_empty(&self) -> bool {
        self.listed.is_empty()
    }

    pub(super) fn first_input(&self) -> Option<&str> {
        self.listed.iter().find_map(|(id, _)| id.as_deref())
    }
}

/// The words a problem is listed with: the input it is on, then what is wrong ("Tooth 3
/// mesio-buccal depth: must be 0 to 19 mm.").
fn sentence(input: Option<&str>, problem: &str, numbering: Numbering) -> String {
    let end = if problem.ends_with('.') { "" } else { "." };
    let problem = crate::pages::chart::in_numbering(problem, numbering);
    let Some(id) = input else {
        return format!("{problem}{end}");
    };
    let what = match id {
        "exam_date" => "Exam date".to_string(),
        "note" => "Note".to_string(),
        _ => describe(id, numbering).unwrap_or_else(|| id.to_string()),
    };
    format!("{what}: {problem}{end}")
}

/// "Tooth 3 mesio-buccal depth" for `d-3-mb`, "Tooth 3 mobility" for `mob-3`.
fn describe(id: &str, numbering: Numbering) -> Option<String> {
    let mut parts = id.split('-');
    let kind = parts.next()?;
    let tooth = Tooth::permanent(parts.next()?.parse().ok()?).display(numbering);
    match parts.next() {
        Some(site) => {
            let what = SITE_KINDS.iter().find(|(k, _)| *k == kind)?.1;
            Some(site_label(&tooth, PerioSite::parse(site)?, what))
        }
        None => {
            let what = TOOTH_KINDS.iter().find(|(k, _)| *k == kind)?.1;
            Some(format!("Tooth {tooth} {what}"))
        }
    }
}

pub(super) fn place(
    local: &[(String, String)],
    room: &[FieldProblem],
    teeth: &[u8],
    numbering: Numbering,
) -> Placed {
    let mut placed = Placed::default();
    let all = local
        .iter()
        .map(|(id, p)| (Some(id.clone()), p.clone()))
        .chain(
            room.iter()
                .map(|p| (input_of(&p.field, teeth), p.problem.to_string())),
        );
    for (input, problem) in all {
        let text = sentence(input.as_deref(), &problem, numbering);
        // One line per input: a second problem of the same input joins the first.
        if let Some(id) = &input
            && let Some(line) = placed
                .listed
                .iter_mut()
                .find(|(at, _)| at.as_deref() == Some(id.as_str()))
        {
            line.1.push(' ');
            line.1.push_str(&text);
            placed.by_input.insert(id.clone(), line.1.clone());
            continue;
        }
        if let Some(id) = &input {
            placed.by_input.insert(id.clone(), text.clone());
        }
        placed.listed.push((input, text));
    }
    placed
}

/// One input (or, on a closed exam, one value) of the sheet.
#[derive(Debug)]
pub(super) struct Cell {
    /// Empty for a place with nothing to enter (a furcation on a front tooth).
    pub id: String,
    pub kind: &'static str,
    pub value: String,
    pub checked: bool,
    pub label: String,
    /// Where arrow keys go: the sheet's row and column (`data-row`, `data-col`).
    pub row: usize,
    pub col: usize,
    /// How many columns it spans (a tooth's own values span its three sites).
    pub span: usize,
    /// The site's place in the calling-out order (`data-i`), for site values.
    pub order: Option<usize>,
    /// `deep4` or `deep6` for a probing depth of 4 or 6 mm and more, else empty.
    pub deep: &'static str,
    pub invalid: bool,
    /// The tooth is charted missing: its inputs are shown dimmed.
    pub gone: bool,
}

impl Cell {
    pub(super) fn is_check(&self) -> bool {
        matches!(self.kind, "b" | "x" | "imp")
    }

    pub(super) fn is_blank(&self) -> bool {
        self.id.is_empty()
    }

    /// On a closed exam: the value as text ("B" for a bleeding site, "Missing", "Implant").
    pub(super) fn shown(&self) -> String {
        match (self.kind, self.checked) {
            ("b", true) => "B".into(),
            ("x", true) => "Missing".into(),
            ("imp", true) => "Implant".into(),
            (_, _) if self.is_check() => String::new(),
            _ => self.value.clone(),
        }
    }
}

#[derive(Debug)]
pub(super) struct SheetRow {
    pub label: String,
    pub kind: &'static str,
    pub cells: Vec<Cell>,
}

#[derive(Debug)]
pub(super) struct ToothHead {
    pub label: String,
    pub universal: u8,
    pub gone: bool,
}

/// One arch's table.
#[derive(Debug)]
pub(super) struct ArchSheet {
    pub id: &'static str,
    pub title: &'static str,
    pub teeth: Vec<ToothHead>,
    pub rows: Vec<SheetRow>,
}

fn deep_class(kind: &str, value: &str) -> &'static str {
    match (kind, value.parse::<i64>()) {
        ("d", Ok(d)) if d >= 6 => "deep6",
        ("d", Ok(d)) if d >= 4 => "deep4",
        _ => "",
    }
}

/// Both arches' tables from the values by input id.
pub(super) fn sheet(
    values: &HashMap<String, String>,
    placed: &Placed,
    numbering: Numbering,
) -> Vec<ArchSheet> {
    let order: HashMap<(u8, PerioSite), usize> = entry_order()
        .into_iter()
        .enumerate()
        .map(|(i, (t, s))| ((number(t), s), i))
        .collect();
    let mut row = 0;
    let mut arches = Vec::new();
    for (id, title, upper) in [
        ("upper", "Upper arch", true),
        ("lower", "Lower arch", false),
    ] {
        let teeth = screen_teeth(upper);
        let gone = |n: u8| values.contains_key(&tooth_input("x", n));
        let heads = teeth
            .iter()
            .map(|n| ToothHead {
                label: Tooth::permanent(*n).display(numbering),
                universal: *n,
                gone: gone(*n),
            })
            .collect();
        let mut rows = Vec::new();
        for (kind, what) in TOOTH_KINDS {
            let cells = teeth
                .iter()
                .enumerate()
                .map(|(i, n)| {
                    let id = tooth_input(kind, *n);
                    let value = values.get(&id).cloned().unwrap_or_default();
                    Cell {
                        checked: !value.is_empty(),
                        label: format!("Tooth {} {what}", Tooth::permanent(*n).display(numbering)),
                        invalid: placed.by_input.contains_key(&id),
                        id,
                        kind,
                        value,
                        row,
                        col: i * 3,
                        span: 3,
                        order: None,
                        deep: "",
                        gone: kind != "x" && gone(*n),
                    }
                })
                .collect();
            rows.push(SheetRow {
                label: capital(what),
                kind,
                cells,
            });
            row += 1;
        }
        // Upper: facial, then lingual; lower (seen from above the occlusal plane): lingual
        // first, then facial.
        let sides: [(bool, &str); 2] = if upper {
            [(true, "Facial"), (false, "Lingual")]
        } else {
            [(false, "Lingual"), (true, "Facial")]
        };
        for (facial, side) in sides {
            for (kind, what) in SITE_KINDS {
                let mut cells = Vec::with_capacity(48);
                for (i, n) in teeth.iter().enumerate() {
                    let tooth = Tooth::permanent(*n);
                    for (j, site) in screen_sites(*n, facial).into_iter().enumerate() {
                        let col = i * 3 + j;
                        if kind == "f" && tooth.is_anterior() {
                            cells.push(blank(kind, row, col));
                            continue;
                        }
                        let id = site_input(kind, *n, site);
                        let value = values.get(&id).cloned().unwrap_or_default();
                        cells.push(Cell {
                            checked: kind == "b" && !value.is_empty(),
                            label: site_label(&tooth.display(numbering), site, what),
                            invalid: placed.by_input.contains_key(&id),
                            deep: deep_class(kind, &value),
                            id,
                            kind,
                            value,
                            row,
                            col,
                            span: 1,
                            order: order.get(&(*n, site)).copied(),
                            gone: gone(*n),
                        });
                    }
                }
                rows.push(SheetRow {
                    label: format!("{side} {what}"),
                    kind,
                    cells,
                });
                row += 1;
            }
        }
        arches.push(ArchSheet {
            id,
            title,
            teeth: heads,
            rows,
        });
    }
    arches
}

fn blank(kind: &'static str, row: usize, col: usize) -> Cell {
    Cell {
        id: String::new(),
        kind,
        value: String::new(),
        checked: false,
        label: String::new(),
        row,
        col,
        span: 1,
        order: None,
        deep: "",
        invalid: false,
        gone: false,
    }
}

fn capital(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The exam's date as the form shows it.
pub(super) fn date_text(exam: &PerioExam) -> String {
    iso_date(exam.exam_date)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn posted(pairs: &[(&str, &str)]) -> Posted {
        Posted::from_pairs(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                .collect(),
        )
    }

    #[test]
    fn the_sheet_runs_in_the_calling_out_order_along_its_rows() {
        let arches = sheet(&HashMap::new(), &Placed::default(), Numbering::Universal);
        let order_of = |arch: usize, label: &str| -> Vec<usize> {
            arches[arch]
                .rows
                .iter()
                .find(|r| r.label == label)
                .unwrap()
                .cells
                .iter()
                .filter_map(|c| c.order)
                .collect()
        };
        let upper_facial = order_of(0, "Facial depth");
        assert_eq!(upper_facial, (0..48).collect::<Vec<_>>(), "left to right");
        let upper_lingual = order_of(0, "Lingual depth");
        assert_eq!(upper_lingual, (48..96).rev().collect::<Vec<_>>(), "back");
        let lower_lingual = order_of(1, "Lingual depth");
        assert_eq!(lower_lingual, (96..144).rev().collect::<Vec<_>>());
        let lower_facial = order_of(1, "Facial depth");
        assert_eq!(lower_facial, (144..192).collect::<Vec<_>>());
        let furcations = arches[0]
            .rows
            .iter()
            .find(|r| r.label == "Facial furcation")
            .unwrap();
        assert!(
            furcations.cells[15..33].iter().all(Cell::is_blank),
            "front teeth 6–11 have no furcation"
        );
        assert_eq!(arches[0].rows[0].cells[0].id, "mob-1");
        assert_eq!(arches[1].teeth[0].universal, 32);
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
        ]);
        assert_eq!(p.expected(), 4);
        let d = draft(&p);
        assert_eq!(
            d.teeth,
            vec![1, 3, 30],
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
        assert!(d.draft.teeth[0].skipped && d.draft.teeth[0].bleeding.is_none());
        assert_eq!(d.draft.teeth[2].mobility, Some(2));

        assert_eq!(input_of("teeth[1].depth[0]", &d.teeth).unwrap(), "d-3-mb");
        assert_eq!(input_of("teeth[0].depth", &d.teeth).unwrap(), "x-1");
        assert_eq!(input_of("teeth[2].mobility", &d.teeth).unwrap(), "mob-30");
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

    #[test]
    fn a_stored_exam_fills_the_same_inputs() {
        let p = posted(&[("d-3-mb", "5"), ("b-3-mb", "on"), ("f-3-b", "1")]);
        let exam = draft(&p)
            .draft
            .validate(time::macros::date!(2026 - 03 - 01))
            .unwrap();
        let values = values_of(&exam);
        assert_eq!(values["d-3-mb"], "5");
        assert_eq!(values["b-3-mb"], "on");
        assert_eq!(values["f-3-b"], "1");
        assert!(!values.contains_key("b-3-b"));
    }
}
