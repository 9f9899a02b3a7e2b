//! Stage 3 of the loader: checks an interpolated compose document against the Compose
//! Specification schema, with errors that say where (file:line:col and key path), what is wrong
//! in plain words, and what would fix it.
//!
//! The schema is described here in Rust (a small table of JSON-Schema-like nodes) rather than
//! loaded from a JSON file. It follows the schema that the reference implementation actually
//! enforces: Docker Compose 2.26.1 as packaged (Debian `2.26.1-4`) embeds the schema of
//! compose-go **v2.4.8**, which differs from compose-go v2.0.2's (most booleans and integers also
//! accept strings, `format: duration` is gone, `gpus`, `post_start`, `pre_stop`, `label_file`,
//! `build.entitlements`, `develop.watch[].exec` exist, …). `tests/schema_spec.rs` renders
//! [`json_schema`] and compares it with the reference JSON so the two cannot drift.
//!
//! What the reference does around validation, and how this module mirrors it:
//! * values are validated after interpolation; compose-go casts a few interpolated strings to
//!   numbers/booleans *before* validating (its interpolation cast table). Every cast target
//!   accepts strings in the schema anyway, except the range checks of `cpu_count`,
//!   `cpu_percent` and `oom_score_adj`; for those, a string that parses as a number is checked
//!   as that number (so `cpu_count: "-1"` is rejected, as by Compose).
//! * `!reset` entries are removed before validation: a `!reset`-tagged value is skipped, key
//!   included.
//! * list entries of some attributes (`environment`, `ports`, `cap_add`, …) are de-duplicated
//!   before validation, so `uniqueItems` is not enforced on those (see [`deduplicated`]).

use std::fmt::Write as _;

use super::yaml::{Map, Node, Pos, Tag, Value};

/// One schema violation.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{pos}: {path}: {message}")]
pub struct SchemaError {
    /// For unknown keys, where the key was written; otherwise where the value was.
    pub pos: Pos,
    /// e.g. `services.web.ports[1]`; keys that contain dots, spaces, … are quoted
    /// (`services."my service"`); `(root)` for the document itself.
    pub path: String,
    /// Plain words: what is wrong and what would fix it.
    pub message: String,
}

/// Validates one interpolated compose document (the whole file's tree). Returns all errors found
/// (in document order), not just the first.
pub fn validate(root: &Node) -> Vec<SchemaError> {
    let mut v = Validator {
        errors: Vec::new(),
        path: Vec::new(),
    };
    v.check(root, &ROOT, None);
    let mut errors = v.errors;
    errors.sort_by_key(|e| (e.pos.line, e.pos.col));
    errors
}

// ---------------------------------------------------------------------------------------------
// The schema description
// ---------------------------------------------------------------------------------------------

/// A set of JSON types (`"type": [...]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ty(u8);

