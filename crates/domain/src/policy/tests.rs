#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::defaults::{ACTION_LETTERS, DEFAULT_TABLE};
use super::*;

use Action::{Create, Delete, Disclose, Edit, Export, Print, View};

fn default() -> Policy {
    Policy::dental_office_default()
}

/// Every (role, category, action), portal roles included.
fn every_cell() -> impl Iterator<Item = (Role, Category, Action)> {
    Role::ALL.iter().flat_map(|&r| {
        Category::ALL
            .iter()
            .flat_map(move |&c| Action::ALL.iter().map(move |&a| (r, c, a)))
    })
}

// --- vocabulary ---------------------------------------------------------------------------

#[test]
fn every_text_parses_back() {
    for r in Role::ALL {
        assert_eq!(Role::parse(r.as_str()), Some(*r));
        assert_eq!(r.to_string(), r.as_str());
    }
    for c in Category::ALL {
        assert_eq!(Category::parse(c.as_str()), Some(*c));
    }
    for a in Action::ALL {
        assert_eq!(Action::parse(a.as_str()), Some(*a));
    }
    assert_eq!(Role::parse("Front desk"), None);
    assert_eq!(Role::parse("FRONT_DESK"), None);
    assert_eq!(Category::parse("users_and_roles"), None);
    assert_eq!(Action::parse(""), None);
}

#[test]
fn stored_texts_are_the_declared_ones() {
    // The text is a stored contract; pin it so a careless rename fails here.
    let roles: Vec<_> = Role::ALL.iter().map(|r| r.as_str()).collect();
    assert_eq!(
        roles,
        [
            "dentist",
            "hygienist",
            "dental_assistant",
            "front_desk",
            "office_manager",
            "billing",
            "compliance_officer",
            "practice_administrator",
            "patient",
            "proxy"
        ]
    );
    let categories: Vec<_> = Category::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(
        categories,
        [
            "demographics",
            "contact",
            "insurance",
            "schedule",
            "clinical_notes",
            "charting",
            "treatment_plans",
            "imaging",
            "billing",
            "messages",
            "audit_log",
            "users_roles",
            "practice_settings"
        ]
    );
    let actions: Vec<_> = Action::ALL.iter().map(|a| a.as_str()).collect();
    assert_eq!(
        actions,
        [
            "view", "create", "edit", "delete", "export", "print", "disclose"
        ]
    );
}

#[test]
fn labels_are_plain_words_and_distinct() {
    assert_eq!(Role::FrontDesk.label(), "Front desk");
    assert_eq!(
        Role::PracticeAdministrator.label(),
        "Practice administrator"
    );
    assert_eq!(
        Category::ClinicalNotes.label(),
        "Clinical notes & diagnoses"
    );
    assert_eq!(Category::Charting.label(), "Charting & procedures");
    assert_eq!(Category::Billing.label(), "Billing & payments");
    assert_eq!(Category::UsersAndRoles.label(), "Users & roles");
    assert_eq!(Action::Disclose.label(), "Disclose");
    let mut labels: Vec<_> = Role::ALL.iter().map(|r| r.label()).collect();
    labels.sort_unstable();
    labels.dedup();
    assert_eq!(labels.len(), Role::ALL.len());
    let mut labels: Vec<_> = Category::ALL.iter().map(|c| c.label()).collect();
    labels.sort_unstable();
    labels.dedup();
    assert_eq!(labels.len(), Category::ALL.len());
    for l in Role::ALL.iter().map(|r| r.label()) {
        assert!(!l.contains('_'), "{l}");
    }
}

#[test]
fn staff_and_clinicians() {
    let staff: Vec<_> = Role::ALL.iter().copied().filter(|r| r.is_staff()).collect();
    assert_eq!(staff, Role::STAFF);
    assert!(!Role::Patient.is_staff());
    assert!(!Role::Proxy.is_staff());
    let clinicians: Vec<_> = Role::ALL
        .iter()
        .copied()
        .filter(|r| r.is_clinician())
        .collect();
    assert_eq!(
        clinicians,
        [Role::Dentist, Role::Hygienist, Role::DentalAssistant]
    );
    // The matrix row is the discriminant: staff must be declared first, in STAFF order.
    for (i, r) in Role::STAFF.iter().enumerate() {
        assert_eq!(staff_index(*r), Some(i));
    }
    assert_eq!(staff_index(Role::Patient), None);
    assert_eq!(staff_index(Role::Proxy), None);
}

