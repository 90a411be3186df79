use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The form names and other text take before blind indexing, so that the spellings a person
/// would consider "the same" produce the same token: accents, case, compatibility forms
/// (full-width letters, ligatures) and extra whitespace are ignored.
///
/// Letters without a decomposition keep their identity (`Ł` becomes `ł`, not `l`), and scripts
/// without case, such as CJK, pass through unchanged.
pub fn normalize_for_search(text: &str) -> String {
    let stripped: String = text.nfkd().filter(|c| !is_combining_mark(*c)).collect();
    // Lowercasing can itself produce combining marks (`İ` → `i` + U+0307), hence a second pass.
    let lowered = stripped.to_lowercase();
    let folded: String = lowered.nfkd().filter(|c| !is_combining_mark(*c)).collect();
    let mut out = String::with_capacity(folded.len());
    for word in folded.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn examples() {
        let cases = [
            ("  José  O'Brien ", "jose o'brien"),
            ("jose o'brien", "jose o'brien"),
            ("Zoë", "zoe"),
            ("ZOË", "zoe"),
            ("Zoe\u{0308}", "zoe"),
            ("Łukasz", "łukasz"),
            ("Müller-Lüdenscheidt", "muller-ludenscheidt"),
            ("İstanbul", "istanbul"),
            ("Ｊｏｈｎ", "john"),
            ("ﬁnn", "finn"),
            ("\tAnne\n\u{00a0}Marie\r\n", "anne marie"),
            ("山田 太郎", "山田 太郎"),
            ("Ñoño", "nono"),
            ("", ""),
            ("   ", ""),
        ];
        for (input, expected) in cases {
            assert_eq!(normalize_for_search(input), expected, "input {input:?}");
        }
    }

    proptest! {
        #[test]
        fn idempotent_and_tidy(s in "\\PC{0,24}") {
            let once = normalize_for_search(&s);
            prop_assert_eq!(normalize_for_search(&once), once.clone());
            prop_assert!(!once.starts_with(' ') && !once.ends_with(' '));
            prop_assert!(!once.contains("  "));
        }
    }
}