impl Ty {
    pub const NULL: Ty = Ty(1);
    pub const BOOL: Ty = Ty(2);
    pub const INT: Ty = Ty(4);
    pub const NUM: Ty = Ty(8);
    pub const STR: Ty = Ty(16);
    pub const ARR: Ty = Ty(32);
    pub const OBJ: Ty = Ty(64);
    const ALL: [(Ty, &'static str); 7] = [
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
    fn intersects(self, o: Ty) -> bool {
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
pub enum Pat {
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
    fn matches(self, k: &str) -> bool {
        match self {
            Pat::Ext => k.starts_with("x-"),
            Pat::Name => !k.is_empty() && k.chars().all(is_name_char),
            Pat::Lower => !k.is_empty() && k.chars().all(|c| c.is_ascii_lowercase()),
            Pat::NonEmptyLine => !k.is_empty() && !k.contains('\n'),
            Pat::NonEmpty => k.chars().any(|c| c != '\n'),
        }
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}

/// One schema node.
#[derive(Debug)]
pub enum Sch {
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
pub struct Obj {
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
    const EXT: Obj = Obj {
        ty: Ty::OBJ,
        props: &[],
        patterns: &[(Pat::Ext, Sch::Any)],
        additional: false,
        required: &[],
    };
    /// `additionalProperties: false`, no extensions.
    const CLOSED: Obj = Obj {
        ty: Ty::OBJ,
        props: &[],
        patterns: &[],
        additional: false,
        required: &[],
    };
    /// No constraint on other keys.
    const OPEN: Obj = Obj {
        ty: Ty::OBJ,
        props: &[],
        patterns: &[],
        additional: true,
        required: &[],
    };
}

const NUM_STR: Ty = Ty::NUM.or(Ty::STR);
const INT_STR: Ty = Ty::INT.or(Ty::STR);
const BOOL_STR: Ty = Ty::BOOL.or(Ty::STR);

const STR: Sch = Sch::Type(Ty::STR);
const BOOL: Sch = Sch::Type(Ty::BOOL);
const NUM: Sch = Sch::Type(Ty::NUM);
const BOOLISH: Sch = Sch::Type(BOOL_STR);
const INTISH: Sch = Sch::Type(INT_STR);
const NUMISH: Sch = Sch::Type(NUM_STR);
const STRINGS: Sch = Sch::Array(&STR, false);
const UNIQUE_STRINGS: Sch = Sch::Array(&STR, true);
const LIST_OF_STRINGS: Sch = Sch::Ref("list_of_strings");
const LIST_OR_DICT: Sch = Sch::Ref("list_or_dict");
const STRING_OR_LIST: Sch = Sch::Ref("string_or_list");
const DRIVER_OPTS: Sch = Sch::Object(&Obj {
    patterns: &[(Pat::NonEmptyLine, Sch::Type(NUM_STR))],
    ..Obj::OPEN
});
const DEPRECATED_EXTERNAL: Sch = Sch::Object(&Obj {
    ty: Ty::BOOL.or(Ty::STR).or(Ty::OBJ),
    props: &[("name", STR)],
    ..Obj::EXT
});
const OPEN_EXTERNAL: Sch = Sch::Object(&Obj {
    ty: Ty::BOOL.or(Ty::STR).or(Ty::OBJ),
    props: &[("name", STR)],
    ..Obj::OPEN
});

/// The document root.
pub static ROOT: Sch = Sch::Object(&Obj {
    props: &[
        ("version", STR),
        ("name", STR),
        ("include", Sch::Array(&Sch::Ref("include"), false)),
        (
            "services",
            Sch::Object(&Obj {
                patterns: &[(Pat::Name, Sch::Ref("service"))],
                ..Obj::CLOSED
            }),
        ),
        (
            "networks",
            Sch::Object(&Obj {
                patterns: &[(Pat::Name, Sch::Ref("network"))],
                ..Obj::OPEN
            }),
        ),
        (
            "volumes",
            Sch::Object(&Obj {
                patterns: &[(Pat::Name, Sch::Ref("volume"))],
                ..Obj::CLOSED
            }),
        ),
        (
            "secrets",
            Sch::Object(&Obj {
                patterns: &[(Pat::Name, Sch::Ref("secret"))],
                ..Obj::CLOSED
            }),
        ),
        (
            "configs",
            Sch::Object(&Obj {
                patterns: &[(Pat::Name, Sch::Ref("config"))],
                ..Obj::CLOSED
            }),
        ),
    ],
    ..Obj::EXT
});

const BUILD: Obj = Obj {
    props: &[
        ("context", STR),
        ("dockerfile", STR),
        ("dockerfile_inline", STR),
        ("entitlements", STRINGS),
        ("args", LIST_OR_DICT),
        ("ssh", LIST_OR_DICT),
        ("labels", LIST_OR_DICT),
        ("cache_from", STRINGS),
        ("cache_to", STRINGS),
        ("no_cache", BOOLISH),
        ("additional_contexts", LIST_OR_DICT),
        ("network", STR),
        ("pull", BOOLISH),
        ("target", STR),
        ("shm_size", INTISH),
        ("extra_hosts", Sch::Ref("extra_hosts")),
        ("isolation", STR),
        ("privileged", BOOLISH),
        ("secrets", Sch::Ref("service_config_or_secret")),
        ("tags", STRINGS),
        ("ulimits", Sch::Ref("ulimits")),
        ("platforms", STRINGS),
    ],
    ..Obj::EXT
};

const BLKIO_LIMITS: Sch = Sch::Array(&Sch::Ref("blkio_limit"), false);

const SERVICE_NETWORK: Obj = Obj {
    props: &[
        ("aliases", LIST_OF_STRINGS),
        ("ipv4_address", STR),
        ("ipv6_address", STR),
        ("link_local_ips", LIST_OF_STRINGS),
        ("mac_address", STR),
        ("driver_opts", DRIVER_OPTS),
        ("priority", NUM),
        ("gw_priority", NUM),
    ],
    ..Obj::EXT
};

const PORT_MAPPING: Obj = Obj {
    props: &[
        ("name", STR),
        ("mode", STR),
        ("host_ip", STR),
        ("target", INTISH),
        ("published", Sch::Type(Ty::STR.or(Ty::INT))),
        ("protocol", STR),
        ("app_protocol", STR),
    ],
    ..Obj::EXT
};

const VOLUME_MOUNT: Obj = Obj {
    props: &[
        ("type", STR),
        ("source", STR),
        ("target", STR),
        ("read_only", BOOLISH),
        ("consistency", STR),
        (
            "bind",
            Sch::Object(&Obj {
                props: &[
                    ("propagation", STR),
                    ("create_host_path", BOOLISH),
                    (
                        "recursive",
                        Sch::Enum(Ty::STR, &["enabled", "disabled", "writable", "readonly"]),
                    ),
                    ("selinux", Sch::Enum(Ty::STR, &["z", "Z"])),
                ],
                ..Obj::EXT
            }),
        ),
        (
            "volume",
            Sch::Object(&Obj {
                props: &[("nocopy", BOOLISH), ("subpath", STR)],
                ..Obj::EXT
            }),
        ),
        (
            "tmpfs",
            Sch::Object(&Obj {
                props: &[
                    (
                        "size",
                        Sch::OneOf(&[Sch::Range(Ty::INT, Some(0), None), STR]),
                    ),
                    ("mode", NUMISH),
                ],
                ..Obj::EXT
            }),
        ),
    ],
    required: &["type"],
    ..Obj::EXT
};

const SERVICE: Obj = Obj {
    props: &[
        ("develop", Sch::Ref("development")),
        ("deploy", Sch::Ref("deployment")),
        ("annotations", LIST_OR_DICT),
        ("attach", BOOLISH),
        ("build", Sch::OneOf(&[STR, Sch::Object(&BUILD)])),
        (
            "blkio_config",
            Sch::Object(&Obj {
                props: &[
                    ("device_read_bps", BLKIO_LIMITS),
                    ("device_read_iops", BLKIO_LIMITS),
                    ("device_write_bps", BLKIO_LIMITS),
                    ("device_write_iops", BLKIO_LIMITS),
                    ("weight", INTISH),
                    (
                        "weight_device",
                        Sch::Array(&Sch::Ref("blkio_weight"), false),
                    ),
                ],
                ..Obj::CLOSED
            }),
        ),
        ("cap_add", UNIQUE_STRINGS),
        ("cap_drop", UNIQUE_STRINGS),
        ("cgroup", Sch::Enum(Ty::STR, &["host", "private"])),
        ("cgroup_parent", STR),
        ("command", Sch::Ref("command")),
        ("configs", Sch::Ref("service_config_or_secret")),
        ("container_name", STR),
        (
            "cpu_count",
            Sch::OneOf(&[STR, Sch::Range(Ty::INT, Some(0), None)]),
        ),
        (
            "cpu_percent",
            Sch::OneOf(&[STR, Sch::Range(Ty::INT, Some(0), Some(100))]),
        ),
        ("cpu_shares", NUMISH),
        ("cpu_quota", NUMISH),
        ("cpu_period", NUMISH),
        ("cpu_rt_period", NUMISH),
        ("cpu_rt_runtime", NUMISH),
        ("cpus", NUMISH),
        ("cpuset", STR),
        (
            "credential_spec",
            Sch::Object(&Obj {
                props: &[("config", STR), ("file", STR), ("registry", STR)],
                ..Obj::EXT
            }),
        ),
        (
            "depends_on",
            Sch::OneOf(&[
                LIST_OF_STRINGS,
                Sch::Object(&Obj {
                    patterns: &[(
                        Pat::Name,
                        Sch::Object(&Obj {
                            props: &[
                                ("restart", BOOLISH),
                                ("required", BOOL),
                                (
                                    "condition",
                                    Sch::Enum(
                                        Ty::STR,
                                        &[
                                            "service_started",
                                            "service_healthy",
                                            "service_completed_successfully",
                                        ],
                                    ),
                                ),
                            ],
                            required: &["condition"],
                            ..Obj::EXT
                        }),
                    )],
                    ..Obj::CLOSED
                }),
            ]),
        ),
        ("device_cgroup_rules", LIST_OF_STRINGS),
        (
            "devices",
            Sch::Array(
                &Sch::OneOf(&[
                    STR,
                    Sch::Object(&Obj {
                        props: &[("source", STR), ("target", STR), ("permissions", STR)],
                        required: &["source"],
                        ..Obj::EXT
                    }),
                ]),
                false,
            ),
        ),
        ("dns", STRING_OR_LIST),
        ("dns_opt", UNIQUE_STRINGS),
        ("dns_search", STRING_OR_LIST),
        ("domainname", STR),
        ("entrypoint", Sch::Ref("command")),
        ("env_file", Sch::Ref("env_file")),
        ("label_file", Sch::Ref("label_file")),
        ("environment", LIST_OR_DICT),
        ("expose", Sch::Array(&Sch::Type(Ty::STR.or(Ty::NUM)), true)),
        (
            "extends",
            Sch::OneOf(&[
                STR,
                Sch::Object(&Obj {
                    props: &[("service", STR), ("file", STR)],
                    required: &["service"],
                    ..Obj::CLOSED
                }),
            ]),
        ),
        ("external_links", UNIQUE_STRINGS),
        ("extra_hosts", Sch::Ref("extra_hosts")),
        ("gpus", Sch::Ref("gpus")),
        (
            "group_add",
            Sch::Array(&Sch::Type(Ty::STR.or(Ty::NUM)), true),
        ),
        ("healthcheck", Sch::Ref("healthcheck")),
        ("hostname", STR),
        ("image", STR),
        ("init", BOOLISH),
        ("ipc", STR),
        ("isolation", STR),
        ("labels", LIST_OR_DICT),
        ("links", UNIQUE_STRINGS),
        (
            "logging",
            Sch::Object(&Obj {
                props: &[
                    ("driver", STR),
                    (
                        "options",
                        Sch::Object(&Obj {
                            patterns: &[(
                                Pat::NonEmptyLine,
                                Sch::Type(Ty::STR.or(Ty::NUM).or(Ty::NULL)),
                            )],
                            ..Obj::OPEN
                        }),
                    ),
                ],
                ..Obj::EXT
            }),
        ),
        ("mac_address", STR),
        ("mem_limit", NUMISH),
        ("mem_reservation", INTISH),
        ("mem_swappiness", INTISH),
        ("memswap_limit", NUMISH),
        ("network_mode", STR),
        (
            "networks",
            Sch::OneOf(&[
                LIST_OF_STRINGS,
                Sch::Object(&Obj {
                    patterns: &[(
                        Pat::Name,
                        Sch::OneOf(&[Sch::Object(&SERVICE_NETWORK), Sch::Type(Ty::NULL)]),
                    )],
                    ..Obj::CLOSED
                }),
            ]),
        ),
        ("oom_kill_disable", BOOLISH),
        (
            "oom_score_adj",
            Sch::OneOf(&[STR, Sch::Range(Ty::INT, Some(-1000), Some(1000))]),
        ),
        ("pid", Sch::Type(Ty::STR.or(Ty::NULL))),
        ("pids_limit", NUMISH),
        ("platform", STR),
        (
            "ports",
            Sch::Named(
                "a list of ports",
                &Sch::Array(
                    &Sch::Named(
                        "a port number, a port string such as \"8080:80\", or a port mapping",
                        &Sch::OneOf(&[NUM, STR, Sch::Object(&PORT_MAPPING)]),
                    ),
                    true,
                ),
            ),
        ),
        ("post_start", Sch::Array(&Sch::Ref("service_hook"), false)),
        ("pre_stop", Sch::Array(&Sch::Ref("service_hook"), false)),
        ("privileged", BOOLISH),
        ("profiles", LIST_OF_STRINGS),
        (
            "pull_policy",
            Sch::Enum(
                Ty::STR,
                &["always", "never", "if_not_present", "build", "missing"],
            ),
        ),
        ("read_only", BOOLISH),
        ("restart", STR),
        ("runtime", STR),
        ("scale", INTISH),
        ("security_opt", UNIQUE_STRINGS),
        ("shm_size", NUMISH),
        ("secrets", Sch::Ref("service_config_or_secret")),
        ("sysctls", LIST_OR_DICT),
        ("stdin_open", BOOLISH),
        ("stop_grace_period", STR),
        ("stop_signal", STR),
        ("storage_opt", Sch::Object(&Obj::OPEN)),
        ("tmpfs", STRING_OR_LIST),
        ("tty", BOOLISH),
        ("ulimits", Sch::Ref("ulimits")),
        ("user", STR),
        ("uts", STR),
        ("userns_mode", STR),
        (
            "volumes",
            Sch::Named(
                "a list of volumes",
                &Sch::Array(
                    &Sch::Named(
                        "a volume string such as \"data:/data\" or a volume mapping",
                        &Sch::OneOf(&[STR, Sch::Object(&VOLUME_MOUNT)]),
                    ),
                    true,
                ),
            ),
        ),
        ("volumes_from", UNIQUE_STRINGS),
        ("working_dir", STR),
    ],
    ..Obj::EXT
};

const UPDATE_CONFIG: Obj = Obj {
    props: &[
        ("parallelism", INTISH),
        ("delay", STR),
        ("failure_action", STR),
        ("monitor", STR),
        ("max_failure_ratio", NUMISH),
        ("order", Sch::Enum(Ty::STR, &["start-first", "stop-first"])),
    ],
    ..Obj::EXT
};

const DEVICE_REQUEST_PROPS: &[(&str, Sch)] = &[
    ("capabilities", LIST_OF_STRINGS),
    ("count", Sch::Type(Ty::STR.or(Ty::INT))),
    ("device_ids", LIST_OF_STRINGS),
    ("driver", STR),
    ("options", LIST_OR_DICT),
];

const DEFINITIONS: &[(&str, Sch)] = &[
    ("service", Sch::Object(&SERVICE)),
    (
        "healthcheck",
        Sch::Object(&Obj {
            props: &[
                ("disable", BOOLISH),
                ("interval", STR),
                ("retries", NUMISH),
                ("test", Sch::OneOf(&[STR, STRINGS])),
                ("timeout", STR),
                ("start_period", STR),
                ("start_interval", STR),
            ],
            ..Obj::EXT
        }),
    ),
    (
        "development",
        Sch::Object(&Obj {
            ty: Ty::OBJ.or(Ty::NULL),
            props: &[(
                "watch",
                Sch::Array(
                    &Sch::Object(&Obj {
                        props: &[
                            ("ignore", STRINGS),
                            // Newer than compose-go v2.4.8 (Compose 2.32+), accepted by berth:
                            // tests/schema_spec.rs lists them as berth's own extensions.
                            ("include", STRINGS),
                            ("initial_sync", BOOLISH),
                            ("path", STR),
                            (
                                "action",
                                Sch::Enum(
                                    Ty::STR,
                                    &["rebuild", "sync", "restart", "sync+restart", "sync+exec"],
                                ),
                            ),
                            ("target", STR),
                            ("exec", Sch::Ref("service_hook")),
                        ],
                        required: &["path", "action"],
                        ..Obj::EXT
                    }),
                    false,
                ),
            )],
            ..Obj::EXT
        }),
    ),
    (
        "deployment",
        Sch::Object(&Obj {
            ty: Ty::OBJ.or(Ty::NULL),
            props: &[
                ("mode", STR),
                ("endpoint_mode", STR),
                ("replicas", INTISH),
                ("labels", LIST_OR_DICT),
                ("rollback_config", Sch::Object(&UPDATE_CONFIG)),
                ("update_config", Sch::Object(&UPDATE_CONFIG)),
                (
                    "resources",
                    Sch::Object(&Obj {
                        props: &[
                            (
                                "limits",
                                Sch::Object(&Obj {
                                    props: &[("cpus", NUMISH), ("memory", STR), ("pids", INTISH)],
                                    ..Obj::EXT
                                }),
                            ),
                            (
                                "reservations",
                                Sch::Object(&Obj {
                                    props: &[
                                        ("cpus", NUMISH),
                                        ("memory", STR),
                                        ("generic_resources", Sch::Ref("generic_resources")),
                                        ("devices", Sch::Ref("devices")),
                                    ],
                                    ..Obj::EXT
                                }),
                            ),
                        ],
                        ..Obj::EXT
                    }),
                ),
                (
                    "restart_policy",
                    Sch::Object(&Obj {
                        props: &[
                            ("condition", STR),
                            ("delay", STR),
                            ("max_attempts", INTISH),
                            ("window", STR),
                        ],
                        ..Obj::EXT
                    }),
                ),
                (
                    "placement",
                    Sch::Object(&Obj {
                        props: &[
                            ("constraints", STRINGS),
                            (
                                "preferences",
                                Sch::Array(
                                    &Sch::Object(&Obj {
                                        props: &[("spread", STR)],
                                        ..Obj::EXT
                                    }),
                                    false,
                                ),
                            ),
                            ("max_replicas_per_node", INTISH),
                        ],
                        ..Obj::EXT
                    }),
                ),
            ],
            ..Obj::EXT
        }),
    ),
    (
        "generic_resources",
        Sch::Array(
            &Sch::Object(&Obj {
                props: &[(
                    "discrete_resource_spec",
                    Sch::Object(&Obj {
                        props: &[("kind", STR), ("value", NUMISH)],
                        ..Obj::EXT
                    }),
                )],
                ..Obj::EXT
            }),
            false,
        ),
    ),
    (
        "devices",
        Sch::Array(
            &Sch::Object(&Obj {
                props: DEVICE_REQUEST_PROPS,
                required: &["capabilities"],
                ..Obj::EXT
            }),
            false,
        ),
    ),
    (
        "gpus",
        Sch::OneOf(&[
            Sch::Enum(Ty::STR, &["all"]),
            Sch::Array(
                &Sch::Object(&Obj {
                    props: DEVICE_REQUEST_PROPS,
                    ..Obj::OPEN
                }),
                false,
            ),
        ]),
    ),
    (
        "include",
        Sch::OneOf(&[
            STR,
            Sch::Object(&Obj {
                props: &[
                    ("path", STRING_OR_LIST),
                    ("env_file", STRING_OR_LIST),
                    ("project_directory", STR),
                ],
                ..Obj::CLOSED
            }),
        ]),
    ),
    (
        "network",
        Sch::Object(&Obj {
            ty: Ty::OBJ.or(Ty::NULL),
            props: &[
                ("name", STR),
                ("driver", STR),
                ("driver_opts", DRIVER_OPTS),
                (
                    "ipam",
                    Sch::Object(&Obj {
                        props: &[
                            ("driver", STR),
                            (
                                "config",
                                Sch::Array(
                                    &Sch::Object(&Obj {
                                        props: &[
                                            ("subnet", STR),
                                            ("ip_range", STR),
                                            ("gateway", STR),
                                            (
                                                "aux_addresses",
                                                Sch::Object(&Obj {
                                                    patterns: &[(Pat::NonEmptyLine, STR)],
                                                    ..Obj::CLOSED
                                                }),
                                            ),
                                        ],
                                        ..Obj::EXT
                                    }),
                                    false,
                                ),
                            ),
                            (
                                "options",
                                Sch::Object(&Obj {
                                    patterns: &[(Pat::NonEmptyLine, STR)],
                                    ..Obj::CLOSED
                                }),
                            ),
                        ],
                        ..Obj::EXT
                    }),
                ),
                ("external", DEPRECATED_EXTERNAL),
                ("internal", BOOLISH),
                ("enable_ipv4", BOOLISH),
                ("enable_ipv6", BOOLISH),
                ("attachable", BOOLISH),
                ("labels", LIST_OR_DICT),
            ],
            ..Obj::EXT
        }),
    ),
    (
        "volume",
        Sch::Object(&Obj {
            ty: Ty::OBJ.or(Ty::NULL),
            props: &[
                ("name", STR),
                ("driver", STR),
                ("driver_opts", DRIVER_OPTS),
                ("external", DEPRECATED_EXTERNAL),
                ("labels", LIST_OR_DICT),
            ],
            ..Obj::EXT
        }),
    ),
    (
        "secret",
        Sch::Object(&Obj {
            props: &[
                ("name", STR),
                ("environment", STR),
                ("file", STR),
                ("external", OPEN_EXTERNAL),
                ("labels", LIST_OR_DICT),
                ("driver", STR),
                ("driver_opts", DRIVER_OPTS),
                ("template_driver", STR),
            ],
            ..Obj::EXT
        }),
    ),
    (
        "config",
        Sch::Object(&Obj {
            props: &[
                ("name", STR),
                ("content", STR),
                ("environment", STR),
                ("file", STR),
                ("external", OPEN_EXTERNAL),
                ("labels", LIST_OR_DICT),
                ("template_driver", STR),
            ],
            ..Obj::EXT
        }),
    ),
    ("command", Sch::OneOf(&[Sch::Type(Ty::NULL), STR, STRINGS])),
    (
        "service_hook",
        Sch::Object(&Obj {
            props: &[
                ("command", Sch::Ref("command")),
                ("user", STR),
                ("privileged", BOOLISH),
                ("working_dir", STR),
                ("environment", LIST_OR_DICT),
            ],
            ..Obj::EXT
        }),
    ),
    (
        "env_file",
        Sch::OneOf(&[
            STR,
            Sch::Array(
                &Sch::OneOf(&[
                    STR,
                    Sch::Object(&Obj {
                        props: &[("path", STR), ("format", STR), ("required", BOOLISH)],
                        required: &["path"],
                        ..Obj::CLOSED
                    }),
                ]),
                false,
            ),
        ]),
    ),
    ("label_file", Sch::OneOf(&[STR, STRINGS])),
    ("string_or_list", Sch::OneOf(&[STR, LIST_OF_STRINGS])),
    ("list_of_strings", UNIQUE_STRINGS),
    (
        "list_or_dict",
        Sch::OneOf(&[
            Sch::Object(&Obj {
                patterns: &[(
                    Pat::NonEmpty,
                    Sch::Type(Ty::STR.or(Ty::NUM).or(Ty::BOOL).or(Ty::NULL)),
                )],
                ..Obj::CLOSED
            }),
            UNIQUE_STRINGS,
        ]),
    ),
    (
        "extra_hosts",
        Sch::OneOf(&[
            Sch::Object(&Obj {
                patterns: &[(Pat::NonEmpty, Sch::OneOf(&[STR, STRINGS]))],
                ..Obj::CLOSED
            }),
            UNIQUE_STRINGS,
        ]),
    ),
    (
        "blkio_limit",
        Sch::Object(&Obj {
            props: &[("path", STR), ("rate", INTISH)],
            ..Obj::CLOSED
        }),
    ),
    (
        "blkio_weight",
        Sch::Object(&Obj {
            props: &[("path", STR), ("weight", INTISH)],
            ..Obj::CLOSED
        }),
    ),
    (
        "service_config_or_secret",
        Sch::Array(
            &Sch::OneOf(&[
                STR,
                Sch::Object(&Obj {
                    props: &[
                        ("source", STR),
                        ("target", STR),
                        ("uid", STR),
                        ("gid", STR),
                        ("mode", NUMISH),
                    ],
                    ..Obj::EXT
                }),
            ]),
            false,
        ),
    ),
    (
        "ulimits",
        Sch::Object(&Obj {
            patterns: &[(
                Pat::Lower,
                Sch::OneOf(&[
                    INTISH,
                    Sch::Object(&Obj {
                        props: &[("hard", INTISH), ("soft", INTISH)],
                        required: &["soft", "hard"],
                        ..Obj::EXT
                    }),
                ]),
            )],
            ..Obj::OPEN
        }),
    ),
];

/// The named definitions (`#/definitions/<name>`).
pub fn definitions() -> &'static [(&'static str, Sch)] {
    DEFINITIONS
}

fn definition(name: &str) -> &'static Sch {
    DEFINITIONS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, s)| s)
        .unwrap_or_else(|| panic!("schema: no definition {name:?}"))
}

/// Renders the description as a JSON Schema (draft 7) document, without annotations
/// (descriptions, ids). Used by the drift test against the reference schema.
pub fn json_schema() -> serde_json::Value {
    let mut root = render(&ROOT);
    let defs: serde_json::Map<String, serde_json::Value> = DEFINITIONS
        .iter()
        .map(|(n, s)| (n.to_string(), render(s)))
        .collect();
    root["definitions"] = serde_json::Value::Object(defs);
    root
}

fn render_type(ty: Ty) -> serde_json::Value {
    let names = ty.names();
    if names.len() == 1 {
        serde_json::json!(names[0])
    } else {
        serde_json::json!(names)
    }
}

fn render(s: &Sch) -> serde_json::Value {
    use serde_json::{json, Value as J};
    match s {
        Sch::Any => json!({}),
        Sch::Type(t) => json!({ "type": render_type(*t) }),
        Sch::Enum(t, v) => json!({ "type": render_type(*t), "enum": v }),
        Sch::Range(t, min, max) => {
            let mut o = json!({ "type": render_type(*t) });
            if let Some(m) = min {
                o["minimum"] = json!(m);
            }
            if let Some(m) = max {
                o["maximum"] = json!(m);
            }
            o
        }
        Sch::Array(items, unique) => {
            let mut o = json!({ "type": "array", "items": render(items) });
            if *unique {
                o["uniqueItems"] = J::Bool(true);
            }
            o
        }
        Sch::Object(o) => {
            let mut out = json!({ "type": render_type(o.ty) });
            if !o.props.is_empty() {
                out["properties"] = J::Object(
                    o.props
                        .iter()
                        .map(|(k, v)| (k.to_string(), render(v)))
                        .collect(),
                );
            }
            if !o.patterns.is_empty() {
                out["patternProperties"] = J::Object(
                    o.patterns
                        .iter()
                        .map(|(p, v)| (p.regex().to_string(), render(v)))
                        .collect(),
                );
            }
            if !o.additional {
                out["additionalProperties"] = J::Bool(false);
            }
            if !o.required.is_empty() {
                out["required"] = json!(o.required);
            }
            out
        }
        Sch::OneOf(b) => json!({ "oneOf": b.iter().map(render).collect::<Vec<_>>() }),
        Sch::Ref(n) => json!({ "$ref": format!("#/definitions/{n}") }),
        Sch::Named(_, s) => render(s),
    }
}

// ---------------------------------------------------------------------------------------------
// The validator
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy)]
enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

