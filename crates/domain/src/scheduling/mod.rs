//! The schedule: who works (providers), where (operatories, the chairs), what kinds of visit
//! there are (appointment types), and appointments, each holding a chair and some of its
//! provider's time for a pattern of 5-minute units.
//!
//! The rules here are pure: a booking's start in the practice's time zone (a time that a
//! daylight-saving change skips or repeats is refused, not moved), its pattern, the slots it
//! holds, which status may follow which. Whether two bookings collide is decided by the
//! database (each held slot is a row under a unique key), so that it holds across server
//! processes; see docs/design/scheduling.md.

mod appointment;
mod hours;
mod pattern;
mod resources;
mod status;
#[cfg(test)]
mod tests;

pub use appointment::{
    AppointmentDraft, Booking, MAX_APPOINTMENT_NOTE_CHARS, parse_start, start_text,
};
pub use hours::{
    Block, BlockDraft, BlockKind, MAX_HOURS, Warning, WorkingHours, clock_text, hours_of,
    hours_text, parse_hours, warnings, weekday_text,
};
pub use pattern::{MAX_UNITS, Pattern, UNIT_MINUTES, UNIT_MS, slot_of};
pub use resources::{
    AppointmentType, AppointmentTypeDraft, Operatory, OperatoryDraft, Provider, ProviderDraft,
    Specialty, is_valid_npi,
};
pub use status::{AppointmentSource, AppointmentStatus, ConfirmationChannel, Stamps};
