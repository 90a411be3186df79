//! The day view as a table: one column per operatory, one row per 5, 10 or 15 minutes of the
//! practice's clock, each appointment a cell spanning its rows (`rowspan`, so the page needs
//! no positioning styles, which the content security policy would refuse). Appointments that
//! hold no time (broken, cancelled, on the ASAP list) are listed under the table.

use enamel_app::{AppointmentView, DayView};
use enamel_domain::{Instant, PracticeDate, PracticeTz};
use time::Time;

/// One appointment as a block on the schedule: what this viewer may see of it.
pub(crate) struct Block {
    pub id: String,
    /// `09:00–10:00`.
    pub time: String,
    /// The patient's name, or words saying it is not shown to this role.
    pub patient: String,
    pub kind: String,
    pub provider: String,
    pub colour: String,
    pub status: &'static str,
    /// The status's text, for a class (`status-in_chair`).
    pub status_class: &'static str,
    pub operatory: String,
}

/// A cell of the table.
pub(crate) enum Cell {
    Free,
    /// Part of a block that started in an earlier row: no `<td>`.
    Covered,
    Blocks {
        rowspan: usize,
        blocks: Vec<Block>,
    },
}

pub(crate) struct Row {
    /// The row's time on the practice's clock (`09:10`).
    pub label: String,
    /// The row that holds "now", on today's schedule.
    pub now: bool,
    pub cells: Vec<Cell>,
}

pub(crate) struct Column {
    pub name: String,
}

/// The table and the list under it.
pub(crate) struct DayGrid {
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
    pub off_schedule: Vec<Block>,
    pub booked: usize,
}

/// The steps a day can be shown in, minutes.
pub(crate) const STEPS: [i64; 3] = [5, 10, 15];

/// The working day shown when nothing is booked outside it.
const OPENS: u8 = 7;
const CLOSES: u8 = 19;

fn hh_mm(tz: &PracticeTz, at: Instant) -> String {
    let t = tz.local(at).time();
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// The block of one appointment.
pub(crate) fn block(day: &DayView, a: &AppointmentView, types: &[(String, String)]) -> Block {
    let provider = day.providers.iter().find(|p| p.id == a.provider_id);
    let operatory = day
        .operatories
        .iter()
        .find(|o| o.id == a.operatory_id)
        .map(|o| o.operatory.name.clone())
        .unwrap_or_default();
    Block {
        id: a.id.to_string(),
        time: format!("{}–{}", hh_mm(&day.tz, a.start), hh_mm(&day.tz, a.end)),
        patient: match &a.patient {
            Some(p) => format!("{}, {}", p.family_name, p.given_name),
            None => "Patient (name not shown to your role)".into(),
        },
        kind: a
            .appointment_type_id
            .and_then(|t| types.iter().find(|(id, _)| *id == t.to_string()))
            .map(|(_, name)| name.clone())
            .unwrap_or_default(),
        provider: provider
            .map(|p| p.provider.abbreviation.clone())
            .unwrap_or_default(),
        colour: provider
            .map(|p| p.provider.colour.clone())
            .unwrap_or_else(|| "#888888".into()),
        status: a.status.label(),
        status_class: a.status.as_str(),
        operatory,
    }
}

/// The table of `day` in rows of `step` minutes; `now` marks its row when it falls on the day.
pub(crate) fn grid(day: &DayView, step: i64, now: Instant, types: &[(String, String)]) -> DayGrid {
    let step_ms = step * 60_000;
    let tz = &day.tz;
    let at = |hour: u8| {
        let time = Time::from_hms(hour, 0, 0).unwrap_or(Time::MIDNIGHT);
        tz.instant_at(day.date, time)
    };
    let range = tz.day(day.date);
    let holding: Vec<&AppointmentView> = day
        .appointments
        .iter()
        .filter(|a| a.status.holds_time())
        .collect();
    // From 07:00 to 19:00, widened to every booking of the day, on whole steps from the day's
    // first instant (so rows line up with the clock on a daylight-saving day too).
    let first = holding
        .iter()
        .map(|a| a.start.max(range.start))
        .min()
        .map_or(at(OPENS), |s| s.min(at(OPENS)));
    let last = holding
        .iter()
        .map(|a| a.end.min(range.end))
        .max()
        .map_or(at(CLOSES), |e| e.max(at(CLOSES)));
    let origin = range.start.unix_ms();
    let floor = |ms: i64| origin + (ms - origin).div_euclid(step_ms) * step_ms;
    let start = floor(first.unix_ms());
    let end = floor(last.unix_ms() - 1) + step_ms;
    let count = usize::try_from((end - start) / step_ms).unwrap_or(0);
    let columns: Vec<_> = day
        .operatories
        .iter()
        .filter(|o| !o.operatory.hidden)
        .collect();
    let mut rows: Vec<Row> = (0..count)
        .map(|i| {
            let from = start + i as i64 * step_ms;
            Row {
                label: hh_mm(tz, Instant::from_unix_ms(from)),
                now: (from..from + step_ms).contains(&now.unix_ms()),
                cells: (0..columns.len()).map(|_| Cell::Free).collect(),
            }
        })
        .collect();
    let row_of = |ms: i64| usize::try_from((ms.max(start) - start) / step_ms).unwrap_or(0);
    for (c, column) in columns.iter().enumerate() {
        let mut mine: Vec<&&AppointmentView> = holding
            .iter()
            .filter(|a| a.operatory_id == column.id)
            .collect();
        mine.sort_by_key(|a| a.start);
        // The open cell: its first row and the row after its last.
        let mut open: Option<(usize, usize)> = None;
        for a in mine {
            let first_row = row_of(a.start.unix_ms()).min(count.saturating_sub(1));
            let after = row_of(a.end.unix_ms() - 1).min(count.saturating_sub(1)) + 1;
            match open {
                // Two blocks within one row (a 5-minute visit on a 15-minute grid): one cell.
                Some((top, bottom)) if first_row < bottom => {
                    let bottom = bottom.max(after);
                    if let Cell::Blocks { rowspan, blocks } = &mut rows[top].cells[c] {
                        *rowspan = bottom - top;
                        blocks.push(block(day, a, types));
                    }
                    for row in rows.iter_mut().take(bottom).skip(top + 1) {
                        row.cells[c] = Cell::Covered;
                    }
                    open = Some((top, bottom));
                }
                _ => {
                    rows[first_row].cells[c] = Cell::Blocks {
                        rowspan: after - first_row,
                        blocks: vec![block(day, a, types)],
                    };
                    for row in rows.iter_mut().take(after).skip(first_row + 1) {
                        row.cells[c] = Cell::Covered;
                    }
                    open = Some((first_row, after));
                }
            }
        }
    }
    DayGrid {
        columns: columns
            .iter()
            .map(|o| Column {
                name: o.operatory.name.clone(),
            })
            .collect(),
        rows,
        // Broken, cancelled and ASAP-list visits, and any in an operatory hidden since.
        off_schedule: day
            .appointments
            .iter()
            .filter(|a| !a.status.holds_time() || !columns.iter().any(|o| o.id == a.operatory_id))
            .map(|a| block(day, a, types))
            .collect(),
        booked: holding.len(),
    }
}

/// `Monday 15 March 2027`.
pub(crate) fn long_date(date: PracticeDate) -> String {
    let d = date.date();
    format!("{} {} {} {}", d.weekday(), d.day(), d.month(), d.year())
}