struct Validator<'a> {
    errors: Vec<SchemaError>,
    path: Vec<Seg<'a>>,
}

/// The kinds a node has, as JSON-Schema types (an integral float is also an integer).
fn kind_of(node: &Node) -> Ty {
    match &node.value {
        Value::Null => Ty::NULL,
        Value::Bool(_) => Ty::BOOL,
        Value::Int(_) => Ty::INT.or(Ty::NUM),
        Value::Float(f) if f.is_finite() && f.fract() == 0.0 => Ty::INT.or(Ty::NUM),
        Value::Float(_) => Ty::NUM,
        Value::Str(_) => Ty::STR,
        Value::Seq(_) => Ty::ARR,
        Value::Map(_) => Ty::OBJ,
    }
}

/// The types a schema accepts at its top (for choosing a `oneOf` branch).
fn accepted(s: &Sch) -> Ty {
    match s {
        Sch::Any => Ty(0x7f),
        Sch::Type(t) | Sch::Enum(t, _) | Sch::Range(t, _, _) => *t,
        Sch::Array(..) => Ty::ARR,
        Sch::Object(o) => o.ty,
        Sch::OneOf(b) => b.iter().fold(Ty(0), |a, s| a.or(accepted(s))),
        Sch::Ref(n) => accepted(definition(n)),
        Sch::Named(_, s) => accepted(s),
    }
}

