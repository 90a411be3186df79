//! Reading an import file as a table: its size, its encoding, its header row, and each row's
//! cells by column name with the line where the row starts. Every import reads its file
//! here and turns the cells into its own drafts.
//!
//! A file whose columns are wrong is refused whole, before anything is written; a row with
//! the wrong number of values is reported by line. No message here ever repeats a value from
//! a row: values may be PHI. Column names from the header are shown, because a header is not
//! patient information (and a first line that names no known column is not taken for a
//! header, so a data row is never echoed as "unknown columns").

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result, bail};

use super::report::{Rejection, thousands};

/// Larger files are refused: split them. 200 MB is several hundred thousand patients.
pub const MAX_FILE_BYTES: u64 = 200 * 1024 * 1024;

/// The columns one import understands.
#[derive(Debug)]
pub struct Columns {
    /// Every column, as the header must spell it (case aside).
    pub known: &'static [&'static str],
    /// The columns a file must have (their cells may still be blank).
    pub required: &'static [&'static str],
    /// The import's name in `enamel import NAME --help`, which the messages point to.
    pub command: &'static str,
    /// More rows than this are refused: split the file.
    pub max_rows: usize,
}

impl Columns {
    /// "family_name, given_name and birth_date".
    fn required_list(&self) -> String {
        match self.required {
            [] => String::new(),
            [one] => (*one).to_string(),
            [most @ .., last] => format!("{} and {last}", most.join(", ")),
        }
    }
}

/// What reading the file gave: rows for the import, and rows already refused by their shape.
#[derive(Debug)]
pub struct Parsed<R> {
    pub rows: Vec<R>,
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

fn header(fields: &[&str], spec: &Columns) -> Result<Header> {
    let names: Vec<String> = fields
        .iter()
        .map(|f| f.trim().to_ascii_lowercase())
        .collect();
    let known = |n: &str| !n.is_empty() && spec.known.contains(&n);
    let help = format!("`enamel import {} --help` lists the columns", spec.command);
    if !names.iter().any(|n| known(n)) {
        bail!(
            "the first line of the file must name the columns ({}, …); it names none of them. \
             {help}",
            spec.required.join(", ")
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
        match spec.known.iter().find(|k| *k == name) {
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
             them; {help}. Nothing was imported"
        );
    }
    let missing: Vec<&str> = spec
        .required
        .iter()
        .filter(|r| !position.contains_key(*r))
        .copied()
        .collect();
    if !missing.is_empty() {
        let are = if spec.required.len() == 1 {
            "is"
        } else {
            "are"
        };
        bail!(
            "the file has no {} column ({} {are} required). Nothing was imported",
            missing.join(", "),
            spec.required_list()
        );
    }
    Ok(Header { columns, position })
}

/// One row's cells by column name.
pub struct Cells<'a> {
    header: &'a Header,
    values: Vec<&'a str>,
}

impl Cells<'_> {
    /// The cell's text, trimmed, or `None` when the column is absent or the cell is blank.
    pub fn get(&self, column: &str) -> Option<String> {
        let i = *self.header.position.get(column)?;
        let value = self.values.get(i)?.trim();
        (!value.is_empty()).then(|| value.to_string())
    }

    /// Whether any of these columns has a value in this row.
    pub fn any(&self, columns: impl IntoIterator<Item = impl AsRef<str>>) -> bool {
        columns.into_iter().any(|c| self.get(c.as_ref()).is_some())
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

/// Parses the file (RFC 4180: quoted fields may hold commas, quotes and line breaks) and hands
/// each row's cells, with the line where it starts, to `row`. Refuses the whole file for a
/// bad header, text that is not UTF-8, or too many rows.
pub fn parse<R>(
    bytes: &[u8],
    spec: &Columns,
    mut row: impl FnMut(u64, &Cells<'_>) -> R,
) -> Result<Parsed<R>> {
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
    let header = header(&fields, spec)?;
    let mut lines = LineCounter {
        bytes,
        offset: 0,
        line: 1,
    };
    let mut parsed = Parsed {
        rows: Vec::new(),
        rejected: Vec::new(),
        row_count: 0,
    };
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
        if parsed.row_count > spec.max_rows {
            bail!(
                "the file has more than {} rows; split it into smaller files and import each. \
                 Nothing was imported",
                thousands(spec.max_rows)
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
        parsed.rows.push(row(line, &cells));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const SPEC: Columns = Columns {
        known: &["a", "b", "c"],
        required: &["a", "b"],
        command: "things",
        max_rows: 3,
    };

    fn lines(text: &str) -> Result<Vec<u64>> {
        Ok(parse(text.as_bytes(), &SPEC, |line, _| line)?.rows)
    }

    fn err(text: &str) -> String {
        format!("{:#}", lines(text).unwrap_err())
    }

    #[test]
    fn line_numbers_count_crlf_blank_lines_and_line_breaks_in_quotes() {
        for ending in ["\n", "\r\n", "\r"] {
            let text = ["a,b", "1,2", "", "\"x", "y\",2", "3,4"].join(ending);
            assert_eq!(lines(&text).unwrap(), [2, 4, 6], "{ending:?}");
        }
    }

    #[test]
    fn messages_name_this_imports_columns_and_help() {
        let none = err("x,y\n");
        assert!(none.contains("(a, b, …)"), "{none}");
        assert!(none.contains("`enamel import things --help`"), "{none}");
        assert!(err("a\n").contains("no b column (a and b are required)"));
        assert!(err("a,b\n1,2\n3,4\n5,6\n7,8\n").contains("more than 3 rows"));
        assert!(lines("a,b\n1,2\n3,4\n5,6\n").is_ok());
    }
}
