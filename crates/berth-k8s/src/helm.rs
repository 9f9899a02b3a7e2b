//! `berth convert --chart DIR`: a Helm chart whose rendering with its default values is exactly
//! the plain output (same objects, same fields), and whose values.yaml exposes, per service, the
//! image, replicas, resources, environment, persistence, Service type and Ingress.
//!
//! Templates are the plain objects printed as YAML, with markers put at the parameterised places
//! before printing and replaced by template text after: a scalar marker becomes `{{ expr }}`, a
//! block marker (a key of its own) becomes lines of template text at the key's indentation.
//! Object names, labels and namespaces stay literal, so the rendering does not depend on the
//! release name (`helm install -n NAMESPACE` places the objects). Strings that contain `{{`
//! (configuration files that are templates themselves) are read from `files/` so Helm never
//! interprets them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use super::names;
use super::settings::WorkloadKind;
use super::Object;
use super::{ChartPvc, ChartService, Conversion, ImageParts};
use berth_compose::render;

/// The chart's API version line and the oldest Kubernetes it targets.
const KUBE_VERSION: &str = ">=1.29.0-0";

type Block = Box<dyn Fn(&str) -> String>;

/// Collects markers while objects are templated.
#[derive(Default)]
struct Templater {
    scalars: Vec<String>,
    blocks: Vec<Block>,
    files: BTreeMap<String, String>,
}

impl Templater {
    /// A scalar marker standing for `{{ expr }}`.
    fn scalar(&mut self, expr: impl Into<String>) -> Value {
        let id = format!("zzberthscalar{:06}", self.scalars.len());
        self.scalars.push(expr.into());
        Value::String(id)
    }

    /// A key standing for a block of template lines; `f(indent)` writes them.
    fn block(&mut self, f: impl Fn(&str) -> String + 'static) -> String {
        let id = format!("zzberthblock{:06}", self.blocks.len());
        self.blocks.push(Box::new(f));
        id
    }

    /// Replaces strings that Helm would read as template text by `.Files.Get` of a file.
    fn protect(&mut self, v: &mut Value) {
        match v {
            Value::String(s) if s.contains("{{") || s.contains("}}") => {
                let name = format!("files/{}.txt", names::short_hash(s));
                self.files.insert(name.clone(), s.clone());
                *v = self.scalar(format!(".Files.Get {name:?} | toJson"));
            }
            Value::Array(a) => a.iter_mut().for_each(|x| self.protect(x)),
            Value::Object(m) => m.iter_mut().for_each(|(_, x)| self.protect(x)),
            _ => {}
        }
    }

    /// Prints `v` as YAML and replaces the markers.
    fn print(&self, v: &Value) -> String {
        let text = render::print_yaml(v);
        let mut out = String::with_capacity(text.len());
        for line in text.lines() {
            if let Some(pos) = line.find("zzberthblock") {
                let id: usize = line[pos + 12..pos + 18].parse().unwrap_or(usize::MAX);
                let indent = &line[..pos];
                if let Some(f) = self.blocks.get(id) {
                    out.push_str(&f(indent));
                    out.push('\n');
                }
                continue;
            }
            let mut l = line.to_string();
            while let Some(pos) = l.find("zzberthscalar") {
                let id: usize = l[pos + 13..pos + 19].parse().unwrap_or(usize::MAX);
                let expr = self.scalars.get(id).cloned().unwrap_or_default();
                l.replace_range(pos..pos + 19, &format!("{{{{ {expr} }}}}"));
            }
            out.push_str(&l);
            out.push('\n');
        }
        out
    }
}

/// `{{ include "<chart>.image" (dict "image" X "global" $.Values.global) | quote }}`.
fn image_expr(chart: &str, value: &str) -> String {
    format!("include \"{chart}.image\" (dict \"image\" {value} \"global\" $.Values.global) | quote")
}

fn image_value(i: &ImageParts) -> Value {
    json!({
        "registry": i.registry,
        "repository": i.repository,
        "tag": i.tag,
        "digest": i.digest,
    })
}

/// A JSON mapping with the keys of `m` and `f` of each value.
fn map_values<T>(m: &BTreeMap<String, T>, f: impl Fn(&T) -> Value) -> Map<String, Value> {
    m.iter().map(|(k, v)| (k.clone(), f(v))).collect()
}

fn pvc_value(p: &ChartPvc) -> Value {
    json!({
        "size": p.size,
        "storageClass": p.storage_class,
        "accessModes": p.access_modes,
    })
}