fn type_words(t: Ty) -> Vec<String> {
    let mut out = Vec::new();
    for (bit, word) in [
        (Ty::NULL, "null"),
        (Ty::BOOL, "a boolean"),
        (Ty::INT, "an integer"),
        (Ty::NUM, "a number"),
        (Ty::STR, "a string"),
        (Ty::ARR, "a list"),
        (Ty::OBJ, "a mapping"),
    ] {
        if bit == Ty::INT && t.contains(Ty::NUM) {
            continue;
        }
        if t.contains(bit) {
            out.push(word.to_string());
        }
    }
    out
}

fn join_or(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

/// What a schema accepts, in words ("a string or a list of strings").
fn describe(s: &Sch) -> String {
    join_or(&describe_parts(s))
}

fn describe_parts(s: &Sch) -> Vec<String> {
    match s {
        Sch::Any => vec!["anything".into()],
        Sch::Type(t) => type_words(*t),
        Sch::Enum(_, v) => vec![format!("one of {}", v.join(", "))],
        Sch::Range(t, min, max) => {
            let base = join_or(&type_words(*t));
            vec![match (min, max) {
                (Some(a), Some(b)) => format!("{base} from {a} to {b}"),
                (Some(a), None) => format!("{base} of at least {a}"),
                (None, Some(b)) => format!("{base} of at most {b}"),
                (None, None) => base,
            }]
        }
        Sch::Array(items, _) => vec![match resolve(items) {
            Sch::Type(t) if *t == Ty::STR => "a list of strings".to_string(),
            Sch::Object(_) => "a list of mappings".to_string(),
            _ => "a list".to_string(),
        }],
        Sch::Object(o) => {
            let mut w = type_words(Ty(o.ty.0 & !Ty::OBJ.0));
            w.push("a mapping".into());
            w
        }
        Sch::OneOf(b) => {
            let mut out: Vec<String> = Vec::new();
            for p in b.iter().flat_map(describe_parts) {
                if !out.contains(&p) {
                    out.push(p);
                }
            }
            out
        }
        Sch::Ref(n) => describe_parts(definition(n)),
        Sch::Named(n, _) => vec![n.to_string()],
    }
}

fn resolve(s: &Sch) -> &Sch {
    match s {
        Sch::Ref(n) => resolve(definition(n)),
        Sch::Named(_, s) => resolve(s),
        s => s,
    }
}

/// Keys whose string value is a duration (`10s`, `1m30s`).
const DURATION_KEYS: &[&str] = &[
    "interval",
    "timeout",
    "start_period",
    "start_interval",
    "stop_grace_period",
    "delay",
    "monitor",
    "window",
];

impl Sch {
    /// The top-level type set, as far as it is a plain type.
    fn resolve_type(&self) -> &Ty {
        match resolve(self) {
            Sch::Type(t) => t,
            _ => &Ty(0),
        }
    }
}

/// The value in words, for "found …".
fn found(node: &Node) -> String {
    match &node.value {
        Value::Null => "an empty value".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Int(i) => format!("the number {i}"),
        Value::Float(_) => format!("the number {}", node.scalar_string().unwrap_or_default()),
        Value::Str(s) if s.chars().count() <= 40 => format!("the string {s:?}"),
        Value::Str(_) => "a string".into(),
        Value::Seq(_) => "a list".into(),
        Value::Map(_) => "a mapping".into(),
    }
}

fn path_string(path: &[Seg]) -> String {
    if path.is_empty() {
        return "(root)".into();
    }
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                if !k.is_empty()
                    && k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                {
                    s.push_str(k);
                } else {
                    let _ = write!(s, "{k:?}");
                }
            }
            Seg::Index(i) => {
                let _ = write!(s, "[{i}]");
            }
        }
    }
    s
}

