//! Reading an import file: its size, its encoding, its header row and each row turned into a
//! [`PatientDraft`]. A file whose columns are wrong is refused whole, before anything is
//! written; a row that cannot be used is reported by line and column. No message here ever
//! repeats a value from a row: values are PHI. Column names from the header are shown, because
//! a header is not patient information (and a first line that names no known column is not
//! taken for a header, so a data row is never echoed as "unknown columns").

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result, bail};
use enamel_domain::{AddressDraft, CoverageDraft, EmergencyContactDraft, PatientDraft, PhoneDraft};

use super::report::Rejection;

/// Larger files are refused: split them. 200 MB is several hundred thousand patients.
pub const MAX_FILE_BYTES: u64 = 200 * 1024 * 1024;
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

/// What reading the file gave: rows to validate, and rows already refused by their shape.
#[derive(Debug, Default)]
pub struct Parsed {
    pub rows: Vec<Row>,
    pub rejected: Vec<Rejection>,
    /// Rows counted (blank rows are skipped and not counted).
    pub row_count: usize,
}

/// Reads the whole file, refusing one that is too large. Bounded twice: by its size on disk
/// and by what is actually read (the file may grow meanwhile).
pub fn read_file(path: &Path) -> Result<Vec<u8>> {
    let shown = path.display();
    let meta = std::fs::metadata(path).with_context(|| format!("cannot read {shown}"))?;
    if !meta.is_file() {
        bail!("{shown} is not a file");
    }
    if meta.len() > MAX_FILE_BYTES {
        bail!("{shown} is larger than 200 MB; split it into smaller files and import each");
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
        .with_context(|| format!("cannot read {shown}"))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        bail!("{shown} is larger than 200 MB; split it into smaller files and import each");
    }
    Ok(bytes)
}

/// The header: which known column each position holds.
#[derive(Debug)]
struct Header {
    columns: Vec<&'static str>,
    position: HashMap<&'static str, usize>,
}

/// A column name fit to show in a message: short and printable, or not shown at all.
fn shown_name(name: &str, number: usize) -> String {
    if !name.is_empty()
        && name.len() <= 60
        && name.chars().all(|c| c == ' ' || c.is_ascii_graphic())
    {
        format!("\"{name}\" (column {number})")
    } else {
        format!("column {number} (its name has unusual characters)")
    }
}

fn header(fields: &[&str]) -> Result<Header> {
    let names: Vec<String> = fields
        .iter()
        .map(|f| f.trim().to_ascii_lowercase())
        .collect();
    let known = |n: &str| !n.is_empty() && KNOWN.contains(&n);
    if !names.iter().any(|n| known(n)) {
        bail!(
            "the first line of the file must name the columns (family_name, given_name, \
             birth_date, …); it names none of them. `enamel import patients --help` lists the columns"
        );
    }
    let mut unknown = Vec::new();
    let mut columns = Vec::with_capacity(names.len());
    let mut position = HashMap::new();
    for (i, name) in names.iter().enumerate() {
        if name.is_empty() {
            bail!(
                "column {} has no name in the first line; name it or remove it",
                i + 1
            );
        }
        match KNOWN.iter().find(|k| *k == name) {
            Some(column) => {
                if position.insert(*column, i).is_some() {
                    bail!("the column \"{column}\" appears twice; keep one");
                }
                columns.push(*column);
            }
            None => {
                unknown.push(shown_name(fields[i].trim(), i + 1));
                columns.push("");
            }
        }
    }
    if !unknown.is_empty() {
        let listed = unknown
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        let more = if unknown.len() > 5 {
            format!(" and {} more", unknown.len() - 5)
        } else {
            String::new()
        };
        bail!(
            "the file has columns this import does not know: {listed}{more}. Rename or remove \
             them; `enamel import patients --help` lists the columns. Nothing was imported"
        );
    }
    let missing: Vec<&str> = REQUIRED
        .iter()
        .filter(|r| !position.contains_key(*r))
        .copied()
        .collect();
    if !missing.is_empty() {
        bail!(
            "the file has no {} column (family_name, given_name and birth_date are required). \
             Nothing was imported",
            missing.join(", ")
        );
    }
    Ok(Header { columns, position })
}

