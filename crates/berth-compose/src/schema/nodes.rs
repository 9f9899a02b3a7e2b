//! The vocabulary the schema is written in: JSON types, name patterns, and schema nodes
//! (a small subset of JSON Schema, enough for the Compose Specification).

/// A set of JSON types (`"type": [...]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Ty(pub(super) u8);

impl Ty {
    pub const NULL: Ty = Ty(1);
    pub const BOOL: Ty = Ty(2);
    pub const INT: Ty = Ty(4);
    pub const NUM: Ty = Ty(8);
    pub const STR: Ty = Ty(16);
    pub const ARR: Ty = Ty(32);
    pub const OBJ: Ty = Ty(64);
    pub(super) const ALL: [(Ty, &'static str); 7] = [
        (Ty::NULL, "null"),
        (Ty::BOOL, "boolean"),
        (Ty::INT, "integer"),
        (Ty::NUM, "number"),
        (Ty::STR, "string"),
        (Ty::ARR, "array"),
        (Ty::OBJ, "object"),
    ];
    pub const fn or(self, o: Ty) -> Ty {
        Ty(self.0 | o.0)
    }
    pub fn contains(self, o: Ty) -> bool {
        self.0 & o.0 == o.0
    }
    pub(super) fn intersects(self, o: Ty) -> bool {
        self.0 & o.0 != 0
    }
    /// JSON-Schema type names, in a fixed order.
    pub fn names(self) -> Vec<&'static str> {
        Ty::ALL
            .iter()
            .filter(|(t, _)| self.contains(*t))
            .map(|(_, n)| *n)
            .collect()
    }
}

/// A key pattern of `patternProperties`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pat {
    /// `^x-`: extension keys.
    Ext,
    /// `^[a-zA-Z0-9._-]+$`: names of services, volumes, networks, secrets, configs.
    Name,
    /// `^[a-z]+$`: ulimit names.
    Lower,
    /// `^.+$`: any non-empty single-line key.
    NonEmptyLine,
    /// `.+` (unanchored): any key with at least one character other than a newline.
    NonEmpty,
}

impl Pat {
    pub fn regex(self) -> &'static str {
        match self {
            Pat::Ext => "^x-",
            Pat::Name => "^[a-zA-Z0-9._-]+$",
            Pat::Lower => "^[a-z]+$",
            Pat::NonEmptyLine => "^.+$",
            Pat::NonEmpty => ".+",
        }
    }
    pub(super) fn matches(self, k: &str) -> bool {
        match self {
            Pat::Ext => k.starts_with("x-"),
            Pat::Name => !k.is_empty() && k.chars().all(is_name_char),
            Pat::Lower => !k.is_empty() && k.chars().all(|c| c.is_ascii_lowercase()),
            Pat::NonEmptyLine => !k.is_empty() && !k.contains('\n'),
            Pat::NonEmpty => k.chars().any(|c| c != '\n'),
        }
    }
}

pub(super) fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}

/// One schema node.
#[derive(Debug)]
pub(crate) enum Sch {
    /// `{}`: anything.
    Any,
    /// `{"type": ...}`.
    Type(Ty),
    /// `{"type": ..., "enum": [...]}` (string enums only).
    Enum(Ty, &'static [&'static str]),
    /// `{"type": ..., "minimum": ..., "maximum": ...}`.
    Range(Ty, Option<i64>, Option<i64>),
    /// `{"type": "array", "items": ..., "uniqueItems": ...}`.
    Array(&'static Sch, bool),
    /// `{"type": "object" (+ others), "properties": ..., ...}`.
    Object(&'static Obj),
    /// `{"oneOf": [...]}`.
    OneOf(&'static [Sch]),
    /// `{"$ref": "#/definitions/<name>"}`.
    Ref(&'static str),
    /// The same schema, with a hand-written description for "expected …" messages.
    Named(&'static str, &'static Sch),
}

/// An object schema.
#[derive(Debug)]
pub(crate) struct Obj {
    /// `object`, possibly with other accepted types (`["object", "null"]`).
    pub ty: Ty,
    pub props: &'static [(&'static str, Sch)],
    pub patterns: &'static [(Pat, Sch)],
    /// `false` when the schema says `"additionalProperties": false`.
    pub additional: bool,
    pub required: &'static [&'static str],
}

impl Obj {
    /// `additionalProperties: false`, extensions (`^x-`) allowed.
    pub(super) const EXT: Obj = Obj {
        ty: Ty::OBJ,
        props: &[],
        patterns: &[(Pat::Ext, Sch::Any)],
        additional: false,
        required: &[],
    };
    /// `additionalProperties: false`, no extensions.
    pub(super) const CLOSED: Obj = Obj {
        ty: Ty::OBJ,
        props: &[],
        patterns: &[],
        additional: false,
        required: &[],
    };
    /// No constraint on other keys.
    pub(super) const OPEN: Obj = Obj {
        ty: Ty::OBJ,
        props: &[],
        patterns: &[],
        additional: true,
        required: &[],
    };
}
