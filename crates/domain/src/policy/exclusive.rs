//! Roles one person may not hold together, whatever the matrix says.
//!
//! Separation of duties inside one role is enforced by the matrix's locks; this covers the
//! other way round it, a person holding two roles whose permissions combine into the conflict.

use super::{PolicyProblem, Role};

/// Pairs of roles that cannot be assigned to the same person. The order inside a pair does not
/// matter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExclusiveRoles(Vec<(Role, Role)>);

impl Default for ExclusiveRoles {
    /// The compliance officer watches the audit log, so they must not also be the person who
    /// administers accounts, nor the one whose disclosures to payers they review.
    fn default() -> Self {
        ExclusiveRoles(vec![
            (Role::PracticeAdministrator, Role::ComplianceOfficer),
            (Role::Billing, Role::ComplianceOfficer),
        ])
    }
}

impl ExclusiveRoles {
    /// Reads configuration entries such as `"billing+compliance_officer"`. Spaces around the
    /// role names are ignored; anything else unexpected is refused rather than skipped, so a
    /// typo cannot silently drop a rule.
    pub fn parse_pairs(pairs: &[String]) -> Result<ExclusiveRoles, PolicyProblem> {
        let mut out = Vec::with_capacity(pairs.len());
        for text in pairs {
            let malformed = || PolicyProblem::MalformedPair { text: text.clone() };
            let (a, b) = text.split_once('+').ok_or_else(malformed)?;
            if b.contains('+') {
                return Err(malformed());
            }
            let a = parse_role(a)?;
            let b = parse_role(b)?;
            if a == b {
                return Err(PolicyProblem::PairWithItself { role: a });
            }
            out.push((a, b));
        }
        Ok(ExclusiveRoles(out))
    }

    /// Whether a person who holds `current` may also be given `adding`.
    pub fn check_assignment(&self, current: &[Role], adding: Role) -> Result<(), PolicyProblem> {
        for &(a, b) in &self.0 {
            let held = if adding == a {
                b
            } else if adding == b {
                a
            } else {
                continue;
            };
            if current.contains(&held) {
                return Err(PolicyProblem::ExclusiveRoles { held, adding });
            }
        }
        Ok(())
    }

    pub(crate) fn pairs(&self) -> &[(Role, Role)] {
        &self.0
    }
}

fn parse_role(text: &str) -> Result<Role, PolicyProblem> {
    let text = text.trim();
    Role::parse(text).ok_or_else(|| PolicyProblem::UnknownRole {
        text: text.to_owned(),
    })
}