/// A Go string literal (service names only have `[a-zA-Z0-9._-]`, but be safe).
fn go_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// Where the pod spec is in a workload's JSON.
fn pod_spec_mut<'v>(kind: &str, v: &'v mut Value) -> Option<&'v mut Map<String, Value>> {
    let spec = v.get_mut("spec")?;
    let t = if kind == "CronJob" {
        spec.get_mut("jobTemplate")?
            .get_mut("spec")?
            .get_mut("template")?
    } else {
        spec.get_mut("template")?
    };
    t.get_mut("spec")?.as_object_mut()
}

/// The templated PVC spec fields (size, storage class, access modes) of `spec`, reading from the
/// values expression `pv` (`(index $svc.persistence "data")` or `(index .Values.volumes "x")`).
fn template_pvc_spec(t: &mut Templater, spec: &mut Map<String, Value>, pv: &str) {
    spec.shift_remove("storageClassName");
    spec.shift_remove("accessModes");
    if let Some(r) = spec
        .get_mut("resources")
        .and_then(|r| r.get_mut("requests"))
        .and_then(|r| r.as_object_mut())
    {
        r.insert("storage".into(), t.scalar(format!("{pv}.size | quote")));
    }
    let pv1 = pv.to_string();
    let k = t.block(move |i| {
        format!(
            "{i}accessModes:{{{{- toYaml {pv1}.accessModes | nindent {} }}}}",
            i.len() + 2
        )
    });
    spec.insert(k, Value::Null);
    let pv2 = pv.to_string();
    let k = t.block(move |i| {
        format!("{i}{{{{- with {pv2}.storageClass | default $.Values.global.storageClass }}}}\n{i}storageClassName: {{{{ . | quote }}}}\n{i}{{{{- end }}}}")
    });
    spec.insert(k, Value::Null);
}

struct ChartWriter<'a> {
    conv: &'a Conversion,
    chart: String,
    /// Object (kind, name) → the compose service it belongs to.
    owner: BTreeMap<(String, String), String>,
}

