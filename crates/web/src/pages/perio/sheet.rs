//! The perio sheet: the 32 permanent teeth by arch, six sites each, as the template draws
//! them (inputs, or text once the exam is closed), with every problem placed on its input.
//! The inputs' names, and the form turned into a draft, are in [`super::sheet_form`].
//!
//! The page is laid out as the dentist faces the patient (the patient's right on the left),
//! so the order a hygienist calls out in ([`entry_order`]) runs along the rows: upper facial
//! left to right, upper lingual back, lower lingual, lower facial. Every site input carries
//! its place in that order (`data-i`) for `static/perio.js`.

use std::collections::{BTreeMap, HashMap};

use enamel_domain::FieldProblem;
use enamel_domain::clinical::{Numbering, PerioSite, Tooth, entry_order};

use super::sheet_form::{
    SITE_KINDS, TOOTH_KINDS, input_of, is_flag, number, site_input, tooth_input,
};

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
        is_flag(self.kind) || matches!(self.kind, "x" | "imp")
    }

    pub(super) fn is_blank(&self) -> bool {
        self.id.is_empty()
    }

    /// On a closed exam: the value as text ("B" for a bleeding site, "S" suppuration, "P"
    /// plaque, "C" calculus; "Missing", "Implant").
    pub(super) fn shown(&self) -> String {
        match (self.kind, self.checked) {
            (kind, true) if is_flag(kind) => kind.to_uppercase(),
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
                            checked: is_flag(kind) && !value.is_empty(),
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn flags_are_checkboxes_named_in_words_and_letters_once_closed() {
        let values = HashMap::from([("s-3-mb".to_string(), "on".to_string())]);
        let arches = sheet(&values, &Placed::default(), Numbering::Fdi);
        let cell = |id: &str| {
            arches[0]
                .rows
                .iter()
                .flat_map(|r| &r.cells)
                .find(|c| c.id == id)
                .unwrap()
        };
        let s = cell("s-3-mb");
        assert!(s.is_check() && s.checked && s.order.is_some());
        assert_eq!(s.label, "Tooth 16 mesio-buccal suppuration");
        assert_eq!(s.shown(), "S");
        assert_eq!(cell("p-3-mb").shown(), "");
        assert_eq!(cell("c-3-mb").label, "Tooth 16 mesio-buccal calculus");
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
        let labels: Vec<&str> = arches[1].rows.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(
            labels[3..10],
            [
                "Lingual depth",
                "Lingual bleeding",
                "Lingual suppuration",
                "Lingual plaque",
                "Lingual calculus",
                "Lingual margin",
                "Lingual furcation"
            ]
        );
        assert_eq!(arches[1].teeth[0].universal, 32);
    }
}
