//! Finding patients without decrypting the table: every criterion becomes a blind-index token
//! and the database walks the patients holding all of them in id order, one page at a time.
//! Only the rows shown are opened.
//!
//! Order: patients whose names hold every typed word as a whole word come first ("Ann" before
//! "Anna"), then those where a typed word only starts a name; within each group patients
//! follow in the order they were registered (ids are time-ordered), which needs no
//! decryption, and each page is shown sorted by name. A cursor names the group and the last
//! patient shown, so paging reaches every match without a ceiling.

use enamel_crypto::normalize_for_search;
use enamel_domain::{
    Action, AuditAction, Category, FieldProblem, Outcome, PatientId, PatientStatus, RecordKind,
    normalize_phone, parse_iso_date,
};
use enamel_store::{TokenSearch, Walk};

use super::Patients;
use super::sealing::{self, Reveal};
use crate::AppError;

pub const MAX_PER_PAGE: u32 = 100;
/// Counting stops after this many matches: a broad search says "more than 200" instead of
/// walking every match to count it.
pub const SEARCH_COUNT_CAP: usize = 200;
const MAX_NAME_WORDS: usize = 6;
/// Rounds of fetching a page may take when opened rows turn out not to match (a typed word
/// longer than the 16 characters the tokens keep); the page is then answered shorter.
const MAX_ROUNDS: usize = 4;

/// The two groups of a name search, in the order they are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MatchKind {
    /// Every typed word is a whole word of the patient's names (or no name was typed).
    Whole,
    /// Some typed word only starts one of the patient's name words.
    Prefix,
}

/// Where the next page of a search starts: after `after` (from the start when `None`) in the
/// group `kind`. Written as `w` or `p`, then `.` and the patient id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchPosition {
    pub kind: MatchKind,
    pub after: Option<PatientId>,
}

impl std::fmt::Display for SearchPosition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.kind {
            MatchKind::Whole => "w",
            MatchKind::Prefix => "p",
        })?;
        match self.after {
            Some(id) => write!(f, ".{id}"),
            None => Ok(()),
        }
    }
}

impl std::str::FromStr for SearchPosition {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        let (kind, after) = match s.split_once('.') {
            Some((kind, id)) => (kind, Some(id.parse().map_err(|_| ())?)),
            None => (s, None),
        };
        let kind = match kind {
            "w" => MatchKind::Whole,
            "p" => MatchKind::Prefix,
            _ => return Err(()),
        };
        Ok(SearchPosition { kind, after })
    }
}

/// What a person typed into the search box or the API's query string. Its `Debug` says which
/// terms were given, never what they were (they are names, birth dates and phone numbers).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct PatientQuery {
    /// Words of any of the patient's names, each matching the start of a name word
    /// (`mol de` finds "Demo Molar"); case and accents do not matter.
    pub name: Option<String>,
    pub birth_date: Option<String>,
    pub phone: Option<String>,
    pub chart: Option<String>,
    /// `active`, `inactive`, `deceased` or `archived`; any when left out.
    pub status: Option<String>,
    /// The `next` of the previous page; the first page when `None`.
    pub after: Option<SearchPosition>,
    pub per_page: u32,
}

impl std::fmt::Debug for PatientQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PatientQuery")
            .field("name_given", &self.name.is_some())
            .field("birth_date_given", &self.birth_date.is_some())
            .field("phone_given", &self.phone.is_some())
            .field("chart_given", &self.chart.is_some())
            .field("status", &self.status)
            .field("after", &self.after)
            .field("per_page", &self.per_page)
            .finish()
    }
}

/// One line of a result list: enough to recognise the patient, and their phone only for
/// roles that may see contact details.
#[derive(Clone, PartialEq, Eq)]
pub struct PatientSummary {
    pub id: PatientId,
    pub family_name: String,
    pub given_name: String,
    pub preferred_name: Option<String>,
    pub birth_date: String,
    pub chart_number: Option<String>,
    pub status: String,
    pub phone: Option<String>,
    pub matched: MatchKind,
}