impl ChartWriter<'_> {
    fn svc_var(&self, service: &str) -> String {
        format!(
            "{{{{- $svc := index .Values.services {} }}}}\n",
            go_str(service)
        )
    }

    /// The template text of one object, or `None` when a generated template replaces it.
    fn template(&self, o: &Object, files: &mut BTreeMap<String, String>) -> Option<String> {
        let cm = &self.conv.chart;
        let mut v = o.to_value();
        if let Some(m) = v.get_mut("metadata").and_then(|m| m.as_object_mut()) {
            m.shift_remove("namespace");
            // A Job is a hook, made again on each install and upgrade (its spec is immutable).
            if let (Object::Job(_), Some(hook)) = (o, cm.job_hooks.get(o.name())) {
                let a = m.entry("annotations").or_insert_with(|| json!({}));
                if let Some(a) = a.as_object_mut() {
                    a.extend(hook.iter().map(|(k, v)| (k.clone(), json!(v))));
                    a.sort_keys();
                }
            }
        }
        let mut t = Templater::default();
        t.protect(&mut v);
        let owner = self
            .owner
            .get(&(o.kind().to_string(), o.name().to_string()))
            .cloned();
        let svc: Option<&ChartService> = owner.as_ref().and_then(|s| cm.services.get(s));
        let mut header = String::new();
        match o {
            Object::Ingress(_) => return None,
            Object::ConfigMap(_) if svc.is_some_and(|s| s.env_configmap == o.name()) => {
                return None
            }
            Object::Secret(_) if svc.is_some_and(|s| s.env_secret == o.name()) => {
                header = format!(
                    "{}{{{{- if not $svc.existingSecret }}}}\n",
                    self.svc_var(owner.as_deref().unwrap_or_default())
                );
                let mut body = t.print(&v);
                body.push_str("{{- end }}\n");
                files.extend(t.files);
                return Some(format!("{header}{body}"));
            }
            Object::Service(_) => {
                if let (Some(s), Some(owner)) = (svc, &owner) {
                    if s.service.as_ref().is_some_and(|(n, _)| n == o.name()) {
                        header = self.svc_var(owner);
                        if let Some(spec) = v.get_mut("spec").and_then(|s| s.as_object_mut()) {
                            spec.insert("type".into(), t.scalar("$svc.service.type | quote"));
                        }
                    }
                }
            }
            Object::PersistentVolumeClaim(_) if cm.volumes.contains_key(o.name()) => {
                let pv = format!("(index .Values.volumes {})", go_str(o.name()));
                if let Some(spec) = v.get_mut("spec").and_then(|s| s.as_object_mut()) {
                    template_pvc_spec(&mut t, spec, &pv);
                }
            }
            Object::Deployment(_)
            | Object::StatefulSet(_)
            | Object::DaemonSet(_)
            | Object::Job(_)
            | Object::CronJob(_) => {
                if let (Some(s), Some(owner)) = (svc, &owner) {
                    header = self.svc_var(owner);
                    self.template_workload(&mut t, o.kind(), &mut v, s);
                }
            }
            _ => {}
        }
        let body = t.print(&v);
        files.extend(t.files);
        Some(format!("{header}{body}"))
    }

    fn template_workload(&self, t: &mut Templater, kind: &str, v: &mut Value, s: &ChartService) {
        let chart = self.chart.clone();
        let cm = &self.conv.chart;
        if matches!(s.kind, WorkloadKind::Deployment | WorkloadKind::StatefulSet) {
            if let Some(spec) = v.get_mut("spec").and_then(|x| x.as_object_mut()) {
                spec.insert("replicas".into(), t.scalar("$svc.replicas"));
            }
        }
        if kind == "StatefulSet" {
            if let Some(tpls) = v
                .get_mut("spec")
                .and_then(|x| x.get_mut("volumeClaimTemplates"))
                .and_then(|x| x.as_array_mut())
            {
                for tpl in tpls {
                    let name = tpl
                        .pointer("/metadata/name")
                        .and_then(|n| n.as_str())
                        .unwrap_or_default()
                        .to_string();
                    let pv = format!("(index $svc.persistence {})", go_str(&name));
                    if let Some(spec) = tpl.get_mut("spec").and_then(|x| x.as_object_mut()) {
                        template_pvc_spec(t, spec, &pv);
                    }
                }
            }
        }
        let Some(pod) = pod_spec_mut(kind, v) else {
            return;
        };
        self.template_secret_names(t, pod);
        pod.shift_remove("imagePullSecrets");
        let k = t.block(|i| {
            format!(
                "{i}{{{{- $ps := concat $.Values.global.imagePullSecrets $svc.imagePullSecrets | uniq }}}}\n\
                 {i}{{{{- with $ps }}}}\n\
                 {i}imagePullSecrets:\n\
                 {i}  {{{{- range . }}}}\n\
                 {i}  - name: {{{{ . | quote }}}}\n\
                 {i}  {{{{- end }}}}\n\
                 {i}{{{{- end }}}}"
            )
        });
        pod.insert(k, Value::Null);
        for ic in pod
            .get_mut("initContainers")
            .and_then(|x| x.as_array_mut())
            .into_iter()
            .flatten()
        {
            let img = ic
                .get("image")
                .and_then(|i| i.as_str())
                .unwrap_or_default()
                .to_string();
            let which = if img == cm.wait_image {
                Some(".Values.waitImage")
            } else if img == cm.job_wait_image {
                Some(".Values.jobWaitImage")
            } else {
                None
            };
            if let (Some(w), Some(m)) = (which, ic.as_object_mut()) {
                m.insert(
                    "image".into(),
                    t.scalar(image_expr(&chart, &format!("${w}"))),
                );
            }
        }
        let Some(c) = pod
            .get_mut("containers")
            .and_then(|x| x.as_array_mut())
            .and_then(|a| a.first_mut())
            .and_then(|c| c.as_object_mut())
        else {
            return;
        };
        c.insert("image".into(), t.scalar(image_expr(&chart, "$svc.image")));
        c.shift_remove("resources");
        let k = t.block(|i| {
            format!(
                "{i}{{{{- with $svc.resources }}}}\n{i}resources:{{{{- toYaml . | nindent {} }}}}\n{i}{{{{- end }}}}",
                i.len() + 2
            )
        });
        c.insert(k, Value::Null);
        c.shift_remove("envFrom");
        let cm_name = s.env_configmap.clone();
        let secret_name = s.env_secret.clone();
        // Without --embed-secrets the chart has no Secret of its own: existingSecret names it.
        let has_secret = !s.secret_env.is_empty() && cm.embed_secrets;
        let k = t.block(move |i| {
            let secret_cond = if has_secret { "true" } else { "false" };
            format!(
                "{i}{{{{- if or $svc.env $svc.existingSecret {secret_cond} }}}}\n\
                 {i}envFrom:\n\
                 {i}  {{{{- if $svc.env }}}}\n\
                 {i}  - configMapRef:\n\
                 {i}      name: {cm_name}\n\
                 {i}  {{{{- end }}}}\n\
                 {i}  {{{{- if $svc.existingSecret }}}}\n\
                 {i}  - secretRef:\n\
                 {i}      name: {{{{ $svc.existingSecret | quote }}}}\n\
                 {i}  {{{{- else if {secret_cond} }}}}\n\
                 {i}  - secretRef:\n\
                 {i}      name: {secret_name}\n\
                 {i}  {{{{- end }}}}\n\
                 {i}{{{{- end }}}}"
            )
        });
        c.insert(k, Value::Null);
    }

    /// The Secrets of compose `secrets:` that the pod mounts, named by values
    /// (`secrets.<key>.existingSecret`) when the chart does not hold them.
    fn template_secret_names(&self, t: &mut Templater, pod: &mut Map<String, Value>) {
        let key_of: BTreeMap<&str, &str> = self
            .conv
            .chart
            .secrets
            .iter()
            .map(|(key, name)| (name.as_str(), key.as_str()))
            .collect();
        let mut name_it = |n: &mut Value| {
            if let Some(key) = n.as_str().and_then(|n| key_of.get(n)) {
                *n = t.scalar(format!(
                    "(index $.Values.secrets {}).existingSecret | quote",
                    go_str(key)
                ));
            }
        };
        for vol in pod
            .get_mut("volumes")
            .and_then(|x| x.as_array_mut())
            .into_iter()
            .flatten()
        {
            if let Some(n) = vol.pointer_mut("/secret/secretName") {
                name_it(n);
            }
            for src in vol
                .pointer_mut("/projected/sources")
                .and_then(|x| x.as_array_mut())
                .into_iter()
                .flatten()
            {
                if let Some(n) = src.pointer_mut("/secret/name") {
                    name_it(n);
                }
            }
        }
    }

    /// The env ConfigMap of a service, from values.
    fn env_configmap(&self, service: &str, s: &ChartService) -> String {
        let labels = render::print_yaml(&json!({
            "app.kubernetes.io/instance": self.conv.chart.instance,
            "app.kubernetes.io/name": s.base,
        }));
        let labels: String = labels.lines().map(|l| format!("    {l}\n")).collect();
        format!(
            "{}{{{{- with $svc.env }}}}\n\
             apiVersion: v1\n\
             data:\n\
             \x20 {{{{- range $k, $v := . }}}}\n\
             \x20 {{{{ $k | quote }}}}: {{{{ $v | toString | quote }}}}\n\
             \x20 {{{{- end }}}}\n\
             kind: ConfigMap\n\
             metadata:\n\
             \x20 labels:\n{labels}\
             \x20 name: {}\n\
             {{{{- end }}}}\n",
            self.svc_var(service),
            s.env_configmap
        )
    }

    /// The Ingress of a service, from values.
    fn ingress(&self, service: &str, s: &ChartService) -> String {
        let labels = render::print_yaml(&json!({
            "app.kubernetes.io/instance": self.conv.chart.instance,
            "app.kubernetes.io/name": s.base,
        }));
        let labels: String = labels.lines().map(|l| format!("    {l}\n")).collect();
        let backend = s
            .service
            .as_ref()
            .map(|(n, _)| n.clone())
            .unwrap_or_default();
        format!(
            "{}{{{{- if $svc.ingress.enabled }}}}\n\
             {{{{- $rules := list }}}}\n\
             {{{{- range $svc.ingress.hosts }}}}\n\
             \x20 {{{{- $paths := list }}}}\n\
             \x20 {{{{- range .paths }}}}\n\
             \x20   {{{{- $backend := dict \"service\" (dict \"name\" {} \"port\" (dict \"number\" $svc.ingress.port)) }}}}\n\
             \x20   {{{{- $paths = append $paths (dict \"backend\" $backend \"path\" . \"pathType\" \"Prefix\") }}}}\n\
             \x20 {{{{- end }}}}\n\
             \x20 {{{{- $rule := dict \"http\" (dict \"paths\" $paths) }}}}\n\
             \x20 {{{{- with .host }}}}{{{{- $_ := set $rule \"host\" . }}}}{{{{- end }}}}\n\
             \x20 {{{{- $rules = append $rules $rule }}}}\n\
             {{{{- end }}}}\n\
             apiVersion: networking.k8s.io/v1\n\
             kind: Ingress\n\
             metadata:\n\
             \x20 labels:\n{labels}\
             \x20 name: {}\n\
             spec:\n\
             \x20 {{{{- with $svc.ingress.className }}}}\n\
             \x20 ingressClassName: {{{{ . | quote }}}}\n\
             \x20 {{{{- end }}}}\n\
             \x20 rules:{{{{- toYaml $rules | nindent 4 }}}}\n\
             \x20 {{{{- with $svc.ingress.tls }}}}\n\
             \x20 tls:{{{{- toYaml . | nindent 4 }}}}\n\
             \x20 {{{{- end }}}}\n\
             {{{{- end }}}}\n",
            self.svc_var(service),
            go_str(&backend),
            s.base
        )
    }
}

