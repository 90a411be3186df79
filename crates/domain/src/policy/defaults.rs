//! The default policy of a dental office, written as the table a practice manager would draw.
//!
//! Each cell spells the allowed actions in a fixed column per action, `.` where not allowed:
//!
//! ```text
//! V view   C create   E edit   D delete   X export   P print   S disclose (send outside the practice)
//! ```
//!
//! The letters are for the reader only (a test checks each sits in its own column); a cell's
//! meaning comes from the position.

use super::{CATEGORY_COUNT, Category, Policy, STAFF_COUNT};

/// The letter each action shows in its column, in `Action::ALL` order.
pub(super) const ACTION_LETTERS: &[u8] = b"VCEDXPS";

/// Rows are categories; columns follow `Role::STAFF`.
///
/// Reasons for the cells a reader might question:
/// - Front desk views billing to collect co-pays at checkout, but changes nothing there.
/// - Front desk and office manager delete on the schedule to clear cancelled or mistaken
///   appointments; no one but the dentist deletes anything else from a patient's record,
///   because records are corrected, not erased.
/// - Billing views treatment plans because claims and pre-determinations list the planned
///   procedures (codes, teeth, surfaces); it still never sees notes, charting or images.
/// - Billing and insurance carry disclose for billing staff because claims go to payers.
/// - The compliance officer views demographics to identify whose record an audit entry is
///   about, and nothing else of the record.
/// - Delete on charting is the lock override: striking completed work from the chart after its
///   lock window (marking it entered in error, never erasing it), which only the dentist does.
/// - The practice administrator runs user accounts and settings, sees only enough of a
///   patient to recognise them, and never the audit log (separation of duties). They alone
///   delete a patient record, and only one created in error (a duplicate, a test entry):
///   everyone else deactivates.
#[rustfmt::skip]
pub(super) const DEFAULT_TABLE: [(Category, [&str; STAFF_COUNT]); CATEGORY_COUNT] = [
    //                            Dentist    Hygienist  Assistant  FrontDesk  OfficeMgr  Billing    Compliance PracticeAdmin
    (Category::Demographics,     ["VCE.XPS", "V......", "V......", "VCE..P.", "VCE.XPS", "V......", "V......", "V..D..."]),
    (Category::Contact,          ["VCE.XPS", "V......", "V......", "VCE..P.", "VCE.XPS", "V......", ".......", "V......"]),
    (Category::Insurance,        ["VCE.XPS", ".......", ".......", "VCE..P.", "VCE.XPS", "VCE.XPS", ".......", "......."]),
    (Category::Schedule,         ["VCEDXPS", "VCE....", "VCE....", "VCED.P.", "VCEDXPS", "V......", ".......", "......."]),
    (Category::ClinicalNotes,    ["VCE.XPS", "VCE..P.", "VC.....", ".......", ".......", ".......", ".......", "......."]),
    (Category::Charting,         ["VCEDXPS", "VCE..P.", "VCE..P.", ".......", ".......", ".......", ".......", "......."]),
    (Category::TreatmentPlans,   ["VCE.XPS", "VCE..P.", "V......", ".......", "V......", "V......", ".......", "......."]),
    (Category::Imaging,          ["VCE.XPS", "VCE..P.", "VCE..P.", ".......", ".......", ".......", ".......", "......."]),
    (Category::Billing,          ["VCE.XPS", ".......", ".......", "V......", "VCE.XPS", "VCE.XPS", ".......", "......."]),
    (Category::Messages,         ["VCE.XPS", "VC.....", "VC.....", "VC.....", "VC.....", "VC.....", ".......", "......."]),
    (Category::AuditLog,         [".......", ".......", ".......", ".......", ".......", ".......", "V...XP.", "......."]),
    (Category::UsersAndRoles,    [".......", ".......", ".......", ".......", "V......", ".......", "V......", "VCEDXPS"]),
    (Category::PracticeSettings, [".......", ".......", ".......", ".......", "V.E....", ".......", "V......", "VCEDXPS"]),
];

/// One cell's text as the action bitmask: any non-`.` position is allowed.
pub(super) fn mask(cell: &str) -> u8 {
    cell.bytes()
        .take(ACTION_LETTERS.len())
        .enumerate()
        .filter(|(_, b)| *b != b'.')
        .fold(0, |m, (i, _)| m | (1 << i))
}

pub(super) fn policy() -> Policy {
    let mut cells = [[0u8; CATEGORY_COUNT]; STAFF_COUNT];
    for (category, row) in DEFAULT_TABLE {
        for (r, cell) in row.iter().enumerate() {
            cells[r][category as usize] = mask(cell);
        }
    }
    Policy { cells }
}
