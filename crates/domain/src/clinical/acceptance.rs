//! A patient's (or their responsible party's) acceptance of a presented treatment plan, with
//! a typed or drawn signature.
//!
//! JSON: `{"accepted_by": "patient", "signer_name": "…", "channel": "in_office",
//! "signature": {"kind": "typed", "text": "…"}}`, or with
//! `"signature": {"kind": "drawn", "strokes": [[[x, y], [x, y], …], …]}`: whole-number
//! coordinates on a 0–1000 square canvas (the client scales its pad to it).

use serde::Deserialize;

use super::canonical::Canonical;
use super::fields::required_line;
use crate::patient::{FieldProblem, Problems, names};
use crate::text_enum::text_enum;

text_enum!(
    /// Who accepted the plan.
    AcceptedBy {
        Patient => "patient" ("Patient"),
        ResponsibleParty => "responsible_party" ("Responsible party"),
    }
);

text_enum!(
    /// Where the plan was accepted.
    AcceptanceChannel {
        InOffice => "in_office" ("In the office"),
        Portal => "portal" ("Patient portal"),
    }
);

pub const MAX_SIGNER_NAME_CHARS: usize = 200;
pub const MAX_SIGNATURE_TEXT_CHARS: usize = 200;
pub const MAX_SIGNATURE_STROKES: usize = 50;
/// Points across all the strokes of one drawn signature.
pub const MAX_SIGNATURE_POINTS: usize = 5_000;
/// A drawn signature's coordinates run from 0 to this on both axes.
pub const SIGNATURE_CANVAS: u16 = 1_000;

/// An acceptance as submitted.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptanceDraft {
    /// `patient` or `responsible_party`.
    pub accepted_by: String,
    pub signer_name: String,
    /// `in_office` or `portal`.
    pub channel: String,
    pub signature: SignatureDraft,
}

/// A signature as submitted, tagged by `kind`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SignatureDraft {
    /// The signer's name typed out.
    Typed { text: String },
    /// Pen strokes, each a list of `[x, y]` points.
    Drawn { strokes: Vec<Vec<Vec<i64>>> },
}

/// A validated acceptance.
#[derive(Clone, PartialEq, Eq)]
pub struct Acceptance {
    pub accepted_by: AcceptedBy,
    pub signer_name: String,
    pub channel: AcceptanceChannel,
    pub signature: Signature,
}

/// A validated signature.
#[derive(Clone, PartialEq, Eq)]
pub enum Signature {
    Typed(String),
    /// Strokes of `(x, y)` points, 0 to [`SIGNATURE_CANVAS`].
    Drawn(Vec<Vec<(u16, u16)>>),
}

redacted_debug!(AcceptanceDraft, SignatureDraft, Acceptance);

impl std::fmt::Debug for Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signature::{} {{ .. }}", self.kind())
    }
}

impl Signature {
    /// `typed` or `drawn`, as in the submitted `kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            Signature::Typed(_) => "typed",
            Signature::Drawn(_) => "drawn",
        }
    }

    /// The signature's deterministic encoding (see `canonical.rs`): the tag
    /// `enamel-signature-v1` and the kind; then the text, or the number of strokes and, for
    /// each, its number of points and each point's x and y.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut c = Canonical::new("enamel-signature-v1");
        c.text(self.kind());
        match self {
            Signature::Typed(text) => {
                c.text(text);
            }
            Signature::Drawn(strokes) => {
                c.count(strokes.len());
                for stroke in strokes {
                    c.count(stroke.len());
                    for (x, y) in stroke {
                        c.int(i64::from(*x)).int(i64::from(*y));
                    }
                }
            }
        }
        c.finish()
    }
}

impl AcceptanceDraft {
    /// Every problem at once, by field path (`signature.strokes[2][0]`).
    pub fn validate(&self) -> Result<Acceptance, Vec<FieldProblem>> {
        let mut p = Problems::default();
        let accepted_by = AcceptedBy::parse(&self.accepted_by.trim().to_ascii_lowercase());
        if accepted_by.is_none() {
            p.add("accepted_by", "must be patient or responsible_party");
        }
        let signer_name = names::required_name(&self.signer_name, "signer_name", &mut p);
        let channel = AcceptanceChannel::parse(&self.channel.trim().to_ascii_lowercase());
        if channel.is_none() {
            p.add("channel", "must be in_office or portal");
        }
        let signature = self.signature.validate(&mut p);
        match (accepted_by, signer_name, channel, signature) {
            (Some(accepted_by), Some(signer_name), Some(channel), Some(signature))
                if p.is_empty() =>
            {
                Ok(Acceptance {
                    accepted_by,
                    signer_name,
                    channel,
                    signature,
                })
            }
            _ => Err(p.into_vec()),
        }
    }
}

impl SignatureDraft {
    fn validate(&self, p: &mut Problems) -> Option<Signature> {
        match self {
            SignatureDraft::Typed { text } => {
                required_line(text, "signature.text", MAX_SIGNATURE_TEXT_CHARS, p)
                    .map(Signature::Typed)
            }
            SignatureDraft::Drawn { strokes } => drawn(strokes, p).map(Signature::Drawn),
        }
    }
}

fn drawn(strokes: &[Vec<Vec<i64>>], p: &mut Problems) -> Option<Vec<Vec<(u16, u16)>>> {
    let points: usize = strokes.iter().map(Vec::len).sum();
    if strokes.is_empty() {
        p.add("signature.strokes", "is empty: draw the signature");
        return None;
    }
    if strokes.len() > MAX_SIGNATURE_STROKES {
        p.add("signature.strokes", "at most 50 strokes");
        return None;
    }
    if points > MAX_SIGNATURE_POINTS {
        p.add("signature.strokes", "at most 5000 points in all");
        return None;
    }
    let mut out = Vec::with_capacity(strokes.len());
    let mut ok = true;
    for (i, stroke) in strokes.iter().enumerate() {
        if stroke.len() < 2 {
            p.add(
                format!("signature.strokes[{i}]"),
                "a stroke has at least 2 points",
            );
            ok = false;
            continue;
        }
        let mut line = Vec::with_capacity(stroke.len());
        for (j, point) in stroke.iter().enumerate() {
            match point.as_slice() {
                [x, y] => match (coordinate(*x), coordinate(*y)) {
                    (Some(x), Some(y)) => line.push((x, y)),
                    _ => {
                        p.add(
                            format!("signature.strokes[{i}][{j}]"),
                            "coordinates are whole numbers from 0 to 1000",
                        );
                        ok = false;
                        break; // one problem per stroke is enough to redraw it
                    }
                },
                _ => {
                    p.add(format!("signature.strokes[{i}][{j}]"), "a point is [x, y]");
                    ok = false;
                    break;
                }
            }
        }
        out.push(line);
    }
    ok.then_some(out)
}

fn coordinate(v: i64) -> Option<u16> {
    u16::try_from(v).ok().filter(|v| *v <= SIGNATURE_CANVAS)
}