/// The Secret a service's secret environment is read from by default: none in the chart (`""`
/// with `--embed-secrets`, where the chart holds it), else the one the objects reference.
fn default_existing_secret(s: &ChartService, embed: bool) -> &str {
    if embed || s.secret_env.is_empty() {
        ""
    } else {
        &s.env_secret
    }
}

/// The values of a service (defaults reproduce the plain output).
fn service_values(s: &ChartService, embed: bool) -> Value {
    let mut m = Map::new();
    m.insert("image".into(), image_value(&s.image));
    if let Some(r) = s.replicas {
        m.insert("replicas".into(), json!(r));
    }
    m.insert("resources".into(), s.resources.clone());
    m.insert("env".into(), json!(s.env));
    m.insert(
        "existingSecret".into(),
        json!(default_existing_secret(s, embed)),
    );
    m.insert("imagePullSecrets".into(), json!(s.image_pull_secrets));
    let pers: Map<String, Value> = s
        .persistence
        .iter()
        .map(|(k, p)| (k.clone(), pvc_value(p)))
        .collect();
    m.insert("persistence".into(), Value::Object(pers));
    if let Some((_, ty)) = &s.service {
        m.insert("service".into(), json!({ "type": ty }));
    }
    if !s.ports.is_empty() && s.service.is_some() {
        let ing = s.ingress.clone().unwrap_or_default();
        let mut by_host: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (h, p) in &ing.rules {
            let e = by_host.entry(h.clone()).or_default();
            if !e.contains(p) {
                e.push(p.clone());
            }
        }
        let hosts: Vec<Value> = by_host
            .iter()
            .map(|(h, ps)| json!({"host": h, "paths": ps}))
            .collect();
        let tls: Vec<Value> = match &ing.tls_secret {
            Some(secret) => {
                let th: Vec<&String> = by_host.keys().filter(|h| !h.is_empty()).collect();
                let mut e = Map::new();
                if !th.is_empty() {
                    e.insert("hosts".into(), json!(th));
                }
                e.insert("secretName".into(), json!(secret));
                vec![Value::Object(e)]
            }
            None => Vec::new(),
        };
        let port = if s.ingress.is_some() {
            s.ingress_port
        } else {
            s.ports.first().copied().unwrap_or(80)
        };
        m.insert(
            "ingress".into(),
            json!({
                "enabled": s.ingress.is_some(),
                "className": ing.class.clone().unwrap_or_default(),
                "port": port,
                "hosts": hosts,
                "tls": tls,
            }),
        );
    }
    Value::Object(m)
}

