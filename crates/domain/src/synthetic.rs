//! Obviously synthetic patients for the demo, tests and benchmarks. Names are built from
//! dental words ("Molar", "Canine") so nobody can mistake them for real people; the sequence is
//! deterministic for a given seed, so tests and benchmarks are repeatable.

use crate::{AddressDraft, CoverageDraft, PatientDraft, PhoneDraft};

const FAMILY: &[&str] = &[
    "Molar", "Canine", "Incisor", "Bicuspid", "Premolar", "Enamel", "Dentin", "Cusp", "Crown",
    "Floss", "Gumline", "Occlusal", "Lingual", "Buccal", "Palatal", "Fissure", "Sealant", "Veneer",
    "Bridge", "Implant",
];

const GIVEN: &[&str] = &[
    "Demo",
    "Sample",
    "Testa",
    "Placeholder",
    "Exemplar",
    "Mock",
    "Dummy",
    "Fixture",
    "Specimen",
    "Proto",
    "Zoë",
    "José",
    "Łucja",
    "Ngozi",
    "Mei",
    "Søren",
    "Aoife",
    "Thảo",
    "Renée",
    "O'Fake",
];

/// A small, fast, deterministic generator (SplitMix64): not for secrets, only for fake data.
#[derive(Debug, Clone)]
pub struct SyntheticRng(u64);

impl SyntheticRng {
    pub fn new(seed: u64) -> Self {
        SyntheticRng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

const CARRIERS: &[&str] = &[
    "Synthetic Dental Mutual",
    "Placeholder Dental Plan",
    "Example Tooth Assurance",
    "Mock Smile Cooperative",
];

const STREETS: &[&str] = &[
    "Enamel Way",
    "Molar Lane",
    "Floss Street",
    "Crown Court",
    "Canine Road",
];

fn pick<'a>(rng: &mut SyntheticRng, from: &[&'a str]) -> &'a str {
    from[usize::try_from(rng.below(from.len() as u64)).unwrap_or(0)]
}

/// A phone in the 555-01xx range that North American numbering reserves for fiction.
fn fictional_phone(rng: &mut SyntheticRng) -> String {
    format!("(555) 010-{:04}", rng.below(100))
}

fn birth_date(rng: &mut SyntheticRng, from_year: u64, years: u64) -> String {
    let year = from_year + rng.below(years);
    let month = 1 + rng.below(12);
    let day = 1 + rng.below(28);
    format!("{year:04}-{month:02}-{day:02}")
}

fn person(rng: &mut SyntheticRng, family: &str, born: String, n: u64) -> PatientDraft {
    let given = pick(rng, GIVEN);
    PatientDraft {
        family_name: family.to_string(),
        given_name: given.to_string(),
        birth_date: born,
        sex: Some(pick(rng, &["female", "male", "unknown"]).to_string()),
        preferred_language: Some(pick(rng, &["en", "en", "en", "es", "vi", "pl"]).to_string()),
        chart_number: Some(format!("SYN-{n:06}")),
        ..PatientDraft::default()
    }
}

fn coverage(
    rng: &mut SyntheticRng,
    relationship: &str,
    subscriber: Option<String>,
) -> CoverageDraft {
    CoverageDraft {
        carrier: pick(rng, CARRIERS).to_string(),
        plan: Some(pick(rng, &["PPO", "DHMO", "Indemnity"]).to_string()),
        group_number: Some(format!("GRP-{:05}", rng.below(100_000))),
        subscriber_id: format!("SYN{:09}", rng.below(1_000_000_000)),
        subscriber_relationship: Some(relationship.to_string()),
        subscriber_name: subscriber,
        effective_from: Some("2025-01-01".to_string()),
        ..CoverageDraft::default()
    }
}

/// A household: the guarantor first (an adult who receives the statement), then the others.
/// The caller creates the guarantor, then points the others' `guarantor_id` (and a minor's
/// `responsible_party_id`) at them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntheticHousehold {
    pub guarantor: PatientDraft,
    /// Members and whether each is a minor (who then needs the guarantor as responsible party).
    pub members: Vec<(PatientDraft, bool)>,
}