impl std::fmt::Debug for PatientSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PatientSummary")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatientSearchPage {
    /// Whole-word matches first, each group sorted by family name, given name and date of
    /// birth within the page.
    pub results: Vec<PatientSummary>,
    /// Patients matching, counted up to [`SEARCH_COUNT_CAP`].
    pub total: usize,
    /// More than `total` patients match.
    pub total_capped: bool,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<SearchPosition>,
}

struct Criteria {
    words: Vec<String>,
    birth_date: Option<String>,
    phone: Option<String>,
    chart: Option<String>,
    status: Option<&'static str>,
}

fn criteria(q: &PatientQuery) -> Result<Criteria, AppError> {
    let mut problems = Vec::new();
    let words: Vec<String> = q
        .name
        .as_deref()
        .map(|n| {
            normalize_for_search(n)
                .split([' ', ',', '-', '\'', '’'])
                .filter(|w| !w.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    if words.len() > MAX_NAME_WORDS {
        problems.push(FieldProblem::new("name", "use at most 6 words"));
    }
    if q.name.as_deref().is_some_and(|n| n.chars().count() > 200) {
        problems.push(FieldProblem::new("name", "is too long"));
    }
    let birth_date = match q
        .birth_date
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        None => None,
        Some(d) => match parse_iso_date(d) {
            Some(date) => Some(enamel_domain::iso_date(date)),
            None => {
                problems.push(FieldProblem::new(
                    "birth_date",
                    "must be a date written as YYYY-MM-DD",
                ));
                None
            }
        },
    };
    let phone = match q.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        None => None,
        Some(p) => match normalize_phone(p) {
            Some(n) => Some(n),
            None => {
                problems.push(FieldProblem::new(
                    "phone",
                    "must be a whole phone number such as (555) 010-0123",
                ));
                None
            }
        },
    };
    let chart = q
        .chart
        .as_deref()
        .map(|c| c.trim().to_uppercase())
        .filter(|c| !c.is_empty());
    // The rule of a chart number itself, so a search for one that cannot exist is named.
    if chart.as_deref().is_some_and(|c| {
        c.len() > 20 || !c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-')
    }) {
        problems.push(FieldProblem::new(
            "chart",
            "must be up to 20 letters, digits or hyphens",
        ));
    }
    let status = match q.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => match PatientStatus::parse(&s.to_lowercase()) {
            Some(s) => Some(s.as_str()),
            None => {
                problems.push(FieldProblem::new(
                    "status",
                    "must be active, inactive, deceased or archived",
                ));
                None
            }
        },
    };
    if q.per_page == 0 || q.per_page > MAX_PER_PAGE {
        problems.push(FieldProblem::new("limit", "must be between 1 and 100"));
    }
    if problems.is_empty()
        && words.is_empty()
        && birth_date.is_none()
        && phone.is_none()
        && chart.is_none()
    {
        problems.push(FieldProblem::new(
            "name",
            "search by name, date of birth, phone or chart number",
        ));
    }
    if !problems.is_empty() {
        return Err(AppError::Invalid(problems));
    }
    Ok(Criteria {
        words,
        birth_date,
        phone,
        chart,
        status,
    })
}

/// Whether every query word starts one of the record's name words (the tokens stop at 16
/// characters, so longer words are checked here).
fn names_match(words: &[String], names: &[&str]) -> bool {
    let record_words: Vec<String> = names.iter().flat_map(|n| sealing::name_words(n)).collect();
    words
        .iter()
        .all(|w| record_words.iter().any(|r| r.starts_with(w.as_str())))
}

