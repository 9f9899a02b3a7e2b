//! RBAC: the service account of a pod, and the ServiceAccount, Role and RoleBinding that let a
//! pod read the Jobs it waits for.

use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};

use super::{meta, names, svc_path, Ctx, Object};
use crate::settings::ServiceSettings;

impl<'a> Ctx<'a> {
    /// The pod's service account: the one the settings name (expected to exist), or, when the
    /// pod waits for Jobs, one allowed to read them.
    pub(super) fn service_account(
        &mut self,
        name: &str,
        base: &str,
        st: &ServiceSettings,
        waits_for_jobs: &[String],
    ) -> Option<String> {
        let mut sa = st.service_account.clone();
        if let Some(s) = &sa {
            self.externals.insert(("ServiceAccount".into(), s.clone()));
        }
        if !waits_for_jobs.is_empty() {
            let sa_name = sa.clone().unwrap_or_else(|| names::derived(base, "wait"));
            self.job_rbac(
                name,
                base,
                &sa_name,
                waits_for_jobs,
                st.service_account.is_none(),
            );
            sa = Some(sa_name);
        }
        sa
    }

    /// ServiceAccount, Role and RoleBinding that let a pod read the Jobs it waits for.
    fn job_rbac(&mut self, name: &str, base: &str, sa: &str, jobs: &[String], create_sa: bool) {
        let sel = self.selector(base);
        if create_sa {
            self.objects.push(Object::ServiceAccount(ServiceAccount {
                metadata: meta(sa, sel.clone()),
                automount_service_account_token: Some(false),
                ..Default::default()
            }));
        }
        let role = names::derived(base, "wait");
        self.objects.push(Object::Role(Role {
            metadata: meta(&role, sel.clone()),
            rules: Some(vec![PolicyRule {
                api_groups: Some(vec!["batch".into()]),
                resources: Some(vec!["jobs".into()]),
                resource_names: Some(jobs.to_vec()),
                verbs: vec!["get".into()],
                ..Default::default()
            }]),
        }));
        self.objects.push(Object::RoleBinding(RoleBinding {
            metadata: meta(&role, sel),
            role_ref: RoleRef {
                api_group: "rbac.authorization.k8s.io".into(),
                kind: "Role".into(),
                name: role.clone(),
            },
            subjects: Some(vec![Subject {
                kind: "ServiceAccount".into(),
                name: sa.to_string(),
                namespace: self.opts.namespace.clone(),
                ..Default::default()
            }]),
        }));
        self.report.info(
            &svc_path(name, "depends_on"),
            format!("waits for Job(s) {} through the API: ServiceAccount {sa:?} may read them (Role {role:?})", jobs.join(", ")),
            None,
        );
    }
}
