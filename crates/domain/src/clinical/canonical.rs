//! The byte strings a signature is bound to: deterministic and unambiguous, so two different
//! records can never encode alike and one record always encodes the same.
//!
//! Every encoding starts with a version tag (`enamel-plan-v1`); then, in a fixed order:
//! - text: its UTF-8 length as a `u32` big-endian, then the bytes;
//! - optional text: one byte, `0` for none or `1` followed by the text (so none and the empty
//!   text differ);
//! - integers: `i64` big-endian;
//! - a list: its length as a `u32` big-endian, then the items.
//!
//! The tag is written as text too, so a later version with another field order is told apart
//! by its first bytes.

/// Builds one canonical encoding.
#[derive(Default)]
pub(crate) struct Canonical(Vec<u8>);

impl std::fmt::Debug for Canonical {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Canonical { .. }")
    }
}

impl Canonical {
    pub(crate) fn new(tag: &str) -> Canonical {
        let mut c = Canonical(Vec::with_capacity(256));
        c.text(tag);
        c
    }

    pub(crate) fn text(&mut self, text: &str) -> &mut Canonical {
        self.count(text.len());
        self.0.extend_from_slice(text.as_bytes());
        self
    }

    pub(crate) fn optional_text(&mut self, text: Option<&str>) -> &mut Canonical {
        match text {
            None => self.0.push(0),
            Some(text) => {
                self.0.push(1);
                self.text(text);
            }
        }
        self
    }

    pub(crate) fn int(&mut self, value: i64) -> &mut Canonical {
        self.0.extend_from_slice(&value.to_be_bytes());
        self
    }

    /// A length. Everything encoded here is bounded far below 4 GiB by validation; a longer
    /// one saturates, which no validated record reaches.
    pub(crate) fn count(&mut self, n: usize) -> &mut Canonical {
        let n = u32::try_from(n).unwrap_or(u32::MAX);
        self.0.extend_from_slice(&n.to_be_bytes());
        self
    }

    pub(crate) fn finish(self) -> Vec<u8> {
        self.0
    }
}