/// Paths whose list entries compose-go de-duplicates before validating, so `uniqueItems` never
/// fails there (compose-go `override/uncity.go`).
fn deduplicated(path: &[Seg]) -> bool {
    let keys: Vec<&str> = path
        .iter()
        .map(|s| match s {
            Seg::Key(k) => *k,
            Seg::Index(_) => "[]",
        })
        .collect();
    match keys.as_slice() {
        ["networks", _, "labels"] | ["networks", _, "ipam", "options"] => true,
        ["services", _, rest @ ..] => matches!(
            rest,
            ["annotations"]
                | ["build", "args"]
                | ["build", "additional_contexts"]
                | ["build", "platforms"]
                | ["build", "tags"]
                | ["build", "labels"]
                | ["cap_add"]
                | ["cap_drop"]
                | ["devices"]
                | ["configs"]
                | ["deploy", "labels"]
                | ["dns"]
                | ["dns_opt"]
                | ["dns_search"]
                | ["environment"]
                | ["env_file"]
                | ["expose"]
                | ["labels"]
                | ["links"]
                | ["networks", _, "aliases"]
                | ["networks", _, "link_local_ips"]
                | ["ports"]
                | ["profiles"]
                | ["secrets"]
                | ["sysctls"]
                | ["tmpfs"]
                | ["volumes"]
        ),
        _ => false,
    }
}

