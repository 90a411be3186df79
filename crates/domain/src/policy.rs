//! The declared access policy: which staff role may take which action on which kind of
//! information, as a practice manager would write it on paper.
//!
//! The matrix answers "may this role do this at all?". It says nothing about patients and
//! proxies, whose portal access is decided by ownership of the record elsewhere, and nothing
//! about emergency access, which is a separate, always-audited path for clinicians.
//!
//! A practice starts from [`Policy::dental_office_default`] and stores only its differences
//! ([`Policy::differences_from_default`], [`Policy::with_overrides`]). A few cells are locked
//! because changing them would defeat the audit log or separation of duties; [`Policy::set`]
//! refuses them with a reason a practice manager can read.

mod defaults;
mod exclusive;
mod render;
#[cfg(test)]
mod tests;

pub use exclusive::ExclusiveRoles;
pub use render::render_markdown;

use crate::text_enum::text_enum;

text_enum!(
    /// A role a person holds in the practice. Staff roles come first: the matrix is indexed by
    /// position, so portal roles must stay at the end.
    Role {
        Dentist => "dentist" ("Dentist"),
        Hygienist => "hygienist" ("Hygienist"),
        DentalAssistant => "dental_assistant" ("Dental assistant"),
        FrontDesk => "front_desk" ("Front desk"),
        OfficeManager => "office_manager" ("Office manager"),
        Billing => "billing" ("Billing"),
        ComplianceOfficer => "compliance_officer" ("Compliance officer"),
        PracticeAdministrator => "practice_administrator" ("Practice administrator"),
        Patient => "patient" ("Patient"),
        Proxy => "proxy" ("Proxy"),
    }
);

text_enum!(
    /// A kind of information, grouped the way the practice thinks about it rather than by table.
    Category {
        Demographics => "demographics" ("Demographics"),
        Contact => "contact" ("Contact details"),
        Insurance => "insurance" ("Insurance"),
        Schedule => "schedule" ("Schedule & appointments"),
        ClinicalNotes => "clinical_notes" ("Clinical notes & diagnoses"),
        Charting => "charting" ("Charting & procedures"),
        TreatmentPlans => "treatment_plans" ("Treatment plans"),
        Imaging => "imaging" ("Imaging & X-rays"),
        Billing => "billing" ("Billing & payments"),
        Messages => "messages" ("Messages"),
        AuditLog => "audit_log" ("Audit log"),
        UsersAndRoles => "users_roles" ("Users & roles"),
        PracticeSettings => "practice_settings" ("Practice settings"),
    }
);

text_enum!(
    /// What someone does with the information. Export, print and disclose are separate from
    /// view because each moves PHI somewhere the practice no longer controls.
    Action {
        View => "view" ("View"),
        Create => "create" ("Create"),
        Edit => "edit" ("Edit"),
        Delete => "delete" ("Delete"),
        Export => "export" ("Export"),
        Print => "print" ("Print"),
        Disclose => "disclose" ("Disclose"),
    }
);

impl Role {
    /// The roles the matrix governs, in matrix order.
    pub const STAFF: &'static [Role] = &[
        Role::Dentist,
        Role::Hygienist,
        Role::DentalAssistant,
        Role::FrontDesk,
        Role::OfficeManager,
        Role::Billing,
        Role::ComplianceOfficer,
        Role::PracticeAdministrator,
    ];

    /// False for patients and proxies, who reach only their own records through the portal.
    pub fn is_staff(self) -> bool {
        !matches!(self, Role::Patient | Role::Proxy)
    }

    /// Clinicians may use break-glass emergency access: they are the ones who treat a patient
    /// whose record they would not otherwise be allowed to open.
    pub fn is_clinician(self) -> bool {
        matches!(
            self,
            Role::Dentist | Role::Hygienist | Role::DentalAssistant
        )
    }
}

impl Category {
    /// True for PHI about a patient; false for the practice's own records (audit log, users and
    /// roles, settings), which no patient's portal ever shows.
    pub fn is_patient_record(self) -> bool {
        !matches!(
            self,
            Category::AuditLog | Category::UsersAndRoles | Category::PracticeSettings
        )
    }
}

/// One cell of the matrix with its value: the unit a practice stores for each difference from
/// the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyCell {
    pub role: Role,
    pub category: Category,
    pub action: Action,
    pub allowed: bool,
}