#[test]
fn patient_record_categories_are_the_first_ten() {
    for (i, c) in Category::ALL.iter().enumerate() {
        assert_eq!(c.is_patient_record(), i < 10, "{c}");
    }
}

// --- the default table --------------------------------------------------------------------

#[test]
fn table_is_well_formed() {
    let mut seen: Vec<Category> = DEFAULT_TABLE.iter().map(|(c, _)| *c).collect();
    assert_eq!(
        seen,
        Category::ALL,
        "one row per category, in declaration order"
    );
    seen.dedup();
    assert_eq!(seen.len(), Category::ALL.len());
    assert_eq!(ACTION_LETTERS.len(), Action::ALL.len());
    for (category, row) in DEFAULT_TABLE {
        for cell in row {
            assert_eq!(cell.len(), Action::ALL.len(), "{category}: {cell:?}");
            for (i, b) in cell.bytes().enumerate() {
                assert!(
                    b == b'.' || b == ACTION_LETTERS[i],
                    "{category}: {cell:?} has {:?} in the {} column",
                    b as char,
                    Action::ALL[i]
                );
            }
        }
    }
}

#[test]
fn allows_agrees_with_the_table_for_every_cell() {
    let policy = default();
    let mut checked = 0;
    for (role, category, action) in every_cell() {
        let expected = match Role::STAFF.iter().position(|r| *r == role) {
            None => false,
            Some(col) => {
                let (_, row) = DEFAULT_TABLE.iter().find(|(c, _)| *c == category).unwrap();
                let a = Action::ALL.iter().position(|a| *a == action).unwrap();
                row[col].as_bytes()[a] != b'.'
            }
        };
        assert_eq!(
            policy.allows(role, category, action),
            expected,
            "{role} {category} {action}"
        );
        checked += 1;
    }
    assert_eq!(checked, 10 * 13 * 7);
}

#[test]
fn default_respects_its_own_rules() {
    let policy = default();
    for (role, category, action) in every_cell() {
        if Policy::is_locked(role, category, action) {
            assert!(
                !policy.allows(role, category, action),
                "{role} {category} {action}"
            );
        }
    }
    assert_eq!(Policy::with_overrides(&[]), Ok(default()));
    assert!(default().differences_from_default().is_empty());
}

fn can(role: Role, category: Category, actions: &[Action]) -> bool {
    actions.iter().all(|a| default().allows(role, category, *a))
}

fn cannot(role: Role, category: Category, actions: &[Action]) -> bool {
    actions
        .iter()
        .all(|a| !default().allows(role, category, *a))
}

const ALL_ACTIONS: &[Action] = &[View, Create, Edit, Delete, Export, Print, Disclose];

#[test]
fn dentist_defaults() {
    for &c in Category::ALL.iter().filter(|c| c.is_patient_record()) {
        assert!(
            can(
                Role::Dentist,
                c,
                &[View, Create, Edit, Export, Print, Disclose]
            ),
            "{c}"
        );
        // Charting's delete is the lock override (striking locked work as entered in
        // error); nothing a dentist charts is ever erased.
        assert_eq!(
            default().allows(Role::Dentist, c, Delete),
            c == Category::Schedule || c == Category::Charting,
            "{c}"
        );
    }
    for c in [
        Category::AuditLog,
        Category::UsersAndRoles,
        Category::PracticeSettings,
    ] {
        assert!(cannot(Role::Dentist, c, ALL_ACTIONS), "{c}");
    }
}

