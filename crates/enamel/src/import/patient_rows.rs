//! The patient import's columns, and each row of its file turned into a [`PatientDraft`].
//! Reading the file itself (size, encoding, header, line numbers) is [`super::table`]'s.

use anyhow::Result;
use enamel_domain::{AddressDraft, CoverageDraft, EmergencyContactDraft, PatientDraft, PhoneDraft};

use super::table::{self, Cells, Columns, Parsed};

/// More rows than this are refused: split the file.
pub const MAX_ROWS: usize = 1_000_000;

pub const REQUIRED: [&str; 3] = ["family_name", "given_name", "birth_date"];

/// Every column the import understands: the API's field names, flattened.
pub const KNOWN: &[&str] = &[
    "family_name",
    "given_name",
    "birth_date",
    "middle_name",
    "preferred_name",
    "sex",
    "gender_identity",
    "preferred_language",
    "chart_number",
    "status",
    "email",
    "phone_mobile",
    "phone_home",
    "phone_work",
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postal_code",
    "country",
    "emergency_contact_name",
    "emergency_contact_relationship",
    "emergency_contact_phone",
    "primary_carrier",
    "primary_plan",
    "primary_group_number",
    "primary_subscriber_id",
    "primary_subscriber_relationship",
    "primary_subscriber_name",
    "primary_subscriber_birth_date",
    "secondary_carrier",
    "secondary_plan",
    "secondary_group_number",
    "secondary_subscriber_id",
    "secondary_subscriber_relationship",
    "secondary_subscriber_name",
    "secondary_subscriber_birth_date",
    "guarantor_chart_number",
];

const PHONES: [(&str, &str); 3] = [
    ("phone_mobile", "mobile"),
    ("phone_home", "home"),
    ("phone_work", "work"),
];
const ADDRESS: [&str; 6] = [
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postal_code",
    "country",
];
const EMERGENCY: [&str; 3] = [
    "emergency_contact_name",
    "emergency_contact_relationship",
    "emergency_contact_phone",
];
const COVERAGES: [&str; 2] = ["primary", "secondary"];
const COVERAGE_FIELDS: [&str; 7] = [
    "carrier",
    "plan",
    "group_number",
    "subscriber_id",
    "subscriber_relationship",
    "subscriber_name",
    "subscriber_birth_date",
];

/// One usable row of the file, not yet validated.
pub struct Row {
    /// The line of the file where the row starts (the header is line 1).
    pub line: u64,
    pub draft: PatientDraft,
    /// The guarantor's chart number as written, upper-cased (chart numbers are stored so).
    pub guarantor_chart: Option<String>,
    /// Which column each of `draft.phones` came from, in order.
    phone_columns: Vec<&'static str>,
    /// Which column prefix each of `draft.coverages` came from, in order.
    coverage_prefixes: Vec<&'static str>,
}

impl std::fmt::Debug for Row {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Row")
            .field("line", &self.line)
            .finish_non_exhaustive()
    }
}

impl Row {
    /// The file's column for a field the domain validation named (`phones[1].number`,
    /// `coverages[0].carrier`, `address.city`), so the report speaks the file's language.
    pub fn column_for(&self, field: &str) -> String {
        if let Some((index, _)) = indexed(field, "phones[")
            && let Some(column) = self.phone_columns.get(index)
        {
            return (*column).to_string();
        }
        if let Some((index, rest)) = indexed(field, "coverages[")
            && let Some(prefix) = self.coverage_prefixes.get(index)
        {
            return format!("{prefix}_{rest}");
        }
        if let Some(rest) = field.strip_prefix("address.") {
            return match rest {
                "line1" | "line2" => format!("address_{rest}"),
                other => other.to_string(),
            };
        }
        if let Some(rest) = field.strip_prefix("emergency_contact.") {
            return format!("emergency_contact_{rest}");
        }
        match field {
            "guarantor_id" => "guarantor_chart_number".into(),
            other => other.to_string(),
        }
    }
}

/// `phones[2].number` with prefix `phones[` → `(2, "number")`.
fn indexed<'a>(field: &'a str, prefix: &str) -> Option<(usize, &'a str)> {
    let rest = field.strip_prefix(prefix)?;
    let (index, rest) = rest.split_once(']')?;
    Some((index.parse().ok()?, rest.trim_start_matches('.')))
}

/// The patient import's columns, for [`table::parse`].
pub const COLUMNS: Columns = Columns {
    known: KNOWN,
    required: &REQUIRED,
    command: "patients",
    max_rows: MAX_ROWS,
};

