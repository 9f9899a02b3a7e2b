//! `berth run`: a one-off container of a service (`session::oneoff`).

use std::io::IsTerminal;

use clap::Args;

use super::{engine_session, env_list, warn, Failure, GlobalOptions};
use crate::images::PullPolicy;
use crate::session::oneoff::{self, OneOffOptions, RunError};
use crate::session::Ended;
use crate::signals::Interrupts;
use crate::ui::stream::Detach;
use berth_compose::load::LoadFlags;

#[derive(Args, Debug, Default)]
pub struct RunArgs {
    /// Run container in background and print container ID
    #[arg(short = 'd', long)]
    pub detach: bool,
    /// Automatically remove the container when it exits
    #[arg(long)]
    pub rm: bool,
    /// Set environment variables (KEY=VALUE, or KEY to pass berth's own)
    #[arg(short = 'e', long = "env")]
    pub env: Vec<String>,
    /// Add or override a label (KEY=VALUE)
    #[arg(short = 'l', long = "label")]
    pub label: Vec<String>,
    /// Run as specified username or uid
    #[arg(short = 'u', long)]
    pub user: Option<String>,
    /// Working directory inside the container
    #[arg(short = 'w', long)]
    pub workdir: Option<String>,
    /// Bind mount a volume (SRC:DST[:ro], or DST for an anonymous volume)
    #[arg(short = 'v', long = "volume")]
    pub volume: Vec<String>,
    /// Publish a container's port(s) to the host ([IP:][HOST:]CONTAINER[/PROTO])
    #[arg(short = 'p', long = "publish")]
    pub publish: Vec<String>,
    /// Run command with all service's ports enabled and mapped to the host
    #[arg(short = 'P', long)]
    pub service_ports: bool,
    /// Override the entrypoint of the image
    #[arg(long)]
    pub entrypoint: Option<String>,
    /// Assign a name to the container
    #[arg(long)]
    pub name: Option<String>,
    /// Disable pseudo-TTY allocation (by default one is allocated when stdin is a terminal)
    #[arg(short = 'T', long = "no-TTY")]
    pub no_tty: bool,
    /// Keep STDIN open even if not attached (default true)
    #[arg(short = 'i', long)]
    pub interactive: bool,
    /// Use the service's network aliases in the network(s) the container connects to
    #[arg(long)]
    pub use_aliases: bool,
    /// Add Linux capabilities
    #[arg(long)]
    pub cap_add: Vec<String>,
    /// Drop Linux capabilities
    #[arg(long)]
    pub cap_drop: Vec<String>,
    /// Don't start linked services
    #[arg(long)]
    pub no_deps: bool,
    /// Build image before starting container
    #[arg(long)]
    pub build: bool,
    /// Pull image before running ("always"|"missing"|"never"|"build"; default: the service's pull_policy)
    #[arg(long, default_value = "policy")]
    pub pull: String,
    /// Pull without printing progress information
    #[arg(long)]
    pub quiet_pull: bool,
    /// Remove containers for services not defined in the Compose file
    #[arg(long)]
    pub remove_orphans: bool,
    /// The service
    pub service: String,
    /// The command and its arguments (default: the service's)
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

pub fn run(global: &GlobalOptions, args: RunArgs) -> Result<i32, Failure> {
    let flags = LoadFlags {
        services: vec![args.service.clone()],
        ..Default::default()
    };
    let (_, loaded) = global.load(&flags)?;
    if !loaded.project.services.contains_key(&args.service) {
        return Err(Failure::new(
            1,
            format!("no such service: {}", args.service),
        ));
    }
    let pull = PullPolicy::from_flag(&args.pull).map_err(|e| Failure::new(16, e))?;
    let opts = OneOffOptions {
        service: args.service.clone(),
        command: args.command.clone(),
        entrypoint: args.entrypoint.clone(),
        env: env_list(&args.env),
        labels: args.label.clone(),
        user: args.user.clone(),
        workdir: args.workdir.clone(),
        volumes: args.volume.clone(),
        publish: args.publish.clone(),
        service_ports: args.service_ports,
        cap_add: args.cap_add.clone(),
        cap_drop: args.cap_drop.clone(),
        name: args.name.clone(),
        detach: args.detach,
        rm: args.rm,
        interactive: args.interactive,
        tty: !args.no_tty && !args.detach && std::io::stdin().is_terminal(),
        use_aliases: args.use_aliases,
        no_deps: args.no_deps,
        build: args.build,
        pull: PullPolicy::for_service(pull, &loaded.project.services[&args.service]),
        quiet_pull: args.quiet_pull,
        remove_orphans: args.remove_orphans,
        parallel: global.parallelism(),
    };
    let prepared = oneoff::prepare(&loaded, &opts)?;
    let detach = Detach::resolve(None).map_err(|e| Failure::new(16, e))?;
    engine_session(global, |engine, progress| async move {
        let mut interrupts = Interrupts::new();
        let made = oneoff::create(
            &engine,
            &loaded,
            &opts,
            &prepared,
            &progress,
            &mut interrupts,
        )
        .await;
        progress.finish();
        let made = made.map_err(|e| match e {
            RunError::Apply(e) => Failure::from(e),
            RunError::Session(e) => Failure::from(e),
            RunError::Interrupted => Failure::new(130, "interrupted"),
        })?;
        for w in &made.warnings {
            warn(w);
        }
        match oneoff::start(&engine, &opts, &prepared, &made.id, &interrupts, &detach).await? {
            Ended::Exited(code) => Ok(code as i32),
            Ended::Started => {
                println!("{}", made.id);
                Ok(0)
            }
            Ended::Detached | Ended::Restarted => {
                let later = if opts.rm {
                    "; --rm cannot remove it from here: `berth down` will"
                } else {
                    ""
                };
                eprintln!(
                    "\r\ndetached from {} (it keeps running{later})",
                    prepared.container
                );
                Ok(0)
            }
        }
    })
}