#[test]
fn hygienist_and_assistant_defaults() {
    let h = Role::Hygienist;
    assert!(cannot(h, Category::Billing, ALL_ACTIONS));
    assert!(can(h, Category::Demographics, &[View]));
    assert!(cannot(h, Category::Demographics, &[Edit]));
    assert!(can(h, Category::Schedule, &[View, Create, Edit]));
    for c in [
        Category::ClinicalNotes,
        Category::Charting,
        Category::TreatmentPlans,
        Category::Imaging,
    ] {
        assert!(can(h, c, &[View, Create, Edit, Print]), "{c}");
        assert!(cannot(h, c, &[Delete, Export, Disclose]), "{c}");
    }
    let a = Role::DentalAssistant;
    assert!(cannot(a, Category::Billing, ALL_ACTIONS));
    assert!(can(a, Category::ClinicalNotes, &[View, Create]));
    assert!(cannot(a, Category::ClinicalNotes, &[Edit]));
    assert!(can(a, Category::TreatmentPlans, &[View]));
    assert!(cannot(a, Category::TreatmentPlans, &[Create, Edit]));
    assert!(can(a, Category::Imaging, &[View, Create, Edit]));
}

#[test]
fn front_desk_cannot_see_clinical_information() {
    let f = Role::FrontDesk;
    for c in [
        Category::ClinicalNotes,
        Category::Charting,
        Category::TreatmentPlans,
        Category::Imaging,
    ] {
        assert!(cannot(f, c, ALL_ACTIONS), "{c}");
    }
    assert!(can(f, Category::Billing, &[View]), "collects co-pays");
    assert!(cannot(
        f,
        Category::Billing,
        &[Create, Edit, Delete, Export, Disclose]
    ));
    assert!(can(
        f,
        Category::Schedule,
        &[View, Create, Edit, Delete, Print]
    ));
    assert!(cannot(f, Category::Schedule, &[Export, Disclose]));
    assert!(can(f, Category::Insurance, &[View, Create, Edit, Print]));
    assert!(can(f, Category::Messages, &[View, Create]));
}

#[test]
fn billing_sees_money_not_clinical_detail() {
    let b = Role::Billing;
    for c in [
        Category::ClinicalNotes,
        Category::Charting,
        Category::Imaging,
    ] {
        assert!(cannot(b, c, ALL_ACTIONS), "{c}");
    }
    assert!(can(b, Category::TreatmentPlans, &[View]));
    assert!(cannot(
        b,
        Category::TreatmentPlans,
        &[Create, Edit, Export, Disclose]
    ));
    for c in [Category::Insurance, Category::Billing] {
        assert!(
            can(b, c, &[View, Create, Edit, Export, Print, Disclose]),
            "{c}"
        );
        assert!(cannot(b, c, &[Delete]), "{c}");
    }
    assert!(can(b, Category::Schedule, &[View]));
    assert!(cannot(b, Category::Schedule, &[Create]));
}

#[test]
fn office_manager_defaults() {
    let m = Role::OfficeManager;
    for c in [
        Category::Demographics,
        Category::Contact,
        Category::Insurance,
        Category::Billing,
    ] {
        assert!(
            can(m, c, &[View, Create, Edit, Export, Print, Disclose]),
            "{c}"
        );
        assert!(cannot(m, c, &[Delete]), "{c}");
    }
    for c in [
        Category::ClinicalNotes,
        Category::Charting,
        Category::Imaging,
    ] {
        assert!(cannot(m, c, ALL_ACTIONS), "{c}");
    }
    assert!(can(m, Category::PracticeSettings, &[View, Edit]));
    assert!(can(m, Category::UsersAndRoles, &[View]));
    assert!(cannot(m, Category::UsersAndRoles, &[Create, Edit, Delete]));
    assert!(cannot(m, Category::AuditLog, ALL_ACTIONS));
}

#[test]
fn compliance_officer_reviews_and_never_edits() {
    let c = Role::ComplianceOfficer;
    assert!(can(c, Category::AuditLog, &[View, Export, Print]));
    assert!(cannot(c, Category::Demographics, &[Edit]));
    assert!(can(c, Category::Demographics, &[View]));
    for &cat in Category::ALL {
        assert!(cannot(c, cat, &[Create, Edit, Delete]), "{cat}");
    }
    assert!(cannot(c, Category::ClinicalNotes, ALL_ACTIONS));
}

