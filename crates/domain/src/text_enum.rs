//! `text_enum!`: a closed vocabulary whose values are stored and sent as fixed lowercase text.
//!
//! The text is the stable contract (it lands in the audit log, the database and configuration
//! files), so it is written out by hand instead of derived from the variant name: renaming a
//! variant must never silently change what was already stored.
//!
//! An optional `("Label")` after a variant's text adds `label()`, the plain words shown to
//! people, kept beside the text so the two cannot drift apart.

macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $text:literal ($label:literal)),+ $(,)? }) => {
        text_enum!($(#[$doc])* $name { $($variant => $text),+ });

        impl $name {
            /// Plain words for people: forms, reports and refusal messages.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }
        }
    };
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            pub fn parse(s: &str) -> Option<$name> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use text_enum;