/// A Secret's name (a DNS-1123 subdomain).
const SECRET_NAME: &str = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";

/// The values of the Secrets of compose `secrets:` the chart references:
/// `<key>.existingSecret`.
fn secrets_schema(secrets: &BTreeMap<String, String>) -> Value {
    let one = json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["existingSecret"],
        "properties": {
            "existingSecret": {"type": "string", "pattern": SECRET_NAME, "description": "the Secret that holds this compose secret (the chart holds no secret value)"}
        }
    });
    let props: Map<String, Value> = secrets.keys().map(|k| (k.clone(), one.clone())).collect();
    json!({"type": "object", "additionalProperties": false, "properties": props})
}

/// The JSON schema of an image value.
fn image_schema() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["repository"],
        "properties": {
            "registry": {"type": "string", "description": "registry host[:port][/prefix]; empty for the image's own"},
            "repository": {"type": "string", "minLength": 1},
            "tag": {"type": "string"},
            "digest": {"type": "string", "pattern": "^$|^sha256:[a-f0-9]{64}$"}
        }
    })
}

fn quantity_schema() -> Value {
    json!({
        "anyOf": [
            {"type": "string", "pattern": "^[+-]?[0-9]+(\\.[0-9]+)?([EPTGMK]i|[numkMGTPE]|[eE][+-]?[0-9]+)?$"},
            {"type": "number"}
        ]
    })
}

