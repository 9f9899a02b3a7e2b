//! The service graph: services and their `depends_on` edges with conditions. It answers start
//! order, stop order, what a subset of services pulls in, and who depends on whom.

use std::collections::{BTreeMap, BTreeSet};

use petgraph::graphmap::DiGraphMap;

use crate::model::Project;

/// How a service waits for one of its dependencies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Condition {
    Started,
    Healthy,
    CompletedSuccessfully,
}

impl Condition {
    pub fn parse(s: Option<&str>) -> Condition {
        match s {
            Some("service_healthy") => Condition::Healthy,
            Some("service_completed_successfully") => Condition::CompletedSuccessfully,
            _ => Condition::Started,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Condition::Started => "service_started",
            Condition::Healthy => "service_healthy",
            Condition::CompletedSuccessfully => "service_completed_successfully",
        }
    }
}

/// One `depends_on` edge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dependency {
    pub service: String,
    pub condition: Condition,
    pub required: bool,
    pub restart: bool,
}

/// Services and what each depends on.
#[derive(Clone, Debug, Default)]
pub struct ServiceGraph {
    pub deps: BTreeMap<String, Vec<Dependency>>,
}

type Graph<'a> = DiGraphMap<&'a str, (), std::hash::RandomState>;

impl ServiceGraph {
    pub fn from_project(project: &Project) -> ServiceGraph {
        let mut deps = BTreeMap::new();
        for (name, svc) in &project.services {
            let list = svc
                .depends_on
                .iter()
                .map(|(d, c)| Dependency {
                    service: d.clone(),
                    condition: Condition::parse(c.condition.as_deref()),
                    required: c.required,
                    restart: c.restart,
                })
                .collect();
            deps.insert(name.clone(), list);
        }
        ServiceGraph { deps }
    }

    /// Dependencies of `service` that exist in the graph.
    pub fn dependencies(&self, service: &str) -> Vec<&Dependency> {
        self.deps
            .get(service)
            .map(|v| {
                v.iter()
                    .filter(|d| self.deps.contains_key(&d.service))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Services that depend on `service`.
    pub fn dependents(&self, service: &str) -> Vec<&str> {
        self.deps
            .iter()
            .filter(|(_, ds)| ds.iter().any(|d| d.service == service))
            .map(|(n, _)| n.as_str())
            .collect()
    }

    /// `names` and everything they depend on, transitively.
    pub fn with_dependencies(&self, names: &[String]) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut todo: Vec<String> = names.to_vec();
        while let Some(n) = todo.pop() {
            if !out.insert(n.clone()) {
                continue;
            }
            for d in self.dependencies(&n) {
                todo.push(d.service.clone());
            }
        }
        out
    }

    fn graph(&self) -> Graph<'_> {
        let mut g: Graph = DiGraphMap::default();
        for (n, ds) in &self.deps {
            g.add_node(n.as_str());
            for d in ds {
                if self.deps.contains_key(&d.service) {
                    g.add_edge(d.service.as_str(), n.as_str(), ());
                }
            }
        }
        g
    }

    /// Services in an order where each comes after its dependencies.
    pub fn start_order(&self) -> Vec<String> {
        match petgraph::algo::toposort(&self.graph(), None) {
            Ok(v) => v.into_iter().map(str::to_string).collect(),
            Err(_) => self.deps.keys().cloned().collect(),
        }
    }

    /// The start order in waves: every service of a wave depends only on services of earlier
    /// waves, so a wave's services can start together (dependencies outside the project, on a
    /// disabled profile or `required: false`, do not count). None when there is a cycle.
    pub fn start_waves(&self) -> Option<Vec<Vec<String>>> {
        let g = self.graph();
        let mut pending: BTreeMap<&str, usize> = g
            .nodes()
            .map(|n| {
                (
                    n,
                    g.neighbors_directed(n, petgraph::Direction::Incoming)
                        .count(),
                )
            })
            .collect();
        let mut waves = Vec::new();
        while !pending.is_empty() {
            let ready: Vec<&str> = pending
                .iter()
                .filter(|(_, n)| **n == 0)
                .map(|(s, _)| *s)
                .collect();
            if ready.is_empty() {
                return None;
            }
            for s in &ready {
                pending.remove(s);
                for next in g.neighbors_directed(s, petgraph::Direction::Outgoing) {
                    if let Some(n) = pending.get_mut(next) {
                        *n -= 1;
                    }
                }
            }
            waves.push(ready.into_iter().map(str::to_string).collect());
        }
        Some(waves)
    }

    /// The reverse of the start order: dependents first.
    pub fn stop_order(&self) -> Vec<String> {
        let mut v = self.start_order();
        v.reverse();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{load, LoadFlags, ProjectRequest};

    fn graph(yaml: &str) -> ServiceGraph {
        let request = ProjectRequest {
            files: vec!["-".into()],
            stdin: Some(yaml.into()),
            cwd: Some(std::env::temp_dir()),
            os_env: Some(Default::default()),
            project_name: Some("g".into()),
            ..Default::default()
        };
        let loaded = load(&request.resolve().unwrap(), &LoadFlags::default()).unwrap();
        ServiceGraph::from_project(&loaded.project)
    }

    #[test]
    fn orders_waves_and_neighbours_follow_depends_on() {
        let g = graph(
            "services:\n  db: {image: a}\n  cache: {image: a}\n  api:\n    image: a\n    depends_on:\n      db: {condition: service_healthy, restart: true}\n      cache: {condition: service_started}\n  web: {image: a, depends_on: [api]}\n  tool: {image: a, depends_on: {db: {condition: service_started, required: false}}}\n",
        );
        let order = g.start_order();
        let at = |s: &str| order.iter().position(|x| x == s).unwrap();
        assert!(at("db") < at("api") && at("cache") < at("api") && at("api") < at("web"));
        assert_eq!(
            g.start_waves().unwrap(),
            vec![
                vec!["cache".to_string(), "db".into()],
                vec!["api".into(), "tool".into()],
                vec!["web".into()],
            ]
        );
        assert_eq!(g.stop_order().first().map(String::as_str), Some("web"));
        let d = g.dependencies("api");
        assert_eq!(d.len(), 2);
        assert!(d
            .iter()
            .any(|d| d.service == "db" && d.condition == Condition::Healthy && d.restart));
        assert!(!g.dependencies("tool")[0].required);
        let mut dependents = g.dependents("db");
        dependents.sort();
        assert_eq!(dependents, ["api", "tool"]);
        let with: Vec<String> = g.with_dependencies(&["web".into()]).into_iter().collect();
        assert_eq!(with, ["api", "cache", "db", "web"]);
    }
}