/// One row's cells by column name.
struct Cells<'a> {
    header: &'a Header,
    values: Vec<&'a str>,
}

impl Cells<'_> {
    /// The cell's text, or `None` when the column is absent or the cell is blank.
    fn get(&self, column: &str) -> Option<String> {
        let i = *self.header.position.get(column)?;
        let value = self.values.get(i)?.trim();
        (!value.is_empty()).then(|| value.to_string())
    }

    fn any(&self, columns: impl IntoIterator<Item = impl AsRef<str>>) -> bool {
        columns.into_iter().any(|c| self.get(c.as_ref()).is_some())
    }
}

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

fn not_utf8(line: u64) -> anyhow::Error {
    anyhow::anyhow!(
        "line {line} of the file is not UTF-8 text; save the file as \"CSV UTF-8\" and try again. \
         Nothing was imported"
    )
}

/// Line numbers as a text editor shows them. The reader's own line count lags by one after a
/// CRLF ending and ignores lone CRs, so lines are counted here from the byte where a record
/// starts.
struct LineCounter<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: u64,
}

impl LineCounter<'_> {
    /// The line of the first character of the record starting at `byte` (offsets only grow).
    fn line_at(&mut self, byte: u64) -> u64 {
        let mut start = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.bytes.len());
        // The previous record's line ending and skipped blank lines come before the record.
        while matches!(self.bytes.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        if start > self.offset {
            // A line ends with LF, CRLF or a lone CR (old Mac files).
            let newlines = (self.offset..start)
                .filter(|&i| match self.bytes[i] {
                    b'\n' => true,
                    b'\r' => self.bytes.get(i + 1) != Some(&b'\n'),
                    _ => false,
                })
                .count();
            self.line += newlines as u64;
            self.offset = start;
        }
        self.line
    }
}

/// Parses the file (RFC 4180: quoted fields may hold commas, quotes and line breaks). Refuses
/// the whole file for a bad header, text that is not UTF-8, or too many rows.
pub fn parse(bytes: &[u8]) -> Result<Parsed> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut records = reader.byte_records();
    let first = match records.next() {
        None => bail!("the file is empty; its first line must name the columns"),
        Some(Err(_)) => bail!("the first line of the file cannot be read as CSV"),
        Some(Ok(record)) => record,
    };
    let fields = first
        .iter()
        .map(std::str::from_utf8)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| not_utf8(1))?;
    let header = header(&fields)?;
    let mut lines = LineCounter {
        bytes,
        offset: 0,
        line: 1,
    };
    let mut parsed = Parsed::default();
    for record in records {
        let Ok(record) = record else {
            bail!("a line of the file cannot be read as CSV. Nothing was imported");
        };
        let line = lines.line_at(record.position().map_or(0, csv::Position::byte));
        let values = record
            .iter()
            .map(std::str::from_utf8)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| not_utf8(line))?;
        if values.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        parsed.row_count += 1;
        if parsed.row_count > MAX_ROWS {
            bail!(
                "the file has more than {} rows; split it into smaller files and import each. \
                 Nothing was imported",
                super::report::thousands(MAX_ROWS)
            );
        }
        let width = header.columns.len();
        if values.len() < width || values[width..].iter().any(|v| !v.trim().is_empty()) {
            parsed.rejected.push(Rejection::new(
                line,
                "",
                format!(
                    "the row has {} values but the first line names {width} columns \
                     (a value with a comma or a line break must be in double quotes)",
                    values.len()
                ),
            ));
            continue;
        }
        let cells = Cells {
            header: &header,
            values,
        };
        parsed.rows.push(row_of(line, &cells));
    }
    Ok(parsed)
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
    fn line_numbers_count_crlf_blank_lines_and_line_breaks_in_quotes() {
        for ending in ["\n", "\r\n", "\r"] {
            let text = [
                "family_name,given_name,birth_date",
                "A,B,2000-01-01",
                "",
                "\"C",
                "c\",D,2000-01-01",
                "E,F,2000-01-01",
            ]
            .join(ending);
            let lines: Vec<u64> = parse(text.as_bytes())
                .unwrap()
                .rows
                .iter()
                .map(|r| r.line)
                .collect();
            assert_eq!(lines, [2, 4, 6], "{ending:?}");
        }
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