#[test]
fn practice_administrator_runs_accounts_but_cannot_see_the_audit_log() {
    let p = Role::PracticeAdministrator;
    assert!(cannot(p, Category::AuditLog, ALL_ACTIONS));
    assert!(can(p, Category::UsersAndRoles, ALL_ACTIONS));
    assert!(can(p, Category::PracticeSettings, ALL_ACTIONS));
    assert!(can(p, Category::Demographics, &[View]));
    assert!(cannot(p, Category::Demographics, &[Edit]));
    assert!(cannot(p, Category::ClinicalNotes, ALL_ACTIONS));
}

#[test]
fn portal_roles_are_never_allowed_and_cannot_be_granted() {
    let mut policy = default();
    for role in [Role::Patient, Role::Proxy] {
        for (r, category, action) in every_cell().filter(|(r, _, _)| *r == role) {
            assert!(Policy::is_locked(r, category, action));
            assert!(matches!(
                policy.set(r, category, action, true),
                Err(PolicyProblem::Locked { .. })
            ));
            assert!(!policy.allows(r, category, action));
        }
    }
    assert!(!policy.allows_any(&[Role::Patient, Role::Proxy], Category::Demographics, View));
    assert_eq!(policy, default());
}

#[test]
fn allows_any_adds_up_roles() {
    let policy = default();
    assert!(policy.allows_any(
        &[Role::FrontDesk, Role::Billing],
        Category::Insurance,
        Disclose
    ));
    assert!(!policy.allows_any(&[Role::FrontDesk], Category::Insurance, Disclose));
    assert!(!policy.allows_any(&[], Category::Demographics, View));
    assert!(policy.allows_any(&[Role::Patient, Role::Dentist], Category::Imaging, View));
}

// --- changing the policy ------------------------------------------------------------------

#[test]
fn locked_cells_are_refused() {
    let mut policy = default();
    for role in Role::STAFF.iter().copied() {
        for action in [Create, Edit, Delete] {
            let refused = policy.set(role, Category::AuditLog, action, true);
            assert!(
                matches!(refused, Err(PolicyProblem::Locked { .. })),
                "{role} {action}"
            );
        }
    }
    for &action in Action::ALL {
        assert!(Policy::is_locked(
            Role::PracticeAdministrator,
            Category::AuditLog,
            action
        ));
        assert!(
            policy
                .set(
                    Role::PracticeAdministrator,
                    Category::AuditLog,
                    action,
                    true
                )
                .is_err()
        );
    }
    for &category in Category::ALL.iter().filter(|c| c.is_patient_record()) {
        for action in [Create, Edit, Delete] {
            assert!(Policy::is_locked(Role::ComplianceOfficer, category, action));
        }
        assert!(!Policy::is_locked(Role::ComplianceOfficer, category, View));
    }
    // Even setting a locked cell to its only possible value is refused: it is not configurable.
    assert!(
        policy
            .set(Role::Dentist, Category::AuditLog, Delete, false)
            .is_err()
    );
    assert_eq!(policy, default(), "refusals change nothing");

    // Cells the practice may choose are not locked.
    assert!(!Policy::is_locked(
        Role::OfficeManager,
        Category::AuditLog,
        View
    ));
    assert!(!Policy::is_locked(
        Role::ComplianceOfficer,
        Category::UsersAndRoles,
        Edit
    ));
    assert!(!Policy::is_locked(
        Role::FrontDesk,
        Category::ClinicalNotes,
        View
    ));

    let message = policy
        .set(Role::ComplianceOfficer, Category::Demographics, Edit, true)
        .unwrap_err()
        .to_string();
    assert_eq!(
        message,
        "Compliance officer: “Edit” on “Demographics” cannot be changed. The compliance officer \
         reviews patient records and does not change them, so that the review stays independent."
    );
}