/// Why a policy change or a role assignment was refused. Messages are shown to practice
/// managers as they are, so they are plain sentences.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyProblem {
    #[error("{}: “{}” on “{}” cannot be changed. {reason}", .role.label(), .action.label(), .category.label())]
    Locked {
        role: Role,
        category: Category,
        action: Action,
        reason: &'static str,
    },
    #[error(
        "{} cannot both {} users & roles and {} the audit log: whoever manages user accounts must not also be able to see or change the record of what was done with them.",
        .role.label(), .user_admin.as_str(), .audit.as_str()
    )]
    SeparationOfDuties {
        role: Role,
        user_admin: Action,
        audit: Action,
    },
    #[error(
        "One person cannot be both {} and {} while those roles together can {} users & roles and {} the audit log: whoever manages user accounts must not also be able to see or change the record of what was done with them.",
        .admin_role.label(), .audit_role.label(), .user_admin.as_str(), .audit.as_str()
    )]
    PersonSeparationOfDuties {
        admin_role: Role,
        audit_role: Role,
        user_admin: Action,
        audit: Action,
    },
    #[error("{} and {} cannot be held by the same person in this practice.", .held.label(), .adding.label())]
    ExclusiveRoles { held: Role, adding: Role },
    #[error("“{text}” is not a role. Roles are written like front_desk or compliance_officer.")]
    UnknownRole { text: String },
    #[error("“{text}” should be two roles joined by “+”, for example billing+compliance_officer.")]
    MalformedPair { text: String },
    #[error("{} cannot be made exclusive with itself.", .role.label())]
    PairWithItself { role: Role },
}

const STAFF_COUNT: usize = Role::STAFF.len();
const CATEGORY_COUNT: usize = Category::ALL.len();

/// Actions that change user accounts: holding any of them is "administering users" for
/// separation of duties. Viewing the list of users is not.
const USER_ADMIN_ACTIONS: [Action; 3] = [Action::Create, Action::Edit, Action::Delete];

/// The matrix: one byte per (staff role, category), one bit per action. Dense and fixed-size so
/// a check is two indexes and a mask, cheap enough to run on every read and write.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Policy {
    cells: [[u8; CATEGORY_COUNT]; STAFF_COUNT],
}

/// Position in the matrix; `None` for portal roles, which the matrix never grants anything.
fn staff_index(role: Role) -> Option<usize> {
    // Staff roles are declared first, so the discriminant is the row (a test pins this).
    role.is_staff().then_some(role as usize)
}

fn bit(action: Action) -> u8 {
    1 << (action as u8)
}

/// Why a cell may never be granted, or `None` if the practice may choose.
fn lock_reason(role: Role, category: Category, action: Action) -> Option<&'static str> {
    let changes = matches!(action, Action::Create | Action::Edit | Action::Delete);
    if !role.is_staff() {
        Some(
            "Patients and proxies reach only their own records, through the portal; this table grants them nothing.",
        )
    } else if category == Category::AuditLog && changes {
        Some(
            "The audit log is append-only: the system writes it, and nobody may create, edit or delete its entries.",
        )
    } else if category == Category::AuditLog && role == Role::PracticeAdministrator {
        Some(
            "Whoever administers users and roles must not be able to see the audit log that records their own changes.",
        )
    } else if role == Role::ComplianceOfficer && category.is_patient_record() && changes {
        Some(
            "The compliance officer reviews patient records and does not change them, so that the review stays independent.",
        )
    } else {
        None
    }
}

impl Policy {
    /// What a typical dental office expects; see `defaults.rs` for the table and its reasons.
    pub fn dental_office_default() -> Policy {
        defaults::policy()
    }

    /// Whether `role` may take `action` on `category`. Always false for patients and proxies.
    #[inline]
    pub fn allows(&self, role: Role, category: Category, action: Action) -> bool {
        match staff_index(role) {
            Some(r) => self.cells[r][category as usize] & bit(action) != 0,
            None => false,
        }
    }

    /// Whether any of the roles a person holds allows it: permissions of several roles add up.
    pub fn allows_any(&self, roles: &[Role], category: Category, action: Action) -> bool {
        roles.iter().any(|r| self.allows(*r, category, action))
    }