/// The tokens of a query: the exact criteria, the name words' prefix tokens and their
/// whole-word tokens. [`QueryTokens::rank`] orders each list rarest first (the first drives a
/// probe walk) and chooses each group's walk from the postings counted.
struct QueryTokens {
    exact: Vec<[u8; 32]>,
    /// Exact criteria and name-word prefixes: the prefix group's (and every match's) tokens.
    prefixes: Vec<[u8; 32]>,
    /// Exact criteria and whole name words: the whole-word group's tokens.
    whole_words: Vec<[u8; 32]>,
    /// The whole name words alone: what the prefix group excludes when all are held.
    name_whole_words: Vec<[u8; 32]>,
    prefix_walk: Walk,
    whole_walk: Walk,
}

impl QueryTokens {
    fn of(index: &enamel_crypto::BlindIndexKey, c: &Criteria) -> Self {
        let mut exact = Vec::new();
        if let Some(ch) = &c.chart {
            exact.push(index.exact_raw(sealing::CHART_INDEX, ch.as_bytes()));
        }
        if let Some(p) = &c.phone {
            exact.push(index.exact_raw(sealing::PHONE_INDEX, p.as_bytes()));
        }
        if let Some(d) = &c.birth_date {
            exact.push(index.exact_raw(sealing::BIRTH_DATE_INDEX, d.as_bytes()));
        }
        // Until postings are counted, longer words are guessed rarer.
        let mut words: Vec<&String> = c.words.iter().collect();
        words.sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
        words.dedup();
        let mut prefixes = exact.clone();
        let mut name_whole_words = Vec::new();
        for word in words {
            if let Some(t) = index.prefix_query(sealing::NAME_PREFIX_INDEX, word) {
                prefixes.push(t);
            }
            name_whole_words.push(index.exact(sealing::NAME_WORD_INDEX, word));
        }
        let mut whole_words = exact.clone();
        whole_words.extend_from_slice(&name_whole_words);
        QueryTokens {
            exact,
            prefixes,
            whole_words,
            name_whole_words,
            prefix_walk: Walk::Probe,
            whole_walk: Walk::Probe,
        }
    }

    /// Counts each token's postings (up to a bound, in one statement) when a group has more
    /// than one token to intersect, then orders every list shortest first and picks each
    /// group's walk: a word that nobody's name holds then ends its group's walk at once, and
    /// two long lists are merged instead of probed one candidate at a time.
    async fn rank(&mut self, db: &enamel_store::Db, practice: &str) -> Result<(), AppError> {
        if !db.chooses_token_walks() || (self.prefixes.len() < 2 && self.whole_words.len() < 2) {
            return Ok(());
        }
        let mut distinct: Vec<[u8; 32]> = Vec::new();
        for t in self.prefixes.iter().chain(&self.whole_words) {
            if !distinct.contains(t) {
                distinct.push(*t);
            }
        }
        let counts = db.token_postings(practice, &distinct).await?;
        let postings = |t: &[u8; 32]| {
            distinct
                .iter()
                .position(|d| d == t)
                .and_then(|k| counts.get(k).copied())
                .unwrap_or(0)
        };
        for list in [
            &mut self.prefixes,
            &mut self.whole_words,
            &mut self.name_whole_words,
        ] {
            list.sort_by_key(postings);
        }
        let shortest = |list: &[[u8; 32]]| list.first().map(postings).unwrap_or(0);
        self.prefix_walk = Walk::for_shortest(shortest(&self.prefixes));
        self.whole_walk = Walk::for_shortest(shortest(&self.whole_words));
        Ok(())
    }

