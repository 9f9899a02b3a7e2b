//! `berth convert --chart DIR --values NAME=FILE`: one chart, a values file per customer.
//!
//! The customer's project (the base files plus a compose override) is converted like the base
//! one; its values (the same [`helm::chart_values`] that writes values.yaml) are diffed with the
//! chart's defaults, and only what differs goes into `values-NAME.yaml`. A difference the values
//! cannot carry is never dropped silently: the chart's templates of both conversions are
//! compared (values set only what the templates read from them, so any other difference shows
//! there), and so are the key sets of what values do not hold (secret environment variables,
//! new services, new claims).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::helm;
use crate::{Conversion, Object};
use berth_compose::render;

/// A difference of the customer's project that its values file cannot carry.
#[derive(Clone, Debug, PartialEq)]
pub struct Unexpressed {
    /// The values key (`services.worker`) or the chart file (`templates/deployment-web.yaml`).
    pub key: String,
    pub message: String,
}

/// The values of one customer: only what differs from the chart's values.yaml.
#[derive(Clone, Debug, PartialEq)]
pub struct CustomerValues {
    pub values: Value,
    pub unexpressed: Vec<Unexpressed>,
}

/// What `customer` (the project with the customer's override) needs on top of the chart written
/// from `base`.
pub fn customer_values(base: &Conversion, customer: &Conversion) -> CustomerValues {
    let vb = helm::chart_values(&base.chart);
    let vc = helm::chart_values(&customer.chart);
    let mut unexpressed = Vec::new();
    let values = diff(&vb, &vc, &mut Vec::new(), &mut unexpressed)
        .unwrap_or_else(|| Value::Object(Map::new()));
    secret_env(base, customer, &mut unexpressed);
    templates(base, customer, &mut unexpressed);
    CustomerValues {
        values,
        unexpressed,
    }
}

/// Maps under which a customer may add and remove keys (the schema allows any key there).
fn open_map(path: &[String]) -> bool {
    path.len() >= 3 && path[0] == "services" && matches!(path[2].as_str(), "env" | "resources")
}

/// The part of `cust` that differs from `base`, as Helm merges it: maps key by key (a key
/// removed from an open map is `null`, which Helm deletes), lists and scalars whole.
fn diff(
    base: &Value,
    cust: &Value,
    path: &mut Vec<String>,
    out: &mut Vec<Unexpressed>,
) -> Option<Value> {
    if base == cust {
        return None;
    }
    let (Value::Object(b), Value::Object(c)) = (base, cust) else {
        return Some(cust.clone());
    };
    let mut m = Map::new();
    for (k, cv) in c {
        path.push(k.clone());
        match b.get(k) {
            Some(bv) => {
                if let Some(d) = diff(bv, cv, path, out) {
                    m.insert(k.clone(), d);
                }
            }
            None if open_map(path) => {
                m.insert(k.clone(), cv.clone());
            }
            None => out.push(Unexpressed {
                key: path.join("."),
                message: format!("{} is not in the chart's values", what(path)),
            }),
        }
        path.pop();
    }
    for k in b.keys().filter(|k| !c.contains_key(*k)) {
        path.push(k.clone());
        if open_map(path) {
            m.insert(k.clone(), Value::Null);
        } else {
            out.push(Unexpressed {
                key: path.join("."),
                message: format!(
                    "the customer's project has no {}, which the chart always renders",
                    what(path)
                ),
            });
        }
        path.pop();
    }
    (!m.is_empty()).then_some(Value::Object(m))
}

/// Words for a values path.
fn what(path: &[String]) -> String {
    match path {
        [s, name] if s == "services" => format!("service {name}"),
        [s, name] if s == "volumes" => format!("shared volume claim {name}"),
        [s, name] if s == "secrets" => format!("compose secret {name}"),
        [s, svc, p, t] if s == "services" && p == "persistence" => {
            format!("volume claim template {t} of service {svc}")
        }
        [s, svc, k] if s == "services" => format!("{k} of service {svc}"),
        _ => path.join("."),
    }
}

/// Secret environment variables are not values: the chart reads them from a Secret the
/// customer creates, which must hold every variable the customer's project has.
fn secret_env(base: &Conversion, customer: &Conversion, out: &mut Vec<Unexpressed>) {
    for (name, c) in &customer.chart.services {
        let Some(b) = base.chart.services.get(name) else {
            continue;
        };
        let added: Vec<&str> = c
            .secret_env
            .keys()
            .filter(|k| !b.secret_env.contains_key(*k))
            .map(String::as_str)
            .collect();
        if !added.is_empty() {
            out.push(Unexpressed {
                key: format!("services.{name}.existingSecret"),
                message: format!(
                    "secret environment variable(s) {} of service {name} are not values (the chart's secrets.sh does not create them): put them into the Secret {} yourself",
                    added.join(", "),
                    c.env_secret
                ),
            });
        }
    }
}