/// Households adding up to exactly `patients` patients: about half live alone, the rest with
/// a partner and up to three minors. One in five adults has a second insurance; minors are
/// covered as the guarantor's child. Every address is on a dental-sounding street in
/// "Testville", every e-mail at `example.test`, every phone in 555-01xx.
pub fn households(patients: usize, seed: u64) -> Vec<SyntheticHousehold> {
    let mut rng = SyntheticRng::new(seed);
    let mut out = Vec::new();
    let mut made = 0usize;
    let mut n = 0u64;
    while made < patients {
        let base = pick(&mut rng, FAMILY);
        let family = if rng.below(10) == 0 {
            format!("{base}-Synthetic")
        } else {
            base.to_string()
        };
        let address = AddressDraft {
            line1: Some(format!(
                "{} {}",
                1 + rng.below(999),
                pick(&mut rng, STREETS)
            )),
            city: Some("Testville".into()),
            region: Some("TS".into()),
            postal_code: Some(format!("{:05}", rng.below(100))),
            ..AddressDraft::default()
        };
        n += 1;
        let born = birth_date(&mut rng, 1950, 55);
        let mut guarantor = person(&mut rng, &family, born, n);
        let g_name = format!("{} {}", guarantor.given_name, family);
        guarantor.email = Some(format!("patient{n}@example.test"));
        guarantor.phones = vec![PhoneDraft {
            kind: Some("mobile".into()),
            number: fictional_phone(&mut rng),
        }];
        guarantor.address = Some(address.clone());
        guarantor.coverages = vec![coverage(&mut rng, "self", None)];
        if rng.below(5) == 0 {
            guarantor.coverages.push(coverage(
                &mut rng,
                "spouse",
                Some(format!("Partner {family}")),
            ));
        }
        let mut members = Vec::new();
        let room = u64::try_from(patients - made - 1).unwrap_or(0);
        if rng.below(2) == 0 && room > 0 {
            let size = (1 + rng.below(4)).min(room);
            for k in 0..size {
                n += 1;
                let minor = k > 0 || rng.below(3) == 0;
                let born = if minor {
                    birth_date(&mut rng, 2009, 16)
                } else {
                    birth_date(&mut rng, 1955, 50)
                };
                let mut m = person(&mut rng, &family, born, n);
                m.address = Some(address.clone());
                m.phones = vec![PhoneDraft {
                    kind: Some("home".into()),
                    number: fictional_phone(&mut rng),
                }];
                if minor {
                    m.coverages = vec![coverage(&mut rng, "child", Some(g_name.clone()))];
                } else {
                    m.email = Some(format!("patient{n}@example.test"));
                    m.coverages = vec![coverage(&mut rng, "self", None)];
                    if rng.below(5) == 0 {
                        m.coverages
                            .push(coverage(&mut rng, "spouse", Some(g_name.clone())));
                    }
                }
                members.push((m, minor));
            }
        }
        made += 1 + members.len();
        out.push(SyntheticHousehold { guarantor, members });
    }
    out
}

/// `count` synthetic patients without households (benchmarks and tests); one family name in
/// ten carries a "-Synthetic" suffix, and birth dates fall between 1940 and 2022.
pub fn patients(count: usize, seed: u64) -> Vec<PatientDraft> {
    let mut rng = SyntheticRng::new(seed);
    (0..count)
        .map(|_| {
            let family = pick(&mut rng, FAMILY);
            let given = pick(&mut rng, GIVEN);
            PatientDraft {
                family_name: if rng.below(10) == 0 {
                    format!("{family}-Synthetic")
                } else {
                    family.to_string()
                },
                given_name: given.to_string(),
                birth_date: birth_date(&mut rng, 1940, 83),
                ..PatientDraft::default()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn synthetic_patients_are_valid_and_repeatable() {
        let today = time::macros::date!(2026 - 11 - 22);
        let a = patients(500, 7);
        assert_eq!(a, patients(500, 7));
        assert_ne!(a, patients(500, 8));
        for draft in &a {
            draft.validate(crate::PatientId::new(), today).unwrap();
        }
    }

    #[test]
    fn households_are_valid_fake_and_mixed() {
        let today = time::macros::date!(2026 - 11 - 22);
        let all = households(300, 1);
        assert_eq!(all, households(300, 1));
        let total: usize = all.iter().map(|h| 1 + h.members.len()).sum();
        assert_eq!(total, 300);
        let minors = all
            .iter()
            .flat_map(|h| &h.members)
            .filter(|(_, minor)| *minor)
            .count();
        let two_plans = all
            .iter()
            .flat_map(|h| std::iter::once(&h.guarantor).chain(h.members.iter().map(|(m, _)| m)))
            .filter(|d| d.coverages.len() == 2)
            .count();
        assert!(
            minors > 20 && two_plans > 10,
            "minors {minors}, two plans {two_plans}"
        );
        for h in &all {
            let g = h
                .guarantor
                .validate(crate::PatientId::new(), today)
                .unwrap();
            assert!(!g.is_minor(today));
            assert!(g.email.as_deref().unwrap().ends_with("@example.test"));
            assert!(g.phones[0].number.starts_with("+1555010"));
            for (m, minor) in &h.members {
                assert_eq!(
                    m.validate(crate::PatientId::new(), today)
                        .unwrap()
                        .is_minor(today),
                    *minor
                );
            }
        }
    }
}
