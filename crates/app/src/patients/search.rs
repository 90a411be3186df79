//! Finding patients without decrypting the table: every criterion becomes a blind-index token,
//! the database intersects the patients holding all of them, and only those candidates are
//! opened, filtered against the full query, sorted by name and paged.

use enamel_crypto::normalize_for_search;
use enamel_domain::{
    Action, AuditAction, Category, FieldProblem, Outcome, PatientId, PatientStatus, RecordKind,
    normalize_phone, parse_iso_date,
};

use super::Patients;
use super::sealing::{self, Reveal};
use crate::AppError;

/// At most this many candidates are opened and sorted; a broader query is answered with the
/// first of them and `truncated`, asking for more letters.
const CANDIDATE_CAP: i64 = 1_000;
pub const MAX_PER_PAGE: u32 = 100;
const MAX_NAME_WORDS: usize = 6;

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
    /// 1-based.
    pub page: u32,
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
            .field("page", &self.page)
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
    pub results: Vec<PatientSummary>,
    pub page: u32,
    pub per_page: u32,
    /// Matches found (at most the candidate cap).
    pub total: usize,
    /// More patients match than were considered: type more to narrow the search.
    pub truncated: bool,
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
    if q.page == 0 || q.page > 1_000 {
        problems.push(FieldProblem::new("page", "must be between 1 and 1000"));
    }
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

impl Patients<'_> {
    /// Searches the practice's patients (demographics, view; searching by phone also needs
    /// contact, view). Results are sorted by family
    /// name, given name and date of birth, exact name matches first.
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
        let index = keys.index();
        let mut tokens = Vec::new();
        for word in &c.words {
            if let Some(t) = index.prefix_query(sealing::NAME_PREFIX_INDEX, word) {
                tokens.push(t);
            }
        }
        if let Some(d) = &c.birth_date {
            tokens.push(index.exact_raw(sealing::BIRTH_DATE_INDEX, d.as_bytes()));
        }
        if let Some(p) = &c.phone {
            tokens.push(index.exact_raw(sealing::PHONE_INDEX, p.as_bytes()));
        }
        if let Some(ch) = &c.chart {
            tokens.push(index.exact_raw(sealing::CHART_INDEX, ch.as_bytes()));
        }
        let practice = practice_id.to_string();
        let mut ids = self
            .app
            .db()
            .search_patient_ids(&practice, &tokens, c.status, CANDIDATE_CAP + 1)
            .await?;
        let truncated = ids.len() > usize::try_from(CANDIDATE_CAP).unwrap_or(usize::MAX);
        ids.truncate(usize::try_from(CANDIDATE_CAP).unwrap_or(usize::MAX));
        let rows = self.app.db().patients_by_ids(&practice, &ids).await?;
        let show_phone = self.may(Category::Contact, Action::View, None).await?;
        let reveal = Reveal {
            contact: show_phone,
            insurance: false,
        };
        let mut found = Vec::with_capacity(rows.len());
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
            if !names_match(&c.words, &names) {
                continue;
            }
            let exact = c.words.iter().all(|w| {
                names
                    .iter()
                    .flat_map(|n| sealing::name_words(n))
                    .any(|r| r == *w)
            });
            let key = (
                !exact,
                normalize_for_search(&record.family_name),
                normalize_for_search(&record.given_name),
                record.birth_date.clone(),
            );
            let id: PatientId = row
                .id
                .parse()
                .map_err(|_| AppError::Internal("stored patient id is malformed".into()))?;
            found.push((
                key,
                PatientSummary {
                    id,
                    phone: record.contact.phones.first().map(|p| p.number.clone()),
                    family_name: record.family_name,
                    given_name: record.given_name,
                    preferred_name: record.details.preferred_name,
                    birth_date: record.birth_date,
                    chart_number: record.chart_number,
                    status: row.status.clone(),
                },
            ));
        }
        found.sort_by(|a, b| a.0.cmp(&b.0));
        let total = found.len();
        let per_page = usize::try_from(query.per_page).unwrap_or(25);
        let skip = usize::try_from(query.page.saturating_sub(1)).unwrap_or(0) * per_page;
        let results: Vec<PatientSummary> = found
            .into_iter()
            .skip(skip)
            .take(per_page)
            .map(|(_, s)| s)
            .collect();
        self.app
            .audit()
            .record_all(
                results
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
        Ok(PatientSearchPage {
            results,
            page: query.page,
            per_page: query.per_page,
            total,
            truncated,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::PatientQuery;

    #[test]
    fn l13_a_patient_query_debug_shows_no_search_terms() {
        let query = PatientQuery {
            name: Some("Bicuspid".into()),
            birth_date: Some("1990-01-02".into()),
            phone: Some("555 010 0199".into()),
            chart: Some("CH-4411".into()),
            status: Some("active".into()),
            page: 1,
            per_page: 20,
        };
        let shown = format!("{query:?}");
        assert!(shown.contains("phone_given: true") && shown.contains("per_page: 20"));
        for hidden in ["Bicuspid", "1990-01-02", "555 010 0199", "CH-4411"] {
            assert!(!shown.contains(hidden), "{hidden} in {shown}");
        }
    }
}