/// A StorageClass name (a DNS-1123 subdomain), or empty.
fn storage_class_schema(description: &str) -> Value {
    json!({
        "type": "string",
        "pattern": "^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
        "description": description
    })
}

fn pvc_schema() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["size", "accessModes"],
        "properties": {
            "size": {"type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?([EPTGMK]i|[kMGTPE])?$"},
            "storageClass": storage_class_schema("this claim's StorageClass; empty for global.storageClass"),
            "accessModes": {
                "type": "array",
                "minItems": 1,
                "items": {"enum": ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"]}
            }
        }
    })
}

fn service_schema(s: &ChartService, embed: bool) -> Value {
    let q = quantity_schema();
    let res_map = json!({"type": "object", "additionalProperties": q});
    let mut props = Map::new();
    props.insert("image".into(), image_schema());
    if s.replicas.is_some() {
        props.insert("replicas".into(), json!({"type": "integer", "minimum": 0}));
    }
    props.insert(
        "resources".into(),
        json!({
            "type": "object",
            "additionalProperties": false,
            "properties": {"limits": res_map, "requests": res_map}
        }),
    );
    props.insert(
        "env".into(),
        json!({"type": "object", "additionalProperties": {"type": "string"}}),
    );
    let existing = if default_existing_secret(s, embed).is_empty() {
        json!({"type": "string", "description": "a Secret to take the secret environment from, instead of the chart's"})
    } else {
        json!({"type": "string", "pattern": SECRET_NAME, "description": "the Secret the secret environment is read from (the chart holds no secret value)"})
    };
    props.insert("existingSecret".into(), existing);
    props.insert(
        "imagePullSecrets".into(),
        json!({"type": "array", "items": {"type": "string"}}),
    );
    let pers: Map<String, Value> = s
        .persistence
        .keys()
        .map(|k| (k.clone(), pvc_schema()))
        .collect();
    props.insert(
        "persistence".into(),
        json!({"type": "object", "additionalProperties": false, "properties": pers}),
    );
    if s.service.is_some() {
        props.insert(
            "service".into(),
            json!({
                "type": "object",
                "additionalProperties": false,
                "properties": {"type": {"enum": ["ClusterIP", "NodePort", "LoadBalancer"]}}
            }),
        );
    }
    if !s.ports.is_empty() && s.service.is_some() {
        props.insert(
            "ingress".into(),
            json!({
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "enabled": {"type": "boolean"},
                    "className": {"type": "string"},
                    "port": {"enum": s.ports},
                    "hosts": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "additionalProperties": false,
                            "required": ["paths"],
                            "properties": {
                                "host": {"type": "string", "pattern": "^$|^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"},
                                "paths": {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": "^/"}}
                            }
                        }
                    },
                    "tls": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "additionalProperties": false,
                            "properties": {
                                "hosts": {"type": "array", "items": {"type": "string"}},
                                "secretName": {"type": "string"}
                            }
                        }
                    }
                }
            }),
        );
    }
    let required: Vec<&str> = props.keys().map(String::as_str).collect();
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": required,
        "properties": props
    })
}

/// The chart's default values (values.yaml without its comments), keys sorted: the one mapping
/// from what a conversion parameterises to values, also used to diff two conversions
/// (`crate::customer`).
pub fn chart_values(cm: &super::ChartModel) -> Value {
    let services = map_values(&cm.services, |s| service_values(s, cm.embed_secrets));
    let volumes = map_values(&cm.volumes, pvc_value);
    let mut values = json!({
        "global": {"imageRegistry": "", "imagePullSecrets": [], "storageClass": cm.storage_class},
        "waitImage": image_value(&ImageParts::of(&cm.wait_image)),
        "jobWaitImage": image_value(&ImageParts::of(&cm.job_wait_image)),
        "services": services,
        "volumes": volumes,
    });
    if !cm.secrets.is_empty() {
        values["secrets"] = Value::Object(map_values(
            &cm.secrets,
            |name| json!({ "existingSecret": name }),
        ));
    }
    super::sort_keys(values)
}