    /// The groups of this query in listing order. Without name words there is one.
    fn groups<'a>(&'a self, status: Option<&'a str>) -> Vec<(MatchKind, TokenSearch<'a>)> {
        if self.prefixes.len() == self.exact.len() {
            return vec![(
                MatchKind::Whole,
                TokenSearch {
                    // The exact criteria alone, ranked.
                    all_of: &self.prefixes,
                    not_all_of: &[],
                    status,
                    walk: self.prefix_walk,
                },
            )];
        }
        vec![
            (
                MatchKind::Whole,
                TokenSearch {
                    all_of: &self.whole_words,
                    not_all_of: &[],
                    status,
                    walk: self.whole_walk,
                },
            ),
            (
                MatchKind::Prefix,
                TokenSearch {
                    all_of: &self.prefixes,
                    not_all_of: &self.name_whole_words,
                    status,
                    walk: self.prefix_walk,
                },
            ),
        ]
    }

    /// Every match, whichever group.
    fn all<'a>(&'a self, status: Option<&'a str>) -> TokenSearch<'a> {
        TokenSearch {
            all_of: &self.prefixes,
            not_all_of: &[],
            status,
            walk: self.prefix_walk,
        }
    }
}

impl Patients<'_> {
    /// Searches the practice's patients (demographics, view; searching by phone also needs
    /// contact, view), one page at a time in the order the module describes.
    ///
    /// Audited twice over, never with the criteria: one `search` entry about `*`, durable
    /// before any value is opened, then one `search` entry per patient on the page returned
    /// (`patient_id` set, so "who saw this patient" includes search hits), durable before the
    /// page leaves the room.
    pub async fn search(&self, query: &PatientQuery) -> Result<PatientSearchPage, AppError> {
        let c = criteria(query)?;
        let access = self
            .access(Category::Demographics, Action::View, None)
            .await?;
        if c.phone.is_some() {
            // A match by phone tells whose number it is: contact details, even when the
            // results then hide the phone. A refusal is audited as `denied` (contact).
            self.access(Category::Contact, Action::View, None).await?;
        }
        let practice_id = self.caller.practice_id();
        self.app
            .audit()
            .record(
                access
                    .audit(AuditAction::Search, Outcome::Allowed)
                    .about(RecordKind::Patient, "*"),
            )
            .await?;
        let keys = self.app.keys_of(practice_id).await?;
        let practice = practice_id.to_string();
        let mut tokens = QueryTokens::of(keys.index(), &c);
        tokens.rank(self.app.db(), &practice).await?;
        let show_phone = self.may(Category::Contact, Action::View, None).await?;
        let reveal = Reveal {
            contact: show_phone,
            insurance: false,
        };
        let groups = tokens.groups(c.status);
        let limit = usize::try_from(query.per_page).unwrap_or(25);
        let first = query
            .after
            .and_then(|a| groups.iter().position(|(kind, _)| *kind == a.kind))
            .unwrap_or(0);
        let mut shown: Vec<PatientSummary> = Vec::with_capacity(limit);
        let mut next = None;
        for (i, (kind, group)) in groups.iter().enumerate().skip(first) {
            let mut after = query
                .after
                .filter(|_| i == first)
                .and_then(|a| a.after)
                .map(|id| id.to_string());
            let mut rounds = 0;
            let more_in_group = loop {
                let want = limit - shown.len();
                let mut ids = self
                    .app
                    .db()
                    .search_patient_page(&practice, group, after.as_deref(), want as i64 + 1)
                    .await?;
                let more = ids.len() > want;
                ids.truncate(want);
                if let Some(last) = ids.last() {
                    after = Some(last.clone());
                }
                shown.extend(
                    self.open_matches(&practice, &ids, &c.words, *kind, reveal)
                        .await?,
                );
                rounds += 1;
                if !more || shown.len() == limit || rounds == MAX_ROUNDS {
                    break more;
                }
            };
            if more_in_group {
                let after = after
                    .map(|id| id.parse())
                    .transpose()
                    .map_err(|_| AppError::Internal("stored patient id is malformed".into()))?;
                next = Some(SearchPosition { kind: *kind, after });
                break;
            }
            if shown.len() == limit {
                // Full at the end of this group: a next page only if a later group has any.
                if let Some((later, group)) = groups.get(i + 1) {
                    let any = self
                        .app
                        .db()
                        .search_patient_page(&practice, group, None, 1)
                        .await?;
                    if !any.is_empty() {
                        next = Some(SearchPosition {
                            kind: *later,
                            after: None,
                        });
                    }
                }
                break;
            }
        }
        let (total, total_capped) = if query.after.is_none() && next.is_none() {
            (shown.len(), false)
        } else {
            let cap = i64::try_from(SEARCH_COUNT_CAP).unwrap_or(i64::MAX);
            let counted = self
                .app
                .db()
                .count_search_matches(&practice, &tokens.all(c.status), cap + 1)
                .await?;
            let counted = usize::try_from(counted).unwrap_or(0);
            (counted.min(SEARCH_COUNT_CAP), counted > SEARCH_COUNT_CAP)
        };
        self.app
            .audit()
            .record_all(
                shown
                    .iter()
                    .map(|s| {
                        access
                            .audit(AuditAction::Search, Outcome::Allowed)
                            .about(RecordKind::Patient, s.id)
                            .patient(s.id)
                    })
                    .collect(),
            )
            .await?;
        shown.sort_by_cached_key(|s| {
            (
                s.matched,
                normalize_for_search(&s.family_name),
                normalize_for_search(&s.given_name),
                s.birth_date.clone(),
            )
        });
        Ok(PatientSearchPage {
            results: shown,
            total,
            total_capped,
            next,
        })
    }

    /// Opens the rows of `ids` and keeps those whose names hold every query word.
    async fn open_matches(
        &self,
        practice: &str,
        ids: &[String],
        words: &[String],
        matched: MatchKind,
        reveal: Reveal,
    ) -> Result<Vec<PatientSummary>, AppError> {
        let practice_id = self.caller.practice_id();
        let rows = self.app.db().patients_by_ids(practice, ids).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let record = self
                .app
                .with_keys(practice_id, |keys| sealing::open_record(keys, row, reveal))
                .await?;
            let names = [
                record.family_name.as_str(),
                record.given_name.as_str(),
                record.details.middle_name.as_deref().unwrap_or(""),
                record.details.preferred_name.as_deref().unwrap_or(""),
            ];
            if !names_match(words, &names) {
                continue;
            }
            out.push(PatientSummary {
                id: row
                    .id
                    .parse()
                    .map_err(|_| AppError::Internal("stored patient id is malformed".into()))?,
                phone: record.contact.phones.first().map(|p| p.number.clone()),
                family_name: record.family_name,
                given_name: record.given_name,
                preferred_name: record.details.preferred_name,
                birth_date: record.birth_date,
                chart_number: record.chart_number,
                status: row.status.clone(),
                matched,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::{MatchKind, PatientQuery, SearchPosition};

    #[test]
    fn a_search_position_round_trips_and_refuses_anything_else() {
        let id = enamel_domain::PatientId::new();
        for position in [
            SearchPosition {
                kind: MatchKind::Whole,
                after: Some(id),
            },
            SearchPosition {
                kind: MatchKind::Prefix,
                after: None,
            },
        ] {
            assert_eq!(position.to_string().parse(), Ok(position));
        }
        for bad in [
            "",
            "x",
            "x.1",
            "w.",
            "w.not-an-id",
            &format!("q.{id}"),
            &format!("w.{id}."),
        ] {
            assert!(bad.parse::<SearchPosition>().is_err(), "{bad}");
        }
    }

    #[test]
    fn l13_a_patient_query_debug_shows_no_search_terms() {
        let query = PatientQuery {
            name: Some("Bicuspid".into()),
            birth_date: Some("1990-01-02".into()),
            phone: Some("555 010 0199".into()),
            chart: Some("CH-4411".into()),
            status: Some("active".into()),
            after: None,
            per_page: 20,
        };
        let shown = format!("{query:?}");
        assert!(shown.contains("phone_given: true") && shown.contains("per_page: 20"));
        for hidden in ["Bicuspid", "1990-01-02", "555 010 0199", "CH-4411"] {
            assert!(!shown.contains(hidden), "{hidden} in {shown}");
        }
    }
}
