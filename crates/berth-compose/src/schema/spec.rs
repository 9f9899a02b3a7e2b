//! The Compose Specification's schema, as compose-go v2.4.8 (what Compose v2.26.1 embeds)
//! enforces it: the document root, the service, and the named definitions.

use super::nodes::{Obj, Pat, Sch, Ty};

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

/// A mapping of names (`services:`, `volumes:` …) to definition `$def`, closed or open to
/// `x-*` keys as `$rest` (an `Obj` preset) says.
macro_rules! named {
    ($def:literal, $rest:ident) => {
        Sch::Object(&Obj {
            patterns: &[(Pat::Name, Sch::Ref($def))],
            ..Obj::$rest
        })
    };
}

/// The document root.
pub(crate) static ROOT: Sch = Sch::Object(&Obj {
    props: &[
        ("version", STR),
        ("name", STR),
        ("include", Sch::Array(&Sch::Ref("include"), false)),
        ("services", named!("service", CLOSED)),
        ("networks", named!("network", OPEN)),
        ("volumes", named!("volume", CLOSED)),
        ("secrets", named!("secret", CLOSED)),
        ("configs", named!("config", CLOSED)),
    ],
    ..Obj::EXT
});

pub(super) const BUILD: Obj = Obj {
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

pub(super) const SERVICE: Obj = Obj {
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

pub(super) const DEFINITIONS: &[(&str, Sch)] = &[
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

/// The named definition `#/definitions/<name>`.
pub(crate) fn definition(name: &str) -> &'static Sch {
    DEFINITIONS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, s)| s)
        .unwrap_or_else(|| panic!("schema: no definition {name:?}"))
}