/// The chart's files: relative path → content.
pub fn chart_files(conv: &Conversion) -> BTreeMap<String, String> {
    let cm = &conv.chart;
    let chart = names::label(&cm.project, names::LABEL_MAX);
    let by_base: BTreeMap<&str, &String> = cm
        .services
        .iter()
        .map(|(k, s)| (s.base.as_str(), k))
        .collect();
    let mut owner = BTreeMap::new();
    for o in &conv.objects {
        let base = o
            .metadata()
            .labels
            .as_ref()
            .and_then(|l| l.get("app.kubernetes.io/name"));
        if let Some(svc) = base.and_then(|b| by_base.get(b.as_str())) {
            owner.insert((o.kind().to_string(), o.name().to_string()), (*svc).clone());
        }
    }
    let w = ChartWriter {
        conv,
        chart: chart.clone(),
        owner,
    };
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    let mut extra = BTreeMap::new();
    for o in &conv.objects {
        if matches!(o, Object::Namespace(_)) {
            continue;
        }
        if let Some(text) = w.template(o, &mut extra) {
            let path = format!(
                "templates/{}-{}.yaml",
                o.kind().to_ascii_lowercase(),
                o.name()
            );
            files.insert(path, text);
        }
    }
    for (svc, s) in &cm.services {
        files.insert(
            format!("templates/configmap-{}.yaml", s.env_configmap),
            w.env_configmap(svc, s),
        );
        if !s.ports.is_empty() && s.service.is_some() {
            files.insert(
                format!("templates/ingress-{}.yaml", s.base),
                w.ingress(svc, s),
            );
        }
    }
    files.extend(extra);
    // values.yaml
    let values = chart_values(cm);
    let mut vtext = String::from(
        "# Values of the chart berth wrote from the compose project. With these defaults the chart\n\
         # renders exactly the objects of `berth convert` without --chart.\n\
         #\n\
         # global.imageRegistry: HOST[:PORT][/PREFIX] that replaces the registry of every image.\n\
         # global.storageClass: the StorageClass of every claim whose own storageClass is empty\n\
         #   (empty: the cluster's default, which many bare-metal clusters do not have).\n\
         # services.<name>: image, replicas, resources, env (plain settings, a ConfigMap),\n\
         #   existingSecret (the Secret the secret environment is read from), persistence (claim\n\
         #   templates of a StatefulSet), service.type, ingress.\n\
         # secrets.<secret>.existingSecret: the Secret that holds a compose secret.\n\
         # volumes.<claim>: PersistentVolumeClaims shared by services.\n\
         # The chart holds no secret value (unless written with --embed-secrets): create the\n\
         # Secrets it names first (secrets.sh in the chart's directory has the commands).\n",
    );
    vtext.push_str(&render::print_yaml(&values));
    files.insert("values.yaml".into(), vtext);
    // values.schema.json
    let svc_schemas = map_values(&cm.services, |s| service_schema(s, cm.embed_secrets));
    let vol_schemas = map_values(&cm.volumes, |_| pvc_schema());
    let schema = json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": format!("values of the {chart} chart"),
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "global": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "imageRegistry": {"type": "string", "pattern": "^$|^[a-zA-Z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)*$"},
                    "imagePullSecrets": {"type": "array", "items": {"type": "string"}},
                    "storageClass": storage_class_schema("the StorageClass of every claim whose own storageClass is empty; empty for the cluster's default")
                }
            },
            "waitImage": image_schema(),
            "jobWaitImage": image_schema(),
            "services": {"type": "object", "additionalProperties": false, "properties": svc_schemas},
            "secrets": secrets_schema(&cm.secrets),
            "volumes": {"type": "object", "additionalProperties": false, "properties": vol_schemas}
        }
    });
    let mut stext = serde_json::to_string_pretty(&schema).unwrap_or_default();
    stext.push('\n');
    files.insert("values.schema.json".into(), stext);
    // Chart.yaml
    files.insert(
        "Chart.yaml".into(),
        render::print_yaml(&json!({
            "apiVersion": "v2",
            "name": chart,
            "description": format!("Kubernetes objects of the compose project {}, written by berth", cm.project),
            "type": "application",
            "version": "0.1.0",
            "appVersion": "0.1.0",
            "kubeVersion": KUBE_VERSION,
        })),
    );
    files.insert(
        "templates/_helpers.tpl".into(),
        format!(
            "{{{{/* The image reference: global.imageRegistry, or the image's registry, then repository, tag, digest. */}}}}\n\
             {{{{- define \"{chart}.image\" -}}}}\n\
             {{{{- $registry := .global.imageRegistry | default .image.registry -}}}}\n\
             {{{{- if $registry }}}}{{{{ $registry }}}}/{{{{ end }}}}{{{{ .image.repository }}}}\n\
             {{{{- with .image.tag }}}}:{{{{ . }}}}{{{{ end }}}}\n\
             {{{{- with .image.digest }}}}@{{{{ . }}}}{{{{ end }}}}\n\
             {{{{- end -}}}}\n"
        ),
    );
    files.insert("templates/NOTES.txt".into(), notes(conv));
    // The commands that create the Secrets stay out of a packaged chart.
    files.insert(
        ".helmignore".into(),
        format!("{}\n", crate::secrets::SCRIPT),
    );
    files
}

