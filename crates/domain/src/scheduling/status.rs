//! Where an appointment stands, which status may follow which, and the times the front desk
//! records on the way (arrived, seated, dismissed).

use crate::text_enum::text_enum;

text_enum!(
    /// An appointment's status. Those that hold time on the schedule are `scheduled`,
    /// `confirmed`, `arrived`, `in_chair` and `complete`; a broken, cancelled or ASAP-list
    /// appointment frees its chair and provider for someone else.
    AppointmentStatus {
        Scheduled => "scheduled" ("Scheduled"),
        Confirmed => "confirmed" ("Confirmed"),
        Arrived => "arrived" ("Arrived"),
        InChair => "in_chair" ("In the chair"),
        Complete => "complete" ("Complete"),
        Broken => "broken" ("Broken (no-show)"),
        Cancelled => "cancelled" ("Cancelled"),
        Asap => "asap" ("On the ASAP list"),
    }
);

impl AppointmentStatus {
    /// Whether an appointment in this status keeps its chair and its provider's time.
    pub fn holds_time(self) -> bool {
        matches!(
            self,
            AppointmentStatus::Scheduled
                | AppointmentStatus::Confirmed
                | AppointmentStatus::Arrived
                | AppointmentStatus::InChair
                | AppointmentStatus::Complete
        )
    }

    /// The statuses that may follow this one. A step back is allowed where the front desk
    /// clicks too soon (arrived back to scheduled, in the chair back to arrived); complete
    /// and cancelled are final (a new visit is a new appointment).
    pub fn next(self) -> &'static [AppointmentStatus] {
        use AppointmentStatus as S;
        match self {
            S::Scheduled => &[S::Confirmed, S::Arrived, S::Broken, S::Cancelled, S::Asap],
            S::Confirmed => &[S::Scheduled, S::Arrived, S::Broken, S::Cancelled, S::Asap],
            S::Arrived => &[S::Scheduled, S::InChair, S::Complete, S::Broken],
            S::InChair => &[S::Arrived, S::Complete],
            S::Broken => &[S::Scheduled, S::Cancelled, S::Asap],
            S::Asap => &[S::Scheduled, S::Cancelled],
            S::Complete | S::Cancelled => &[],
        }
    }

    pub fn can_become(self, to: AppointmentStatus) -> bool {
        self.next().contains(&to)
    }

    /// Why `self` cannot become `to`, in words for the front desk.
    pub fn refusal(self, to: AppointmentStatus) -> String {
        if self.next().is_empty() {
            return format!(
                "This appointment is {}: its status no longer changes. Book a new appointment instead.",
                self.label().to_lowercase()
            );
        }
        let names: Vec<&str> = self.next().iter().map(|s| s.as_str()).collect();
        format!(
            "An appointment that is {} cannot become {}; it can become {}.",
            self.label().to_lowercase(),
            to.label().to_lowercase(),
            names.join(", ")
        )
    }
}

text_enum!(
    /// Where a booking came from.
    AppointmentSource {
        Staff => "staff",
        Portal => "portal",
        Api => "api",
    }
);

text_enum!(
    /// How a patient confirmed.
    ConfirmationChannel {
        InPerson => "in_person" ("In person"),
        Phone => "phone" ("By phone"),
        Email => "email" ("By e-mail"),
        Sms => "sms" ("By text message"),
        Link => "link" ("By the confirmation link"),
        Portal => "portal" ("In the portal"),
    }
);

/// The front desk's times of a visit (unix ms): set when the status first reaches arrived,
/// in the chair and complete, and cleared when the status steps back before them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stamps {
    pub confirmed_ms: Option<i64>,
    pub arrived_ms: Option<i64>,
    pub seated_ms: Option<i64>,
    pub dismissed_ms: Option<i64>,
}

impl Stamps {
    /// The times after a change to `to` at `now`.
    pub fn after(self, to: AppointmentStatus, now: i64) -> Stamps {
        use AppointmentStatus as S;
        let mut s = self;
        match to {
            S::Scheduled => {
                s.confirmed_ms = None;
                s.arrived_ms = None;
                s.seated_ms = None;
            }
            S::Confirmed => {
                s.confirmed_ms = Some(now);
            }
            S::Arrived => {
                s.arrived_ms = s.arrived_ms.or(Some(now));
                s.seated_ms = None;
            }
            S::InChair => {
                s.arrived_ms = s.arrived_ms.or(Some(now));
                s.seated_ms = Some(now);
            }
            S::Complete => {
                s.arrived_ms = s.arrived_ms.or(Some(now));
                s.seated_ms = s.seated_ms.or(Some(now));
                s.dismissed_ms = Some(now);
            }
            S::Broken | S::Cancelled | S::Asap => {}
        }
        s
    }
}