    /// Whether a cell is fixed by a rule rather than chosen by the practice. Locked cells are
    /// never allowed.
    pub fn is_locked(role: Role, category: Category, action: Action) -> bool {
        lock_reason(role, category, action).is_some()
    }

    /// Changes one cell. Refuses locked cells, and refuses a grant that would give one role
    /// both user administration and any use of the audit log. Revoking is always possible
    /// (except on locked cells), so a practice can undo a conflict in either order.
    pub fn set(
        &mut self,
        role: Role,
        category: Category,
        action: Action,
        allowed: bool,
    ) -> Result<(), PolicyProblem> {
        // Work on a copy so a refused change leaves the policy exactly as it was.
        let mut next = self.clone();
        next.write(role, category, action, allowed)?;
        if let Some(problem) = next.duty_conflict(role) {
            return Err(problem);
        }
        *self = next;
        Ok(())
    }

    /// The cells where this policy differs from the default, in matrix order: what a practice
    /// stores.
    pub fn differences_from_default(&self) -> Vec<PolicyCell> {
        let default = Policy::dental_office_default();
        let mut out = Vec::new();
        for &role in Role::STAFF {
            for &category in Category::ALL {
                for &action in Action::ALL {
                    let allowed = self.allows(role, category, action);
                    if allowed != default.allows(role, category, action) {
                        out.push(PolicyCell {
                            role,
                            category,
                            action,
                            allowed,
                        });
                    }
                }
            }
        }
        out
    }

    /// The default with a practice's stored differences applied. Separation of duties is
    /// checked on the result, not cell by cell, so the order of the stored rows never matters.
    pub fn with_overrides(overrides: &[PolicyCell]) -> Result<Policy, PolicyProblem> {
        let mut policy = Policy::dental_office_default();
        for cell in overrides {
            policy.write(cell.role, cell.category, cell.action, cell.allowed)?;
        }
        for &role in Role::STAFF {
            if let Some(problem) = policy.duty_conflict(role) {
                return Err(problem);
            }
        }
        Ok(policy)
    }

    /// Writes a cell after the lock check; the one place bits change.
    fn write(
        &mut self,
        role: Role,
        category: Category,
        action: Action,
        allowed: bool,
    ) -> Result<(), PolicyProblem> {
        let locked = |reason| PolicyProblem::Locked {
            role,
            category,
            action,
            reason,
        };
        if let Some(reason) = lock_reason(role, category, action) {
            return Err(locked(reason));
        }
        let Some(r) = staff_index(role) else {
            // Unreachable: portal roles are locked above. Refuse rather than trust that.
            return Err(locked("This role is not governed by the access table."));
        };
        let cell = &mut self.cells[r][category as usize];
        if allowed {
            *cell |= bit(action);
        } else {
            *cell &= !bit(action);
        }
        Ok(())
    }

    /// The first way a person holding all of `roles` would both administer users and use the
    /// audit log, through one role or through two that add up: separation of duties is about
    /// people, and a person's permissions are the union of their roles'.
    pub fn person_duty_conflict(&self, roles: &[Role]) -> Option<PolicyProblem> {
        if let Some(problem) = roles.iter().find_map(|r| self.duty_conflict(*r)) {
            return Some(problem);
        }
        let (admin_role, user_admin) = roles.iter().find_map(|r| {
            USER_ADMIN_ACTIONS
                .into_iter()
                .find(|a| self.allows(*r, Category::UsersAndRoles, *a))
                .map(|a| (*r, a))
        })?;
        let (audit_role, audit) = roles.iter().find_map(|r| {
            Action::ALL
                .iter()
                .copied()
                .find(|a| self.allows(*r, Category::AuditLog, *a))
                .map(|a| (*r, a))
        })?;
        Some(PolicyProblem::PersonSeparationOfDuties {
            admin_role,
            audit_role,
            user_admin,
            audit,
        })
    }

    /// The first way `role` both administers users and uses the audit log, if it does.
    fn duty_conflict(&self, role: Role) -> Option<PolicyProblem> {
        let user_admin = USER_ADMIN_ACTIONS
            .into_iter()
            .find(|a| self.allows(role, Category::UsersAndRoles, *a))?;
        let audit = Action::ALL
            .iter()
            .copied()
            .find(|a| self.allows(role, Category::AuditLog, *a))?;
        Some(PolicyProblem::SeparationOfDuties {
            role,
            user_admin,
            audit,
        })
    }
}