fn notes(conv: &Conversion) -> String {
    let cm = &conv.chart;
    let mut s = format!(
        "The {} project is installed as release {{{{ .Release.Name }}}} in namespace {{{{ .Release.Namespace }}}}.\n\n\
         Its pods:\n  kubectl -n {{{{ .Release.Namespace }}}} get pods -l app.kubernetes.io/instance={}\n",
        cm.project, cm.instance
    );
    let mut any = false;
    for (name, svc) in &cm.services {
        let Some(port) = svc.ports.first() else {
            continue;
        };
        if svc.service.is_none() {
            continue;
        }
        if !any {
            s.push_str("\nReach a service from this machine:\n");
            any = true;
        }
        let local = if *port < 1024 { 8000 + port } else { *port };
        s.push_str(&format!(
            "  {name}: kubectl -n {{{{ .Release.Namespace }}}} port-forward svc/{} {local}:{port}\n",
            svc.base
        ));
        s.push_str(&format!(
            "{{{{- with (index .Values.services {}).ingress }}}}{{{{- if .enabled }}}}{{{{- range .hosts }}}}\n    ingress: http://{{{{ .host | default \"<ingress address>\" }}}}{{{{ first .paths }}}}{{{{- end }}}}{{{{- end }}}}{{{{- end }}}}\n",
            go_str(name)
        ));
    }
    if !cm.embed_secrets && !conv.secrets.is_empty() {
        s.push_str("\nThe pods read these Secrets, which the chart does not hold (secrets.sh has the commands):\n");
        for sec in &conv.secrets {
            s.push_str(&format!("  {}\n", secret_name_expr(cm, &sec.name)));
        }
    }
    s
}

/// The name of Secret `name` as the chart renders it: from values when they set it.
fn secret_name_expr(cm: &super::ChartModel, name: &str) -> String {
    if let Some(key) = cm.secrets.iter().find(|(_, n)| *n == name).map(|(k, _)| k) {
        return format!(
            "{{{{ (index .Values.secrets {}).existingSecret }}}}",
            go_str(key)
        );
    }
    match cm.services.iter().find(|(_, s)| s.env_secret == name) {
        Some((svc, _)) => format!(
            "{{{{ (index .Values.services {}).existingSecret }}}}",
            go_str(svc)
        ),
        None => name.to_string(),
    }
}

/// Writes the chart into `dir`; returns the files written.
///
/// A directory that already holds a chart berth wrote gets its `templates/` and `files/` replaced
/// (templates of services that are gone would otherwise still render); any other non-empty
/// directory is refused.
pub fn write_chart(dir: &Path, conv: &Conversion) -> Result<Vec<PathBuf>, String> {
    if let Ok(mut rd) = std::fs::read_dir(dir) {
        if rd.next().is_some() {
            let ours = std::fs::read_to_string(dir.join("Chart.yaml"))
                .is_ok_and(|t| t.contains("written by berth"));
            if !ours {
                return Err(format!(
                    "{} is not empty and holds no chart berth wrote: choose a new or empty directory",
                    dir.display()
                ));
            }
            for sub in ["templates", "files"] {
                let p = dir.join(sub);
                if p.is_dir() {
                    std::fs::remove_dir_all(&p)
                        .map_err(|e| format!("cannot clear {}: {e}", p.display()))?;
                }
            }
        }
    }
    let files = chart_files(conv);
    let mut written = Vec::new();
    for (rel, text) in files {
        let path = dir.join(&rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}