#[test]
fn unlocked_cells_change_both_ways() {
    let mut policy = default();
    policy
        .set(Role::FrontDesk, Category::ClinicalNotes, View, true)
        .unwrap();
    assert!(policy.allows(Role::FrontDesk, Category::ClinicalNotes, View));
    policy
        .set(Role::Dentist, Category::Imaging, Export, false)
        .unwrap();
    assert!(!policy.allows(Role::Dentist, Category::Imaging, Export));
    // Neighbouring cells are untouched.
    assert!(policy.allows(Role::Dentist, Category::Imaging, View));
    assert!(!policy.allows(Role::FrontDesk, Category::ClinicalNotes, Edit));
    assert!(!policy.allows(Role::Hygienist, Category::ClinicalNotes, Export));
}

#[test]
fn audit_access_refused_to_a_role_that_administers_users() {
    let mut policy = default();
    policy
        .set(Role::OfficeManager, Category::UsersAndRoles, Edit, true)
        .unwrap();
    let refused = policy.set(Role::OfficeManager, Category::AuditLog, View, true);
    assert_eq!(
        refused,
        Err(PolicyProblem::SeparationOfDuties {
            role: Role::OfficeManager,
            user_admin: Edit,
            audit: View,
        })
    );
    assert!(!policy.allows(Role::OfficeManager, Category::AuditLog, View));
    assert_eq!(
        refused.unwrap_err().to_string(),
        "Office manager cannot both edit users & roles and view the audit log: whoever manages \
         user accounts must not also be able to see or change the record of what was done with \
         them."
    );
}

#[test]
fn user_administration_refused_to_a_role_that_sees_the_audit_log() {
    let mut policy = default();
    for action in [Create, Edit, Delete] {
        let refused = policy.set(
            Role::ComplianceOfficer,
            Category::UsersAndRoles,
            action,
            true,
        );
        assert!(
            matches!(
                refused,
                Err(PolicyProblem::SeparationOfDuties {
                    role: Role::ComplianceOfficer,
                    ..
                })
            ),
            "{action}: {refused:?}"
        );
    }
    assert_eq!(policy, default());
    // Viewing the list of users is not administering it.
    policy
        .set(Role::OfficeManager, Category::AuditLog, View, true)
        .unwrap();
    policy
        .set(Role::OfficeManager, Category::UsersAndRoles, View, true)
        .unwrap();
    // Once the role no longer sees the audit log, the grant is allowed.
    for action in [View, Export, Print] {
        policy
            .set(Role::ComplianceOfficer, Category::AuditLog, action, false)
            .unwrap();
    }
    policy
        .set(Role::ComplianceOfficer, Category::UsersAndRoles, Edit, true)
        .unwrap();
}

#[test]
fn overrides_round_trip() {
    let mut policy = default();
    policy
        .set(Role::FrontDesk, Category::TreatmentPlans, View, true)
        .unwrap();
    policy
        .set(Role::Hygienist, Category::Insurance, View, true)
        .unwrap();
    policy
        .set(Role::Dentist, Category::Messages, Disclose, false)
        .unwrap();
    policy
        .set(Role::OfficeManager, Category::AuditLog, View, true)
        .unwrap();
    // A cell changed and changed back is not a difference.
    policy
        .set(Role::Billing, Category::Schedule, View, false)
        .unwrap();
    policy
        .set(Role::Billing, Category::Schedule, View, true)
        .unwrap();

    let stored = policy.differences_from_default();
    assert_eq!(
        stored,
        [
            PolicyCell {
                role: Role::Dentist,
                category: Category::Messages,
                action: Disclose,
                allowed: false
            },
            PolicyCell {
                role: Role::Hygienist,
                category: Category::Insurance,
                action: View,
                allowed: true
            },
            PolicyCell {
                role: Role::FrontDesk,
                category: Category::TreatmentPlans,
                action: View,
                allowed: true
            },
            PolicyCell {
                role: Role::OfficeManager,
                category: Category::AuditLog,
                action: View,
                allowed: true
            },
        ]
    );
    assert_eq!(Policy::with_overrides(&stored), Ok(policy.clone()));
    let mut reversed = stored.clone();
    reversed.reverse();
    assert_eq!(Policy::with_overrides(&reversed), Ok(policy));
}

