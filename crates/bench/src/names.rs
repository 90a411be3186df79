//! Names for benchmark patients that behave like a real practice's: thousands of distinct
//! family and given names drawn with a skewed (Zipf-like) frequency, the most common family
//! name about 1 % of patients, as in a national census. The names themselves are invented
//! from syllables ("Brauvel", "Tisomar") so nobody can take them for real people; the sequence
//! is deterministic for a seed.
//!
//! Search terms for the load test are drawn from the same distribution, so a benchmark search
//! hits common and rare names as the front desk would: short and long prefixes, whole names,
//! given and family name together, and names nobody has.

use std::collections::HashSet;

use enamel_domain::synthetic::SyntheticRng;

const ONSETS: &[&str] = &[
    "b", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z", "br",
    "dr", "gr", "kl", "st", "tr", "ch", "sh", "th",
];
const VOWELS: &[&str] = &["a", "e", "i", "o", "u", "ai", "ei", "au"];
const CODAS: &[&str] = &["", "", "n", "r", "l", "s", "m", "nd", "rt", "x"];

/// Distinct family names, and how skewed their frequencies are (the exponent of rank): with
/// these, the most common family name is ≈1.0 % of patients and the 100th ≈0.06 %.
pub const FAMILY_NAMES: usize = 10_000;
const FAMILY_SKEW: f64 = 0.6;
/// Distinct given names; the most common ≈3 % of patients.
pub const GIVEN_NAMES: usize = 2_000;
const GIVEN_SKEW: f64 = 0.7;

/// A list of invented names with their cumulative frequencies.
pub struct NameDistribution {
    names: Vec<String>,
    cumulative: Vec<f64>,
}

fn syllable(rng: &mut SyntheticRng) -> String {
    let pick = |rng: &mut SyntheticRng, from: &[&str]| {
        from[usize::try_from(rng.below(from.len() as u64)).unwrap_or(0)].to_string()
    };
    pick(rng, ONSETS) + &pick(rng, VOWELS) + &pick(rng, CODAS)
}

/// `count` distinct invented names (two or three syllables, capitalised), deterministic for
/// `seed`, skipping any in `taken`.
fn invent(count: usize, seed: u64, taken: &HashSet<String>) -> Vec<String> {
    let mut rng = SyntheticRng::new(seed);
    let mut seen = HashSet::with_capacity(count);
    let mut names = Vec::with_capacity(count);
    while names.len() < count {
        let syllables = 2 + usize::from(rng.below(4) == 0);
        let word: String = (0..syllables).map(|_| syllable(&mut rng)).collect();
        let mut letters = word.chars();
        let name: String = letters
            .next()
            .map(|c| c.to_ascii_uppercase())
            .into_iter()
            .chain(letters)
            .collect();
        if !taken.contains(&name) && seen.insert(name.clone()) {
            names.push(name);
        }
    }
    names
}

impl NameDistribution {
    fn new(names: Vec<String>, skew: f64) -> Self {
        let mut total = 0.0;
        let mut cumulative = Vec::with_capacity(names.len());
        for rank in 1..=names.len() {
            total += (rank as f64).powf(-skew);
            cumulative.push(total);
        }
        for c in &mut cumulative {
            *c /= total;
        }
        NameDistribution { names, cumulative }
    }

    pub fn family() -> Self {
        Self::new(invent(FAMILY_NAMES, 7_001, &HashSet::new()), FAMILY_SKEW)
    }

    pub fn given() -> Self {
        Self::new(invent(GIVEN_NAMES, 7_002, &HashSet::new()), GIVEN_SKEW)
    }

    /// A name drawn with its frequency.
    pub fn draw(&self, rng: &mut SyntheticRng) -> &str {
        let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let at = self.cumulative.partition_point(|c| *c < u);
        &self.names[at.min(self.names.len() - 1)]
    }

    /// The share of draws that give the `rank`-th most common name (1-based).
    #[cfg(test)]
    pub fn share(&self, rank: usize) -> f64 {
        let below = if rank > 1 {
            self.cumulative[rank - 2]
        } else {
            0.0
        };
        self.cumulative[rank - 1] - below
    }

    fn all(&self) -> &[String] {
        &self.names
    }
}

/// `count` search terms as the front desk types them, drawn from the patients' own name
/// distributions: 30 % two-letter prefixes of a family name, 20 % three or four letters, 20 %
/// a whole family name, 15 % a given-name prefix and a whole family name, and 15 % a name
/// no patient has.
pub fn search_terms(
    family: &NameDistribution,
    given: &NameDistribution,
    count: usize,
    seed: u64,
) -> Vec<String> {
    let mut rng = SyntheticRng::new(seed);
    let taken: HashSet<String> = family.all().iter().chain(given.all()).cloned().collect();
    let misses = invent(count / 5 + 1, seed ^ 0x5eed, &taken);
    let prefix = |name: &str, n: usize| name.chars().take(n).collect::<String>();
    (0..count)
        .map(|i| match rng.below(100) {
            0..30 => prefix(family.draw(&mut rng), 2),
            30..50 => {
                let n = 3 + usize::from(rng.below(2) == 0);
                prefix(family.draw(&mut rng), n)
            }
            50..70 => family.draw(&mut rng).to_string(),
            70..85 => {
                let g = prefix(given.draw(&mut rng), 3);
                format!("{g} {}", family.draw(&mut rng))
            }
            _ => misses[i % misses.len()].clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_distinct_skewed_and_repeatable() {
        let family = NameDistribution::family();
        let distinct: HashSet<&String> = family.all().iter().collect();
        assert_eq!(distinct.len(), FAMILY_NAMES);
        let top = family.share(1);
        assert!((0.008..0.013).contains(&top), "the most common is {top}");
        let mut rng = SyntheticRng::new(1);
        let drawn: Vec<String> = (0..20_000)
            .map(|_| family.draw(&mut rng).to_string())
            .collect();
        let commonest = drawn.iter().filter(|n| **n == family.all()[0]).count();
        assert!((120..300).contains(&commonest), "{commonest} of 20,000");
        let kinds: HashSet<&String> = drawn.iter().collect();
        assert!(kinds.len() > 4_000, "{} distinct of 20,000", kinds.len());
        assert_eq!(NameDistribution::family().all()[..50], family.all()[..50]);
        assert!((0.02..0.04).contains(&NameDistribution::given().share(1)));
    }

    #[test]
    fn misses_are_nobody_s_name() {
        let (family, given) = (NameDistribution::family(), NameDistribution::given());
        let terms = search_terms(&family, &given, 1_000, 9);
        let names: HashSet<String> = family
            .all()
            .iter()
            .chain(given.all())
            .map(|n| n.to_lowercase())
            .collect();
        let whole = terms
            .iter()
            .filter(|t| !t.contains(' ') && t.chars().count() > 4)
            .count();
        assert!(whole > 150, "{whole}");
        let misses = terms
            .iter()
            .filter(|t| !t.contains(' ') && !names.iter().any(|n| n.starts_with(&t.to_lowercase())))
            .count();
        assert!((100..200).contains(&misses), "{misses} misses of 1,000");
    }
}
