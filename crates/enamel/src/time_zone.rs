//! Which time zone a new practice gets: the one given with `--time-zone`, or this computer's
//! own zone when it has an IANA name, or UTC with a note saying so.

use anyhow::{Result, anyhow};
use enamel_domain::PracticeTz;

/// The zone for a new practice and, when it was not the one asked for, a line telling the
/// person what happened and how to change it.
pub fn choose(flag: Option<&str>, host: Option<&str>) -> Result<(PracticeTz, Option<String>)> {
    if let Some(name) = flag {
        return PracticeTz::parse(name).map(|tz| (tz, None)).map_err(|p| {
            anyhow!(
                "the time zone given with --time-zone ({name:?}) is not one Enamel knows. {}",
                p.problem
            )
        });
    }
    match host.map(PracticeTz::parse) {
        Some(Ok(tz)) => Ok((tz, None)),
        _ => Ok((
            PracticeTz::utc(),
            Some(
                "This computer's time zone has no IANA name, so the practice uses UTC. \
                 Set the office's zone with --time-zone (for example America/New_York), \
                 or later in Practice settings."
                    .into(),
            ),
        )),
    }
}

/// This computer's zone as an IANA name (from `TZ` or `/etc/localtime`), if it has one.
pub fn host_zone_name() -> Option<String> {
    let tz = jiff::tz::TimeZone::try_system().ok()?;
    tz.iana_name().map(str::to_string)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_flag_wins_and_a_bad_one_names_the_option() {
        let (tz, note) = choose(Some("Asia/Tokyo"), Some("Europe/Paris")).unwrap();
        assert_eq!(tz.name(), "Asia/Tokyo");
        assert!(note.is_none());
        let e = choose(Some("Mars/Olympus"), Some("Europe/Paris")).unwrap_err();
        let text = format!("{e:#}");
        assert!(text.contains("--time-zone"), "{text}");
        assert!(text.contains("America/New_York"), "{text}");
    }

    #[test]
    fn the_host_zone_is_the_default_and_utc_the_fallback() {
        let (tz, note) = choose(None, Some("Europe/Paris")).unwrap();
        assert_eq!(tz.name(), "Europe/Paris");
        assert!(note.is_none());
        for host in [None, Some("not a zone")] {
            let (tz, note) = choose(None, host).unwrap();
            assert_eq!(tz, PracticeTz::utc());
            assert!(note.unwrap().contains("--time-zone"));
        }
    }
}