/// The chart files that are not values: templates (and `files/`), with each Job's name (a hash
/// of its spec, so a new image tag renames it) replaced by a stand-in: in the chart a Job is a
/// hook, made again with whatever image the values give.
fn chart_templates(conv: &Conversion) -> BTreeMap<String, String> {
    let jobs: Vec<(String, String)> = conv
        .objects
        .iter()
        .filter_map(|o| match o {
            Object::Job(_) => {
                let base = o
                    .metadata()
                    .labels
                    .as_ref()
                    .and_then(|l| l.get("app.kubernetes.io/name"))
                    .cloned()
                    .unwrap_or_default();
                Some((o.name().to_string(), format!("{base}-<job>")))
            }
            _ => None,
        })
        .collect();
    let norm = |s: &str| {
        jobs.iter()
            .fold(s.to_string(), |acc, (from, to)| acc.replace(from, to))
    };
    helm::chart_files(conv)
        .into_iter()
        .filter(|(path, _)| path.starts_with("templates/") || path.starts_with("files/"))
        .filter(|(path, _)| path != "templates/NOTES.txt")
        .map(|(path, text)| (norm(&path), norm(&text)))
        .collect()
}

fn templates(base: &Conversion, customer: &Conversion, out: &mut Vec<Unexpressed>) {
    let tb = chart_templates(base);
    let tc = chart_templates(customer);
    let added: Vec<&str> = tc
        .keys()
        .filter(|p| !tb.contains_key(*p))
        .map(String::as_str)
        .collect();
    if !added.is_empty() {
        out.push(Unexpressed {
            key: added.join(", "),
            message: "objects (or files) the chart does not have".into(),
        });
    }
    let removed: Vec<&str> = tb
        .keys()
        .filter(|p| !tc.contains_key(*p))
        .map(String::as_str)
        .collect();
    if !removed.is_empty() {
        out.push(Unexpressed {
            key: removed.join(", "),
            message: "objects (or files) of the chart that the customer's project does not have"
                .into(),
        });
    }
    for (path, c) in &tc {
        let Some(b) = tb.get(path) else { continue };
        if b == c {
            continue;
        }
        // Lines compared without indentation and list dashes: YAML moves the dash to whichever
        // key of a list item sorts first.
        let norm = |t: &'_ str| -> BTreeSet<String> {
            t.lines()
                .map(|l| l.trim().trim_start_matches("- ").trim().to_string())
                .collect()
        };
        let (bl, cl) = (norm(b), norm(c));
        let mut parts = Vec::new();
        for (word, lines) in [
            ("adds", cl.difference(&bl).collect::<Vec<_>>()),
            ("drops", bl.difference(&cl).collect::<Vec<_>>()),
        ] {
            if lines.is_empty() {
                continue;
            }
            let shown: Vec<String> = lines.iter().take(3).map(|l| format!("{l:?}")).collect();
            let more = match lines.len().saturating_sub(3) {
                0 => String::new(),
                n => format!(" and {n} more line(s)"),
            };
            parts.push(format!("{word} {}{more}", shown.join(", ")));
        }
        if parts.is_empty() {
            parts.push("orders or nests the same lines differently".into());
        }
        out.push(Unexpressed {
            key: path.clone(),
            message: format!(
                "the customer's object differs from the chart's template where values cannot set it: it {}",
                parts.join("; ")
            ),
        });
    }
}

/// The text of `values-NAME.yaml`.
pub fn values_text(name: &str, file: &str, values: &Value) -> String {
    let mut s = format!(
        "# Values of customer {name}: only what differs from values.yaml, from the compose\n\
         # override {file}. Install with: helm install RELEASE ./CHART -f values-{name}.yaml\n"
    );
    s.push_str(&render::print_yaml(values));
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn d(b: Value, c: Value) -> (Option<Value>, Vec<String>) {
        let mut out = Vec::new();
        let v = diff(&b, &c, &mut Vec::new(), &mut out);
        (v, out.into_iter().map(|u| u.key).collect())
    }

    #[test]
    fn only_differences_and_null_for_keys_removed_from_open_maps() {
        let base = json!({"services": {"web": {
            "env": {"A": "1", "B": "2"}, "replicas": 1,
            "image": {"registry": "", "repository": "web", "tag": "1"},
            "ingress": {"hosts": [{"host": "", "paths": ["/"]}]}
        }}});
        let cust = json!({"services": {"web": {
            "env": {"A": "1", "C": "3"}, "replicas": 1,
            "image": {"registry": "r.lan", "repository": "web", "tag": "1"},
            "ingress": {"hosts": [{"host": "x.lan", "paths": ["/"]}]}
        }}});
        let (v, un) = d(base, cust);
        assert_eq!(
            v,
            Some(json!({"services": {"web": {
                "env": {"B": null, "C": "3"},
                "image": {"registry": "r.lan"},
                "ingress": {"hosts": [{"host": "x.lan", "paths": ["/"]}]}
            }}}))
        );
        assert!(un.is_empty());
    }

    #[test]
    fn keys_outside_the_values_are_reported_not_written() {
        let base = json!({"services": {"web": {"replicas": 1}}, "volumes": {"a": {}}});
        let cust =
            json!({"services": {"web": {"replicas": 2}, "worker": {"replicas": 1}}, "volumes": {}});
        let (v, un) = d(base, cust);
        assert_eq!(v, Some(json!({"services": {"web": {"replicas": 2}}})));
        assert_eq!(un, vec!["services.worker", "volumes.a"]);
        assert_eq!(d(json!({"x": 1}), json!({"x": 1})).0, None);
    }
}