#[test]
fn overrides_are_checked_as_a_whole() {
    let grant_users = PolicyCell {
        role: Role::ComplianceOfficer,
        category: Category::UsersAndRoles,
        action: Create,
        allowed: true,
    };
    // Alone, it conflicts with the compliance officer's audit access.
    assert!(matches!(
        Policy::with_overrides(&[grant_users]),
        Err(PolicyProblem::SeparationOfDuties { .. })
    ));
    // With the audit access revoked in the same set, in any order, it is fine.
    let mut overrides = vec![grant_users];
    for action in [View, Export, Print] {
        overrides.push(PolicyCell {
            role: Role::ComplianceOfficer,
            category: Category::AuditLog,
            action,
            allowed: false,
        });
    }
    let policy = Policy::with_overrides(&overrides).unwrap();
    assert!(policy.allows(Role::ComplianceOfficer, Category::UsersAndRoles, Create));
    overrides.reverse();
    assert_eq!(Policy::with_overrides(&overrides), Ok(policy.clone()));
    assert_eq!(
        Policy::with_overrides(&policy.differences_from_default()),
        Ok(policy)
    );

    let locked = PolicyCell {
        role: Role::Billing,
        category: Category::AuditLog,
        action: Delete,
        allowed: true,
    };
    assert!(matches!(
        Policy::with_overrides(&[locked]),
        Err(PolicyProblem::Locked { .. })
    ));
}

// --- exclusive roles ----------------------------------------------------------------------

#[test]
fn default_exclusive_roles() {
    let rules = ExclusiveRoles::default();
    for (held, adding) in [
        (Role::PracticeAdministrator, Role::ComplianceOfficer),
        (Role::ComplianceOfficer, Role::PracticeAdministrator),
        (Role::Billing, Role::ComplianceOfficer),
        (Role::ComplianceOfficer, Role::Billing),
    ] {
        assert_eq!(
            rules.check_assignment(&[Role::Dentist, held], adding),
            Err(PolicyProblem::ExclusiveRoles { held, adding })
        );
    }
    assert_eq!(
        rules.check_assignment(&[Role::Dentist, Role::OfficeManager], Role::Billing),
        Ok(())
    );
    assert_eq!(rules.check_assignment(&[], Role::ComplianceOfficer), Ok(()));
    assert_eq!(
        rules.check_assignment(
            &[Role::Billing, Role::PracticeAdministrator],
            Role::OfficeManager
        ),
        Ok(())
    );
}

#[test]
fn configured_exclusive_roles() {
    let rules = ExclusiveRoles::parse_pairs(&[
        "front_desk+compliance_officer".to_owned(),
        " billing + office_manager ".to_owned(),
    ])
    .unwrap();
    let refused = rules.check_assignment(&[Role::FrontDesk], Role::ComplianceOfficer);
    assert_eq!(
        refused.unwrap_err().to_string(),
        "Front desk and Compliance officer cannot be held by the same person in this practice."
    );
    assert!(
        rules
            .check_assignment(&[Role::OfficeManager], Role::Billing)
            .is_err()
    );
    // Only the configured pairs apply, not the defaults.
    assert!(
        rules
            .check_assignment(&[Role::PracticeAdministrator], Role::ComplianceOfficer)
            .is_ok()
    );
    assert!(ExclusiveRoles::parse_pairs(&[]).unwrap().pairs().is_empty());

    let problem = |s: &str| ExclusiveRoles::parse_pairs(&[s.to_owned()]).unwrap_err();
    assert_eq!(
        problem("billing"),
        PolicyProblem::MalformedPair {
            text: "billing".into()
        }
    );
    assert!(matches!(
        problem("billing+dentist+proxy"),
        PolicyProblem::MalformedPair { .. }
    ));
    assert_eq!(
        problem("billing+janitor"),
        PolicyProblem::UnknownRole {
            text: "janitor".into()
        }
    );
    assert!(matches!(
        problem("+billing"),
        PolicyProblem::UnknownRole { .. }
    ));
    assert_eq!(
        problem("billing+billing"),
        PolicyProblem::PairWithItself {
            role: Role::Billing
        }
    );
    assert_eq!(
        problem("Billing+dentist").to_string(),
        "“Billing” is not a role. Roles are written like front_desk or compliance_officer."
    );
}

