//! Names of the audit logs and how a checkpoint's origin names its log.
//!
//! Each practice has its own log, `practice:<id>`; entries without a practice go to `server`;
//! `legacy` is the single log of releases before per-practice logs, kept read-only. A checkpoint
//! signs `<origin>/<log>`, so a checkpoint of one log can never pass as another's.

/// The closed single log of older releases.
pub const LEGACY_LOG: &str = "legacy";
/// The log of entries that belong to no practice (sign-in probes, server jobs).
pub const SERVER_LOG: &str = "server";

/// The log of practice `practice_id`.
pub fn practice_log(practice_id: &str) -> String {
    format!("practice:{practice_id}")
}

/// The origin line of a checkpoint of `log` for the configured `base` origin.
pub fn log_origin(base: &str, log: &str) -> String {
    format!("{base}/{log}")
}

/// Whether a checkpoint origin names `log`. The legacy log's checkpoints signed before
/// per-practice logs carry the bare configured origin, so for `legacy` an origin naming no
/// other log also counts.
pub fn origin_names_log(origin: &str, log: &str) -> bool {
    let named = origin
        .strip_suffix(log)
        .is_some_and(|prefix| prefix.ends_with('/'));
    if named || log != LEGACY_LOG {
        return named;
    }
    let other = origin.ends_with(&format!("/{SERVER_LOG}"))
        || origin
            .rsplit('/')
            .next()
            .is_some_and(|last| last.starts_with("practice:"));
    !other
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_origin_names_exactly_its_log() {
        let a = log_origin("enamel", &practice_log("a"));
        assert!(origin_names_log(&a, "practice:a"));
        assert!(!origin_names_log(&a, "practice:b"));
        assert!(!origin_names_log(&a, "a"));
        assert!(!origin_names_log(&a, SERVER_LOG));
        assert!(!origin_names_log(&a, LEGACY_LOG));
        assert!(origin_names_log("enamel/server", SERVER_LOG));
        assert!(!origin_names_log("enamel/server", LEGACY_LOG));
        assert!(origin_names_log("enamel", LEGACY_LOG));
        assert!(origin_names_log("enamel/legacy", LEGACY_LOG));
        assert!(!origin_names_log("enamel", SERVER_LOG));
    }
}