fn row_of(line: u64, cells: &Cells<'_>) -> Row {
    let mut phone_columns = Vec::new();
    let mut phones = Vec::new();
    for (column, kind) in PHONES {
        if let Some(number) = cells.get(column) {
            phone_columns.push(column);
            phones.push(PhoneDraft {
                kind: Some(kind.into()),
                number,
            });
        }
    }
    let address = cells.any(ADDRESS).then(|| AddressDraft {
        line1: cells.get("address_line1"),
        line2: cells.get("address_line2"),
        city: cells.get("city"),
        region: cells.get("region"),
        postal_code: cells.get("postal_code"),
        country: cells.get("country"),
    });
    let emergency_contact = cells.any(EMERGENCY).then(|| EmergencyContactDraft {
        name: cells.get("emergency_contact_name").unwrap_or_default(),
        relationship: cells.get("emergency_contact_relationship"),
        phone: cells.get("emergency_contact_phone").unwrap_or_default(),
    });
    let mut coverage_prefixes = Vec::new();
    let mut coverages = Vec::new();
    for prefix in COVERAGES {
        let field = |name: &str| cells.get(&format!("{prefix}_{name}"));
        if !COVERAGE_FIELDS.iter().any(|f| field(f).is_some()) {
            continue;
        }
        coverage_prefixes.push(prefix);
        coverages.push(CoverageDraft {
            priority: Some(prefix.into()),
            carrier: field("carrier").unwrap_or_default(),
            plan: field("plan"),
            group_number: field("group_number"),
            subscriber_id: field("subscriber_id").unwrap_or_default(),
            subscriber_relationship: field("subscriber_relationship"),
            subscriber_name: field("subscriber_name"),
            subscriber_birth_date: field("subscriber_birth_date"),
            effective_from: None,
            effective_to: None,
        });
    }
    let draft = PatientDraft {
        family_name: cells.get("family_name").unwrap_or_default(),
        given_name: cells.get("given_name").unwrap_or_default(),
        birth_date: cells.get("birth_date").unwrap_or_default(),
        middle_name: cells.get("middle_name"),
        preferred_name: cells.get("preferred_name"),
        sex: cells.get("sex"),
        gender_identity: cells.get("gender_identity"),
        preferred_language: cells.get("preferred_language"),
        chart_number: cells.get("chart_number"),
        status: cells.get("status"),
        email: cells.get("email"),
        phones,
        address,
        emergency_contact,
        guarantor_id: None,
        responsible_party_id: None,
        coverages,
    };
    Row {
        line,
        draft,
        guarantor_chart: cells
            .get("guarantor_chart_number")
            .map(|c| c.to_uppercase()),
        phone_columns,
        coverage_prefixes,
    }
}

/// Parses the file into patient rows. Refuses the whole file for a bad header, text that is
/// not UTF-8, or too many rows.
pub fn parse(bytes: &[u8]) -> Result<Parsed<Row>> {
    table::parse(bytes, &COLUMNS, row_of)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn err(text: &str) -> String {
        format!("{:#}", parse(text.as_bytes()).unwrap_err())
    }

    #[test]
    fn quoted_commas_quotes_line_breaks_and_a_bom_are_read() {
        let text = "\u{feff}family_name,given_name,birth_date,address_line1,phone_home\r\n\
                    \"Molar, Jr\",Zoë,1980-02-03,\"1 \"\"Crown\"\" St\nSuite 2\",555-0100\r\n\
                    Incisor,Ana,1990-01-01,,\n";
        let parsed = parse(text.as_bytes()).unwrap();
        assert_eq!(parsed.rows.len(), 2);
        let first = &parsed.rows[0];
        assert_eq!(first.line, 2);
        assert_eq!(first.draft.family_name, "Molar, Jr");
        assert_eq!(first.draft.given_name, "Zoë");
        let address = first.draft.address.as_ref().unwrap();
        assert_eq!(address.line1.as_deref(), Some("1 \"Crown\" St\nSuite 2"));
        assert_eq!(first.column_for("phones[0].number"), "phone_home");
        assert_eq!(parsed.rows[1].line, 4);
        assert!(parsed.rows[1].draft.address.is_none());
    }

    #[test]
    fn columns_are_named_in_the_files_terms() {
        let text = "family_name,given_name,birth_date,secondary_carrier,phone_work,\
                    emergency_contact_phone,city\nA,B,2000-01-01,Canine Mutual,555-0101,x,y\n";
        let row = &parse(text.as_bytes()).unwrap().rows[0];
        assert_eq!(row.column_for("coverages[0].carrier"), "secondary_carrier");
        assert_eq!(row.column_for("phones[0].kind"), "phone_work");
        assert_eq!(
            row.column_for("emergency_contact.phone"),
            "emergency_contact_phone"
        );
        assert_eq!(row.column_for("address.city"), "city");
        assert_eq!(row.column_for("address.line1"), "address_line1");
        assert_eq!(row.column_for("guarantor_id"), "guarantor_chart_number");
        assert_eq!(row.column_for("birth_date"), "birth_date");
    }

    #[test]
    fn a_bad_header_refuses_the_file_without_echoing_data() {
        assert!(err("").contains("empty"));
        let unknown = err("family_name,given_name,birth_date,phone_cell\n");
        assert!(unknown.contains("\"phone_cell\" (column 4)"), "{unknown}");
        let missing = err("family_name,given_name\nA,B\n");
        assert!(missing.contains("no birth_date column"), "{missing}");
        assert!(err("email,EMAIL\n").contains("appears twice"));
        assert!(err("family_name,,birth_date\n").contains("column 2 has no name"));
        // A data row where the header should be: refused without repeating it.
        let no_header = err("Molarsecret,Ana,1980-01-01\n");
        assert!(!no_header.contains("Molarsecret"), "{no_header}");
        assert!(no_header.contains("must name the columns"), "{no_header}");
        let latin1 = parse(b"family_name,given_name,birth_date\nZo\xEB,A,2000-01-01\n");
        assert!(format!("{:#}", latin1.unwrap_err()).contains("line 2"));
    }

    #[test]
    fn short_rows_are_rejected_and_blank_rows_skipped() {
        let text = "family_name,given_name,birth_date\nA,B\n,,\nC,D,2000-01-01,,\n";
        let parsed = parse(text.as_bytes()).unwrap();
        assert_eq!(parsed.row_count, 2);
        assert_eq!(parsed.rows.len(), 1);
        assert_eq!(parsed.rejected.len(), 1);
        assert_eq!(parsed.rejected[0].line, 2);
    }
}
