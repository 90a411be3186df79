//! Plain words for the chart: statuses, surfaces, sites, teeth and fees, each tooth in the
//! practice's numbering.

use enamel_domain::clinical::{Numbering, ProcedureStatus, Site, Surface, Surfaces, Tooth};

/// A status as it reads inside a sentence: "planned", "existing, elsewhere".
pub(crate) fn status_words(status: ProcedureStatus) -> String {
    status.label().to_lowercase()
}

fn surface_word(surface: Surface) -> &'static str {
    match surface {
        Surface::Mesial => "mesial",
        Surface::Occlusal => "occlusal",
        Surface::Incisal => "incisal",
        Surface::Distal => "distal",
        Surface::Buccal => "buccal",
        Surface::Facial => "facial",
        Surface::ClassV => "class V",
        Surface::Lingual => "lingual",
    }
}

/// "mesial", "mesial and occlusal", "mesial, occlusal and distal".
pub(crate) fn surface_words(surfaces: Surfaces) -> String {
    let words: Vec<&str> = surfaces.iter().map(surface_word).collect();
    match words.split_last() {
        None => String::new(),
        Some((last, [])) => (*last).to_string(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// A tooth's place in its dentition's Universal order, for telling runs of teeth apart.
fn order(tooth: Tooth) -> Option<usize> {
    if tooth.is_primary() {
        Tooth::primary_dentition().position(|t| t == tooth)
    } else {
        Tooth::permanent_dentition().position(|t| t == tooth)
    }
}

/// Teeth of a range: "3 to 5" when they run without a gap, "3, 5, 7" otherwise.
pub(crate) fn teeth_words(teeth: &[Tooth], numbering: Numbering) -> String {
    let run = teeth.len() > 1
        && teeth.windows(2).all(|w| match (order(w[0]), order(w[1])) {
            (Some(a), Some(b)) => b == a + 1,
            _ => false,
        });
    match (run, teeth.first(), teeth.last()) {
        (true, Some(first), Some(last)) => {
            format!(
                "{} to {}",
                first.display(numbering),
                last.display(numbering)
            )
        }
        _ => teeth
            .iter()
            .map(|t| t.display(numbering))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// Where a procedure was done, for the timeline: `3 MO`, `Teeth 3 to 5`, `Upper right
/// quadrant`, `Whole mouth`.
pub(crate) fn site_words(site: &Site, numbering: Numbering) -> String {
    match site {
        Site::Mouth => "Whole mouth".to_string(),
        Site::Arch(a) => a.label().to_string(),
        Site::Quadrant(q) => format!("{} quadrant", q.label()),
        Site::Sextant(s) => s.label().to_string(),
        Site::Tooth(t) => format!("Tooth {}", t.display(numbering)),
        Site::Surfaces(t, s) => format!("Tooth {} {s}", t.display(numbering)),
        Site::Teeth(teeth) => format!("Teeth {}", teeth_words(teeth, numbering)),
    }
}

/// Minor units as dollars: `$1,950.00`. (Every practice bills in USD until a setting chooses
/// another currency.)
pub(crate) fn money(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let minor = minor.unsigned_abs();
    let whole = (minor / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}${grouped}.{:02}", minor % 100)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn words_for_people() {
        let t3 = Tooth::permanent(3);
        assert_eq!(
            surface_words(Surfaces::parse_for("MOD", t3).unwrap()),
            "mesial, occlusal and distal"
        );
        assert_eq!(
            surface_words(Surfaces::parse_for("v", t3).unwrap()),
            "class V"
        );
        let bridge = [
            Tooth::permanent(3),
            Tooth::permanent(4),
            Tooth::permanent(5),
        ];
        assert_eq!(teeth_words(&bridge, Numbering::Universal), "3 to 5");
        assert_eq!(teeth_words(&bridge, Numbering::Fdi), "16 to 14");
        let gaps = [Tooth::permanent(3), Tooth::permanent(5)];
        assert_eq!(teeth_words(&gaps, Numbering::Universal), "3, 5");
        assert_eq!(
            site_words(
                &Site::Surfaces(t3, Surfaces::parse_for("OM", t3).unwrap()),
                Numbering::Fdi
            ),
            "Tooth 16 MO"
        );
        assert_eq!(
            status_words(ProcedureStatus::ExistingOther),
            "existing, elsewhere"
        );
        assert_eq!(money(19_500), "$195.00");
        assert_eq!(money(123_456_789), "$1,234,567.89");
        assert_eq!(money(5), "$0.05");
    }
}
