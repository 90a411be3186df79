//! Obviously synthetic patients for the demo, tests and benchmarks. Names are built from
//! dental words ("Molar", "Canine") so nobody can mistake them for real people; the sequence is
//! deterministic for a given seed, so tests and benchmarks are repeatable.

use crate::PatientDraft;

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

/// `count` synthetic patients; every family name carries a "-Synthetic" suffix on one in ten,
/// and birth dates fall between 1940 and 2022.
pub fn patients(count: usize, seed: u64) -> Vec<PatientDraft> {
    let mut rng = SyntheticRng::new(seed);
    (0..count)
        .map(|_| {
            let family = FAMILY[rng.below(FAMILY.len() as u64) as usize];
            let given = GIVEN[rng.below(GIVEN.len() as u64) as usize];
            let year = 1940 + rng.below(83);
            let month = 1 + rng.below(12);
            let day = 1 + rng.below(28);
            PatientDraft {
                family_name: if rng.below(10) == 0 {
                    format!("{family}-Synthetic")
                } else {
                    family.to_string()
                },
                given_name: given.to_string(),
                birth_date: format!("{year:04}-{month:02}-{day:02}"),
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
}