// --- the rendered page --------------------------------------------------------------------

#[test]
fn rendered_page_marks_cells() {
    let page = render_markdown(&default());
    for role in Role::STAFF {
        assert!(page.contains(&format!("\n## {}\n", role.label())), "{role}");
    }
    assert!(!page.contains("## Patient\n"));
    let admin = section(&page, "## Practice administrator");
    assert!(
        admin.contains("| Audit log | 🔒 | 🔒 | 🔒 | 🔒 | 🔒 | 🔒 | 🔒 |"),
        "{admin}"
    );
    assert!(
        admin.contains("| Users & roles | ✓ | ✓ | ✓ | ✓ | ✓ | ✓ | ✓ |"),
        "{admin}"
    );
    let front = section(&page, "## Front desk");
    assert!(
        front.contains("| Clinical notes & diagnoses | — | — | — | — | — | — | — |"),
        "{front}"
    );
    assert!(
        front.contains("| Audit log | — | 🔒 | 🔒 | 🔒 | — | — | — |"),
        "{front}"
    );
    assert!(page.contains("Separation of duties"));
    assert!(page.contains("- Billing and Compliance officer"));

    let mut changed = default();
    changed
        .set(Role::FrontDesk, Category::ClinicalNotes, View, true)
        .unwrap();
    let page = render_markdown(&changed);
    let front = section(&page, "## Front desk");
    assert!(
        front.contains("| Clinical notes & diagnoses | ✓ | — |"),
        "{front}"
    );
}

fn section<'a>(page: &'a str, heading: &str) -> &'a str {
    let start = page.find(heading).unwrap();
    let rest = &page[start + heading.len()..];
    &rest[..rest.find("\n## ").unwrap_or(rest.len())]
}

const DOC_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/access-policy.md");
const REGENERATE: &str = "ENAMEL_BLESS=1 cargo test -p enamel-domain access_policy_doc";

/// The committed page is the default policy's rendering; this keeps the two from drifting.
#[test]
fn access_policy_doc_is_current() {
    let expected = format!(
        "<!-- Generated from Policy::dental_office_default() by render_markdown. Do not edit: \
         regenerate with `{REGENERATE}`. -->\n\n{}",
        render_markdown(&default())
    );
    if std::env::var_os("ENAMEL_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(DOC_PATH, &expected).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(DOC_PATH)
        .unwrap_or_default()
        .replace("\r\n", "\n");
    assert!(
        committed == expected,
        "docs/access-policy.md does not match the default policy. Regenerate it with:\n    {REGENERATE}\nthen review and commit the change."
    );
}

#[test]
fn m5_separation_of_duties_holds_for_the_roles_one_person_combines() {
    let mut policy = default();
    let person = [Role::PracticeAdministrator, Role::Dentist];
    assert_eq!(policy.person_duty_conflict(&person), None);
    policy
        .set(Role::Dentist, Category::AuditLog, View, true)
        .unwrap();
    let problem = policy.person_duty_conflict(&person).unwrap();
    assert_eq!(
        problem,
        PolicyProblem::PersonSeparationOfDuties {
            admin_role: Role::PracticeAdministrator,
            audit_role: Role::Dentist,
            user_admin: Create,
            audit: View,
        }
    );
    assert!(problem.to_string().starts_with(
        "One person cannot be both Practice administrator and Dentist while those roles together"
    ));
    // Either side alone is fine.
    assert_eq!(policy.person_duty_conflict(&[Role::Dentist]), None);
    assert_eq!(
        policy.person_duty_conflict(&[Role::PracticeAdministrator, Role::Hygienist]),
        None
    );
}