/// Service attributes that compose-go casts from a string to a number before validating, and
/// whose number form has a range. `true` = integer cast, `false` = float cast.
fn cast_before_validation(path: &[Seg]) -> Option<bool> {
    match path {
        [Seg::Key("services"), Seg::Key(_), Seg::Key(k)] => match *k {
            "cpu_count" | "oom_score_adj" => Some(true),
            "cpu_percent" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// The close key names to suggest for a misspelt `key`, best first.
fn suggest<'c>(key: &str, candidates: impl Iterator<Item = &'c str>) -> Option<&'c str> {
    let norm = |s: &str| s.to_ascii_lowercase().replace('-', "_");
    let k = norm(key);
    let limit = match k.chars().count() {
        0..=4 => 1,
        5..=8 => 2,
        _ => 3,
    };
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = if norm(c) == k {
            0
        } else {
            strsim::damerau_levenshtein(&k, c)
        };
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// The noun for a map's keys when they must be names (`services` → "service").
fn name_noun(parent: Option<&str>) -> &'static str {
    match parent {
        Some("services") | Some("depends_on") => "service",
        Some("volumes") => "volume",
        Some("networks") => "network",
        Some("secrets") => "secret",
        Some("configs") => "config",
        _ => "name",
    }
}

impl<'a> Validator<'a> {
    fn error(&mut self, pos: &Pos, message: String) {
        self.errors.push(SchemaError {
            pos: pos.clone(),
            path: path_string(&self.path),
            message,
        });
    }

    fn last_key(&self) -> Option<&'a str> {
        self.path.iter().rev().find_map(|s| match s {
            Seg::Key(k) => Some(*k),
            Seg::Index(_) => None,
        })
    }

    /// `named` carries the description of the innermost `Named` wrapper, for type errors.
    fn check(&mut self, node: &'a Node, s: &Sch, named: Option<&'static str>) {
        if node.tag == Some(Tag::Reset) {
            return;
        }
        match s {
            Sch::Any => {}
            Sch::Named(n, inner) => self.check(node, inner, Some(n)),
            Sch::Ref(n) => self.check(node, definition(n), named),
            Sch::Type(t) => {
                if !kind_of(node).intersects(*t) {
                    self.type_error(node, s, named);
                }
            }
            Sch::Enum(t, values) => {
                if !kind_of(node).intersects(*t) {
                    self.type_error(node, s, named);
                } else if let Value::Str(v) = &node.value {
                    if !values.contains(&v.as_str()) {
                        let noun = self.last_key().unwrap_or("value");
                        let msg = format!(
                            "{v:?} is not a valid {noun} (expected one of {})",
                            values.join(", ")
                        );
                        self.error(&node.pos, msg);
                    }
                }
            }
            Sch::Range(t, min, max) => {
                if !kind_of(node).intersects(*t) {
                    self.type_error(node, s, named);
                    return;
                }
                let n = match &node.value {
                    Value::Int(i) => *i as f64,
                    Value::Float(f) => *f,
                    _ => return,
                };
                let low = min.is_some_and(|m| n < m as f64);
                let high = max.is_some_and(|m| n > m as f64);
                if low || high {
                    let noun = self.last_key().unwrap_or("value");
                    let value = node.scalar_string().unwrap_or_default();
                    let msg = format!("{value} is out of range: {noun} must be {}", describe(s));
                    self.error(&node.pos, msg);
                }
            }
            Sch::Array(items, unique) => {
                let Value::Seq(seq) = &node.value else {
                    self.type_error(node, s, named);
                    return;
                };
                for (i, item) in seq.iter().enumerate() {
                    self.path.push(Seg::Index(i));
                    self.check(item, items, None);
                    self.path.pop();
                }
                if *unique && !deduplicated(&self.path) {
                    self.check_unique(seq);
                }
            }
            Sch::Object(o) => match &node.value {
                Value::Map(m) => self.check_object(node, m, o),
                _ if kind_of(node).intersects(o.ty) => {}
                _ => self.type_error(node, s, named),
            },
            Sch::OneOf(branches) => {
                let kind = kind_of(node);
                let fitting: Vec<&Sch> = branches
                    .iter()
                    .filter(|b| accepted(b).intersects(kind))
                    .collect();
                match fitting.as_slice() {
                    [] => self.type_error(node, s, named),
                    [one] => self.check(node, one, None),
                    several => {
                        // Types overlap (not the case in the Compose schema): first branch that
                        // fits without errors wins, else report the first branch's errors.
                        let mut first: Option<Vec<SchemaError>> = None;
                        for b in several {
                            let saved = std::mem::take(&mut self.errors);
                            self.check(node, b, None);
                            let errs = std::mem::replace(&mut self.errors, saved);
                            if errs.is_empty() {
                                return;
                            }
                            first.get_or_insert(errs);
                        }
                        self.errors.extend(first.unwrap_or_default());
                    }
                }
            }
        }
    }

    fn type_error(&mut self, node: &Node, s: &Sch, named: Option<&'static str>) {
        let expected = named.map(str::to_string).unwrap_or_else(|| describe(s));
        let mut msg = format!("expected {expected}, found {}", found(node));
        let wants_list = accepted(s).intersects(Ty::ARR);
        let key = self.last_key();
        if self.path.len() == 1 && key == Some("version") {
            msg.push_str(
                " (quote it, e.g. \"3.8\"; the version key is ignored anyway and can be removed)",
            );
        } else if self.path.len() == 2
            && self.path[0..1]
                .iter()
                .any(|s| matches!(s, Seg::Key("services")))
            && node.is_null()
        {
            msg.push_str(" (a service needs at least an image or a build)");
        } else if *s.resolve_type() == Ty::STR
            && matches!(node.value, Value::Int(_) | Value::Float(_))
            && key.is_some_and(|k| DURATION_KEYS.contains(&k))
        {
            let _ = write!(
                msg,
                " (write a duration with a unit, e.g. \"{}s\")",
                node.scalar_string().unwrap_or_default()
            );
        } else if wants_list && !kind_of(node).intersects(Ty::ARR.or(Ty::OBJ)) && !node.is_null() {
            if let Some(v) = node.scalar_string() {
                if v.chars().count() <= 40 {
                    let _ = write!(msg, " (write a list, e.g. [{v:?}])");
                }
            }
        }
        self.error(&node.pos, msg);
    }

    fn check_unique(&mut self, seq: &'a [Node]) {
        let mut seen: Vec<(serde_json::Value, usize)> = Vec::new();
        for (i, item) in seq.iter().enumerate() {
            if item.tag == Some(Tag::Reset) {
                continue;
            }
            let j = item.to_json();
            if let Some((_, first)) = seen.iter().find(|(v, _)| *v == j) {
                let what = match &item.value {
                    Value::Str(s) => format!("{s:?}"),
                    Value::Map(_) | Value::Seq(_) => "this entry".to_string(),
                    _ => item.scalar_string().unwrap_or_default(),
                };
                let first = *first;
                self.path.push(Seg::Index(i));
                let msg = format!(
                    "{what} is listed twice (same as [{first}]); entries of {} must be unique",
                    self.last_key().unwrap_or("this list")
                );
                self.error(&item.pos, msg);
                self.path.pop();
            } else {
                seen.push((j, i));
            }
        }
    }

    fn check_object(&mut self, node: &'a Node, m: &'a Map, o: &Obj) {
        for req in o.required {
            let present = m.get(req).is_some_and(|v| v.tag != Some(Tag::Reset));
            if !present {
                let mut msg = format!("missing required key {req:?}");
                match o.props.iter().find(|(k, _)| k == req) {
                    Some((_, Sch::Enum(_, values))) => {
                        let _ = write!(msg, " (one of {})", values.join(", "));
                    }
                    Some(_) if *req == "type" => msg.push_str(" (e.g. volume, bind or tmpfs)"),
                    _ => {}
                }
                self.error(&node.pos, msg);
            }
        }
        for (key, value) in m.iter() {
            if value.tag == Some(Tag::Reset) {
                continue;
            }
            self.path.push(Seg::Key(key.as_str()));
            if let Some((_, s)) = o.props.iter().find(|(k, _)| k == key) {
                let cast = match (cast_before_validation(&self.path), &value.value) {
                    (Some(true), Value::Str(t)) => t
                        .parse::<i64>()
                        .ok()
                        .map(|i| Node::new(Value::Int(i), value.pos.clone())),
                    (Some(false), Value::Str(t)) => t
                        .parse::<f64>()
                        .ok()
                        .map(|f| Node::new(Value::Float(f), value.pos.clone())),
                    _ => None,
                };
                match cast {
                    Some(c) => {
                        // The cast value borrows nothing from the tree; check it on its own.
                        let mut sub = Validator {
                            errors: Vec::new(),
                            path: self.path.clone(),
                        };
                        sub.check(&c, s, None);
                        self.errors.extend(sub.errors);
                    }
                    None => self.check(value, s, None),
                }
            } else {
                let mut matched = false;
                for (p, s) in o.patterns {
                    if p.matches(key) {
                        matched = true;
                        self.check(value, s, None);
                    }
                }
                if !matched && !o.additional {
                    let pos = m.key_pos(key).unwrap_or(&value.pos).clone();
                    let msg = self.unknown_key_message(key, o);
                    self.error(&pos, msg);
                }
            }
            self.path.pop();
        }
    }

    /// The message for a key that the object does not allow (path already includes the key).
    fn unknown_key_message(&self, key: &str, o: &Obj) -> String {
        let parent = if self.path.len() >= 2 {
            match self.path[self.path.len() - 2] {
                Seg::Key(k) => Some(k),
                Seg::Index(_) => None,
            }
        } else {
            None
        };
        let name_pattern = o.patterns.iter().any(|(p, _)| *p == Pat::Name);
        if o.props.is_empty() && name_pattern {
            let noun = name_noun(parent);
            return match key.chars().find(|c| !is_name_char(*c)) {
                None => format!("{key:?} is not a valid {noun} name: a name cannot be empty"),
                Some(c) => {
                    let what = match c {
                        ' ' => "a space".to_string(),
                        '\t' => "a tab".to_string(),
                        c => format!("\"{c}\""),
                    };
                    format!(
                        "{key:?} is not a valid {noun} name: only letters, digits, \".\", \"_\" and \"-\" are allowed, not {what}"
                    )
                }
            };
        }
        if o.props.is_empty()
            && o.patterns
                .iter()
                .any(|(p, _)| matches!(p, Pat::NonEmpty | Pat::NonEmptyLine))
        {
            return if key.is_empty() {
                "empty key: keys here must not be empty".to_string()
            } else {
                format!("key {key:?} is not allowed here: keys must fit on one line")
            };
        }
        let mut msg = format!("unknown key {key:?}");
        let ext_allowed = o.patterns.iter().any(|(p, _)| *p == Pat::Ext);
        let at_top = self.path.len() == 1;
        let in_service = self.path.len() == 3 && matches!(self.path[0], Seg::Key("services"));
        if let Some(s) = suggest(key, o.props.iter().map(|(k, _)| *k)) {
            let _ = write!(msg, " (did you mean {s:?}?)");
        } else if at_top && SERVICE.props.iter().any(|(k, _)| *k == key) {
            msg.push_str(
                " (this is a service attribute: it belongs under services.<name>; check the indentation)",
            );
        } else if in_service && BUILD.props.iter().any(|(k, _)| *k == key) {
            let _ = write!(
                msg,
                " (did you mean \"build.{key}\"? it belongs under build)"
            );
        } else if key.starts_with("x-") && !ext_allowed {
            msg.push_str(" (extension keys \"x-…\" are not allowed here)");
        } else if at_top {
            msg.push_str(
                " (top-level keys are version, name, include, services, networks, volumes, secrets, configs, or extensions starting with \"x-\")",
            );
        }
        msg
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn errs(text: &str) -> Vec<String> {
        let file: Arc<str> = Arc::from("compose.yaml");
        let docs = super::super::yaml::parse_documents(text, &file).expect("yaml");
        validate(&docs[0]).iter().map(|e| e.to_string()).collect()
    }

    #[test]
    fn every_ref_resolves() {
        fn walk(s: &Sch) {
            match s {
                Sch::Ref(n) => {
                    definition(n);
                }
                Sch::Array(i, _) | Sch::Named(_, i) => walk(i),
                Sch::Object(o) => {
                    o.props.iter().for_each(|(_, s)| walk(s));
                    o.patterns.iter().for_each(|(_, s)| walk(s));
                }
                Sch::OneOf(b) => b.iter().for_each(walk),
                _ => {}
            }
        }
        walk(&ROOT);
        DEFINITIONS.iter().for_each(|(_, s)| walk(s));
    }

    #[test]
    fn one_of_branches_are_type_disjoint() {
        fn walk(s: &Sch) {
            match s {
                Sch::OneOf(b) => {
                    for (i, x) in b.iter().enumerate() {
                        for y in &b[i + 1..] {
                            let (a, c) = (accepted(x), accepted(y));
                            // integer/number overlap counts as overlap
                            let widen = |t: Ty| {
                                if t.intersects(Ty::NUM) {
                                    t.or(Ty::INT)
                                } else {
                                    t
                                }
                            };
                            assert!(!widen(a).intersects(widen(c)), "{s:?}");
                        }
                    }
                    b.iter().for_each(walk);
                }
                Sch::Array(i, _) | Sch::Named(_, i) => walk(i),
                Sch::Object(o) => {
                    o.props.iter().for_each(|(_, s)| walk(s));
                    o.patterns.iter().for_each(|(_, s)| walk(s));
                }
                _ => {}
            }
        }
        walk(&ROOT);
        DEFINITIONS.iter().for_each(|(_, s)| walk(s));
    }

    #[test]
    fn accepts_minimal() {
        assert!(errs("services:\n  web:\n    image: nginx\n").is_empty());
    }

    #[test]
    fn suggestions() {
        let props = ["image", "ports", "environment", "depends_on"];
        assert_eq!(suggest("imagee", props.iter().copied()), Some("image"));
        assert_eq!(
            suggest("enviroment", props.iter().copied()),
            Some("environment")
        );
        assert_eq!(
            suggest("depends-on", props.iter().copied()),
            Some("depends_on")
        );
        assert_eq!(suggest("Image", props.iter().copied()), Some("image"));
        assert_eq!(suggest("foo", props.iter().copied()), None);
    }
}
