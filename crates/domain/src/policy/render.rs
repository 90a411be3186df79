//! The policy as a page a practice manager can read, print and sign off.
//!
//! One table per role: the question people ask is "what can the front desk do?", when hiring,
//! training or answering an auditor, far more often than "who can see imaging?".

use std::fmt::Write;

use super::{Action, Category, ExclusiveRoles, Policy, Role};

const ALLOWED: &str = "✓";
const DENIED: &str = "—";
const LOCKED: &str = "🔒";

/// Renders `policy` as Markdown: a legend, one table per staff role, and the fixed rules in
/// words.
pub fn render_markdown(policy: &Policy) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail; the Result only exists for other writers.
    let _ = write_page(&mut out, policy);
    out
}

fn write_page(out: &mut String, policy: &Policy) -> std::fmt::Result {
    writeln!(out, "# Who may do what")?;
    writeln!(out)?;
    writeln!(
        out,
        "What each staff role may do with each kind of information. A person who holds several \
         roles may do everything any of their roles allows."
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "Patients and proxies are not in these tables: the patient portal shows each of them \
         only their own records, or those of the person they are a proxy for."
    )?;
    writeln!(out)?;
    let clinicians = join_labels(Role::STAFF.iter().copied().filter(|r| r.is_clinician()));
    writeln!(
        out,
        "Only clinicians ({clinicians}) may use emergency (\"break-glass\") access to a record \
         the table would not open for them, and every such access must be recorded in the audit \
         log as emergency access, for the compliance officer to review."
    )?;
    writeln!(out)?;

    writeln!(out, "## How to read the tables")?;
    writeln!(out)?;
    writeln!(out, "- {ALLOWED} allowed")?;
    writeln!(out, "- {DENIED} not allowed; the practice may change this")?;
    writeln!(
        out,
        "- {LOCKED} never allowed, and cannot be changed (see the rules below)"
    )?;
    writeln!(out)?;
    writeln!(out, "The actions:")?;
    writeln!(out)?;
    for &action in Action::ALL {
        writeln!(out, "- **{}**: {}", action.label(), describe(action))?;
    }
    writeln!(out)?;

    for &role in Role::STAFF {
        writeln!(out, "## {}", role.label())?;
        writeln!(out)?;
        write!(out, "| Information |")?;
        for &action in Action::ALL {
            write!(out, " {} |", action.label())?;
        }
        writeln!(out)?;
        write!(out, "|---|")?;
        for _ in Action::ALL {
            write!(out, ":-:|")?;
        }
        writeln!(out)?;
        for &category in Category::ALL {
            write!(out, "| {} |", category.label())?;
            for &action in Action::ALL {
                write!(out, " {} |", mark(policy, role, category, action))?;
            }
            writeln!(out)?;
        }
        writeln!(out)?;
    }

    writeln!(out, "## Rules that cannot be changed")?;
    writeln!(out)?;
    writeln!(
        out,
        "- **The audit log is append-only.** Enamel writes an entry for every access and change; \
         nobody, in any role, may create, edit or delete its entries."
    )?;
    writeln!(
        out,
        "- **Separation of duties.** No role may both manage users & roles (create, edit or \
         delete accounts and permissions) and use the audit log in any way, because whoever \
         manages accounts could otherwise grant themselves access and then read or hide the \
         record of it. Enamel refuses any change to this table that would combine the two. The \
         rule also holds for people: nobody is given a set of roles that together would combine \
         the two, and no change to this table may combine them for someone who already holds \
         several roles. The {} never has access to the audit log.",
        Role::PracticeAdministrator.label().to_lowercase()
    )?;
    writeln!(
        out,
        "- **The compliance officer reviews, and does not edit.** They may never create, edit \
         or delete patient information, so that their review stays independent."
    )?;
    writeln!(
        out,
        "- **Patients and proxies** are never given anything by this table; the portal decides \
         by whose record it is."
    )?;
    writeln!(out)?;

    writeln!(out, "## Roles one person may not hold together")?;
    writeln!(out)?;
    writeln!(
        out,
        "The practice configures which pairs of roles cannot be given to the same person. By \
         default:"
    )?;
    writeln!(out)?;
    for (a, b) in ExclusiveRoles::default().pairs() {
        writeln!(out, "- {} and {}", a.label(), b.label())?;
    }
    Ok(())
}

fn mark(policy: &Policy, role: Role, category: Category, action: Action) -> &'static str {
    if Policy::is_locked(role, category, action) {
        LOCKED
    } else if policy.allows(role, category, action) {
        ALLOWED
    } else {
        DENIED
    }
}

fn describe(action: Action) -> &'static str {
    match action {
        Action::View => "see it on screen, including in search results.",
        Action::Create => "add a new entry.",
        Action::Edit => "change an existing entry.",
        Action::Delete => "remove an entry.",
        Action::Export => "download it as a file or copy it out of Enamel.",
        Action::Print => "print it on paper.",
        Action::Disclose => {
            "send it outside the practice (to an insurer, another provider, a laboratory), \
             recorded as a disclosure."
        }
    }
}

fn join_labels(roles: impl Iterator<Item = Role>) -> String {
    roles
        .map(|r| r.label().to_lowercase())
        .collect::<Vec<_>>()
        .join(", ")
}
