//! serde's `rename_all` rules, applied to field names the way serde applies them.

/// One of serde's `rename_all` rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RenameRule {
    /// `lowercase`
    Lower,
    /// `UPPERCASE`
    Upper,
    /// `PascalCase`
    Pascal,
    /// `camelCase`
    Camel,
    /// `snake_case`
    Snake,
    /// `SCREAMING_SNAKE_CASE`
    ScreamingSnake,
    /// `kebab-case`
    Kebab,
    /// `SCREAMING-KEBAB-CASE`
    ScreamingKebab,
}

impl RenameRule {
    /// Every rule, with the name serde knows it by.
    const ALL: [(&'static str, RenameRule); 8] = [
        ("lowercase", RenameRule::Lower),
        ("UPPERCASE", RenameRule::Upper),
        ("PascalCase", RenameRule::Pascal),
        ("camelCase", RenameRule::Camel),
        ("snake_case", RenameRule::Snake),
        ("SCREAMING_SNAKE_CASE", RenameRule::ScreamingSnake),
        ("kebab-case", RenameRule::Kebab),
        ("SCREAMING-KEBAB-CASE", RenameRule::ScreamingKebab),
    ];

    /// The rule serde calls `name`.
    pub(crate) fn from_name(name: &str) -> Option<RenameRule> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, r)| *r)
    }

    /// Applies the rule to a (snake_case) field name, exactly as serde's `apply_to_field` does.
    pub(crate) fn apply_to_field(self, field: &str) -> String {
        match self {
            RenameRule::Lower | RenameRule::Snake => field.to_owned(),
            RenameRule::Upper | RenameRule::ScreamingSnake => field.to_ascii_uppercase(),
            RenameRule::Pascal => {
                let mut pascal = String::with_capacity(field.len());
                let mut capitalize = true;
                for ch in field.chars() {
                    if ch == '_' {
                        capitalize = true;
                    } else if capitalize {
                        pascal.push(ch.to_ascii_uppercase());
                        capitalize = false;
                    } else {
                        pascal.push(ch);
                    }
                }
                pascal
            }
            RenameRule::Camel => {
                let pascal = RenameRule::Pascal.apply_to_field(field);
                match pascal.chars().next() {
                    Some(first) => {
                        first.to_ascii_lowercase().to_string() + &pascal[first.len_utf8()..]
                    }
                    None => pascal,
                }
            }
            RenameRule::Kebab => field.replace('_', "-"),
            RenameRule::ScreamingKebab => field.to_ascii_uppercase().replace('_', "-"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RenameRule;

    #[test]
    fn rules_match_serde() {
        let cases = [
            (
                "outcome", "outcome", "OUTCOME", "Outcome", "outcome", "outcome", "OUTCOME",
                "outcome", "OUTCOME",
            ),
            (
                "very_tasty",
                "very_tasty",
                "VERY_TASTY",
                "VeryTasty",
                "veryTasty",
                "very_tasty",
                "VERY_TASTY",
                "very-tasty",
                "VERY-TASTY",
            ),
            ("a", "a", "A", "A", "a", "a", "A", "a", "A"),
            (
                "z42", "z42", "Z42", "Z42", "z42", "z42", "Z42", "z42", "Z42",
            ),
        ];
        for (field, lower, upper, pascal, camel, snake, screaming, kebab, screaming_kebab) in cases
        {
            assert_eq!(RenameRule::Lower.apply_to_field(field), lower);
            assert_eq!(RenameRule::Upper.apply_to_field(field), upper);
            assert_eq!(RenameRule::Pascal.apply_to_field(field), pascal);
            assert_eq!(RenameRule::Camel.apply_to_field(field), camel);
            assert_eq!(RenameRule::Snake.apply_to_field(field), snake);
            assert_eq!(RenameRule::ScreamingSnake.apply_to_field(field), screaming);
            assert_eq!(RenameRule::Kebab.apply_to_field(field), kebab);
            assert_eq!(
                RenameRule::ScreamingKebab.apply_to_field(field),
                screaming_kebab
            );
        }
        assert_eq!(RenameRule::from_name("camelCase"), Some(RenameRule::Camel));
        assert_eq!(RenameRule::from_name("Camel"), None);
    }
}
