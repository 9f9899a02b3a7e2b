//! Every service attribute the Engine API supports reaches the container: one test per group,
//! each bringing up real containers with `berth up -d` and reading back what a user would see
//! (`docker inspect`, and `docker exec` inside). The expected values are those Compose v2
//! (2.26.1) sets for the same file; where it differs from what one might expect, a comment
//! says so. Containers run `sleep` under `init: true`, so they stop at once.

mod common;

use common::{Run, TestProject};
use serde_json::{json, Value};
use std::time::Duration;

/// `berth up -d`, which must succeed.
fn up(p: &TestProject) -> Run {
    let r = p.berth(&["up", "-d"]);
    r.ok();
    r
}

/// `berth up -d`, which must fail with an error that says each of `says`.
fn up_fails(p: &TestProject, says: &[&str]) {
    let r = p.berth(&["up", "-d"]);
    assert_ne!(r.code, 0);
    for text in says {
        r.stderr_has(text);
    }
}

fn inspect(p: &TestProject, service: &str) -> Value {
    let v = p.inspect(&p.container(service));
    assert!(!v.is_null(), "no container for {service}");
    v
}

/// Output of a command run in the service's container.
fn exec(p: &TestProject, service: &str, cmd: &[&str]) -> Run {
    let c = p.container(service);
    let mut args = vec!["exec", c.as_str()];
    args.extend_from_slice(cmd);
    p.docker(&args)
}

fn exec_ok(p: &TestProject, service: &str, cmd: &[&str]) -> String {
    let r = exec(p, service, cmd);
    assert_eq!(
        r.code, 0,
        "{cmd:?} failed in {service}: {}{}",
        r.stdout, r.stderr
    );
    r.stdout
}

fn api_version(p: &TestProject) -> (u32, u32) {
    let r = p.docker(&["version", "--format", "{{.Server.APIVersion}}"]);
    let mut parts = r.stdout.trim().split('.').map(|x| x.parse().unwrap_or(0));
    (parts.next().unwrap_or(1), parts.next().unwrap_or(41))
}

/// A number unlikely to collide with other test runs on the same engine (ports, subnets).
fn slot() -> u32 {
    std::process::id() % 500
}

fn sorted(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| x.as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

#[test]
fn process_and_environment() {
    let arch = {
        let r = std::process::Command::new("docker")
            .args([
                "image",
                "inspect",
                "-f",
                "{{.Os}}/{{.Architecture}}",
                common::IMAGE,
            ])
            .output()
            .expect("docker image inspect");
        common::ensure_image();
        String::from_utf8_lossy(&r.stdout).trim().to_string()
    };
    let p = TestProject::new(
        "proc",
        &format!(
            r#"
services:
  app:
    image: $IMAGE
    entrypoint: ["/bin/sh", "-c"]
    command: ["echo started; exec sleep 3600"]
    init: true
    environment:
      FROM_ENVIRONMENT: env
      OVERRIDDEN: by-environment
      NO_VALUE:
    env_file: [app.env]
    working_dir: /tmp
    user: "1000:1000"
    group_add: ["4242"]
    labels: {{com.example.role: api, com.example.tier: set-by-labels}}
    label_file: [app.labels]
    platform: {arch}
    tty: true
    stdin_open: true
    post_start:
      - command: ["true"]
"#
        ),
    );
    p.write("app.env", "FROM_FILE=file\nOVERRIDDEN=by-file\n");
    p.write(
        "app.labels",
        "com.example.tier=set-by-file\ncom.example.from-file=yes\n",
    );
    let r = up(&p);
    // What berth cannot do is named, not dropped.
    assert!(
        r.stderr.contains("services.app.post_start"),
        "no warning names post_start: {}",
        r.stderr
    );
    let c = inspect(&p, "app");
    let cfg = &c["Config"];
    assert_eq!(cfg["Image"], common::IMAGE);
    assert_eq!(cfg["Entrypoint"], json!(["/bin/sh", "-c"]));
    assert_eq!(cfg["Cmd"], json!(["echo started; exec sleep 3600"]));
    assert_eq!(cfg["WorkingDir"], "/tmp");
    assert_eq!(cfg["User"], "1000:1000");
    assert_eq!(cfg["Tty"], true);
    assert_eq!(cfg["OpenStdin"], true);
    let env = sorted(&cfg["Env"]);
    for e in [
        "FROM_ENVIRONMENT=env",
        "FROM_FILE=file",
        // environment wins over env_file
        "OVERRIDDEN=by-environment",
        // Compose v2 passes a variable without a value by its name alone.
        "NO_VALUE",
    ] {
        assert!(env.contains(&e.to_string()), "{e} not in {env:?}");
    }
    let labels = &cfg["Labels"];
    assert_eq!(labels["com.example.role"], "api");
    // labels win over label_file, as in Compose v2.
    assert_eq!(labels["com.example.tier"], "set-by-labels");
    assert_eq!(labels["com.example.from-file"], "yes");
    assert_eq!(labels["com.docker.compose.service"], "app");
    assert_eq!(c["HostConfig"]["GroupAdd"], json!(["4242"]));
    assert_eq!(c["HostConfig"]["Init"], true);
    assert_eq!(c["Platform"], "linux");
    // Inside, as a user sees it.
    let id = exec_ok(&p, "app", &["id"]);
    assert!(
        id.contains("uid=1000") && id.contains("gid=1000") && id.contains("4242"),
        "{id}"
    );
    assert_eq!(exec_ok(&p, "app", &["pwd"]).trim(), "/tmp");
    // A platform the image does not have is refused by the engine, named by berth.
    let wrong = if arch.ends_with("arm64") {
        "linux/amd64"
    } else {
        "linux/arm64"
    };
    let q = TestProject::new(
        "plat",
        &format!("services:\n  app:\n    image: $IMAGE\n    platform: {wrong}\n"),
    );
    up_fails(&q, &["services.app.platform", wrong]);
}

#[test]
fn ports_and_expose() {
    let base = 41000 + slot() * 10;
    let p = TestProject::new(
        "ports",
        &format!(
            r#"
services:
  web:
    image: $IMAGE
    command: ["httpd", "-f", "-p", "81"]
    init: true
    ports:
      - "{}-{}:81-82"
      - "127.0.0.1:{}:90/udp"
      - "3000"
    expose: ["5000", "6000-6001/udp"]
"#,
            base,
            base + 1,
            base + 2
        ),
    );
    up(&p);
    let c = inspect(&p, "web");
    let b = &c["HostConfig"]["PortBindings"];
    assert_eq!(
        b["81/tcp"],
        json!([{"HostIp": "", "HostPort": base.to_string()}])
    );
    assert_eq!(
        b["82/tcp"],
        json!([{"HostIp": "", "HostPort": (base + 1).to_string()}])
    );
    assert_eq!(
        b["90/udp"],
        json!([{"HostIp": "127.0.0.1", "HostPort": (base + 2).to_string()}])
    );
    assert_eq!(b["3000/tcp"], json!([{"HostIp": "", "HostPort": ""}]));
    // The engine picked a host port for "3000".
    let random = c["NetworkSettings"]["Ports"]["3000/tcp"][0]["HostPort"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(random.parse::<u16>().is_ok(), "{random:?}");
    let exposed: Vec<&String> = c["Config"]["ExposedPorts"]
        .as_object()
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    // Compose v2 passes `expose` entries as written: "5000" (no /tcp) and the range
    // "6000-6001/udp" as one key; the engine keeps them so.
    for k in [
        "81/tcp",
        "82/tcp",
        "90/udp",
        "3000/tcp",
        "5000",
        "6000-6001/udp",
    ] {
        assert!(exposed.iter().any(|e| *e == k), "{k} not in {exposed:?}");
    }
    // The published port answers (httpd in the container).
    let ok = std::net::TcpStream::connect(("127.0.0.1", base as u16)).is_ok();
    assert!(ok, "nothing answers on the published port {base}");
}

#[test]
fn volumes_and_tmpfs() {
    let p = TestProject::new(
        "vols",
        r#"
services:
  vol:
    image: $IMAGE
    command: ["sleep", "3600"]
    init: true
    volumes:
      - ./created/by/up:/short
      - data:/named
      - /anon
      - ./ro:/ro:ro
      - type: bind
        source: ./long-created
        target: /made
        bind: {create_host_path: true}
      - type: tmpfs
        target: /scratch
        tmpfs: {size: 1048576, mode: 01777}
      - type: tmpfs
        target: /frozen
        read_only: true
    tmpfs: ["/run/short:size=65536"]
volumes:
  data: {}
"#,
    );
    std::fs::create_dir_all(p.path().join("ro")).expect("mkdir ro");
    up(&p);
    let dir = p.path();
    let c = inspect(&p, "vol");
    let binds = sorted(&c["HostConfig"]["Binds"]);
    // Short-syntax binds go to the engine's Binds (which creates a missing source), as in v2.
    for b in [
        format!("{}/created/by/up:/short:rw", dir.display()),
        format!("{}/ro:/ro:ro", dir.display()),
        format!("{}/long-created:/made:rw", dir.display()),
    ] {
        assert!(binds.contains(&b), "{b} not in {binds:?}");
    }
    assert!(
        dir.join("created/by/up").is_dir(),
        "short-syntax bind source not created"
    );
    assert!(
        dir.join("long-created").is_dir(),
        "create_host_path source not created"
    );
    let mounts = c["Mounts"].as_array().cloned().unwrap_or_default();
    let at = |dest: &str| -> Value {
        mounts
            .iter()
            .find(|m| m["Destination"] == dest)
            .cloned()
            .unwrap_or_else(|| panic!("no mount at {dest}: {mounts:?}"))
    };
    assert_eq!(at("/named")["Type"], "volume");
    assert_eq!(at("/named")["Name"], format!("{}_data", p.name));
    assert_eq!(at("/anon")["Type"], "volume");
    assert_eq!(at("/anon")["Name"].as_str().map(str::len), Some(64));
    assert_eq!(at("/ro")["RW"], false);
    assert_eq!(at("/scratch")["Type"], "tmpfs");
    let tmpfs_mount = c["HostConfig"]["Mounts"]
        .as_array()
        .and_then(|ms| ms.iter().find(|m| m["Target"] == "/scratch").cloned())
        .unwrap_or_default();
    assert_eq!(
        tmpfs_mount["TmpfsOptions"],
        json!({"SizeBytes": 1048576, "Mode": 1023})
    );
    assert_eq!(
        c["HostConfig"]["Tmpfs"],
        json!({"/run/short": "size=65536"})
    );
    // Inside: the bind is the host directory, the read-only one refuses writes, the tmpfs
    // has its mode.
    exec_ok(&p, "vol", &["sh", "-c", "echo from-container > /short/f"]);
    let text = std::fs::read_to_string(dir.join("created/by/up/f")).unwrap_or_default();
    assert_eq!(text.trim(), "from-container");
    assert_ne!(
        exec(&p, "vol", &["touch", "/ro/x"]).code,
        0,
        "/ro is writable"
    );
    assert_ne!(
        exec(&p, "vol", &["touch", "/frozen/x"]).code,
        0,
        "the read-only tmpfs is writable"
    );
    exec_ok(&p, "vol", &["touch", "/scratch/x"]);
    assert_eq!(
        exec_ok(&p, "vol", &["stat", "-c", "%a", "/scratch"]).trim(),
        "1777"
    );
    let df = exec_ok(&p, "vol", &["df", "/run/short"]);
    assert!(df.contains("tmpfs"), "{df}");

    // A long-syntax bind to a missing path, without create_host_path: an error naming the
    // service, the key and the path; nothing is created.
    let q = TestProject::new(
        "volmiss",
        r#"
services:
  x:
    image: $IMAGE
    volumes:
      - type: bind
        source: ./missing
        target: /m
"#,
    );
    let missing = q.path().join("missing").display().to_string();
    up_fails(&q, &["services.x.volumes[0]", &missing]);
    assert!(!q.path().join("missing").exists());
    assert!(q.containers().is_empty(), "{:?}", q.containers());
}

#[test]
fn healthcheck_restart_init_stop() {
    let p = TestProject::new(
        "health",
        r#"
services:
  checked:
    image: $IMAGE
    command: ["sleep", "3600"]
    init: true
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
      timeout: 2s
      retries: 3
      start_period: 5s
      start_interval: 1s
    restart: on-failure:3
    stop_signal: SIGUSR1
    stop_grace_period: 3s
  unchecked:
    image: $IMAGE
    command: ["sleep", "3600"]
    init: true
    healthcheck:
      disable: true
    restart: unless-stopped
"#,
    );
    let r = up(&p);
    let api = api_version(&p);
    let c = inspect(&p, "checked");
    let h = &c["Config"]["Healthcheck"];
    assert_eq!(h["Test"], json!(["CMD", "true"]));
    assert_eq!(h["Interval"], 1_000_000_000i64);
    assert_eq!(h["Timeout"], 2_000_000_000i64);
    assert_eq!(h["Retries"], 3);
    assert_eq!(h["StartPeriod"], 5_000_000_000i64);
    if api < (1, 44) {
        // Compose v2 refuses to create the container here ("can't set
        // healthcheck.start_interval as feature require Docker Engine v25 or later");
        // berth runs it without, and names what it left out.
        r.stderr_has("services.checked.healthcheck.start_interval");
        assert!(h.get("StartInterval").is_none_or(|v| v == 0));
    } else {
        assert_eq!(h["StartInterval"], 1_000_000_000i64);
    }
    assert_eq!(
        c["HostConfig"]["RestartPolicy"],
        json!({"Name": "on-failure", "MaximumRetryCount": 3})
    );
    assert_eq!(c["HostConfig"]["Init"], true);
    assert_eq!(c["Config"]["StopSignal"], "SIGUSR1");
    assert_eq!(c["Config"]["StopTimeout"], 3);
    let u = inspect(&p, "unchecked");
    assert_eq!(u["Config"]["Healthcheck"]["Test"], json!(["NONE"]));
    assert_eq!(u["HostConfig"]["RestartPolicy"]["Name"], "unless-stopped");
    // init: docker-init is PID 1.
    let ps = exec_ok(&p, "checked", &["ps"]);
    assert!(
        ps.lines()
            .any(|l| l.trim_start().starts_with("1 ") && l.contains("init")),
        "{ps}"
    );
    // The healthcheck runs: healthy within a few intervals.
    let mut status = Value::Null;
    let healthy = common::poll(Duration::from_secs(15), Duration::from_millis(200), || {
        status = inspect(&p, "checked")["State"]["Health"]["Status"].clone();
        status == "healthy"
    });
    assert!(healthy, "not healthy: {status}");
}

#[test]
fn security_and_kernel() {
    let p = TestProject::new(
        "sec",
        r#"
services:
  locked:
    image: $IMAGE
    command: ["sleep", "3600"]
    init: true
    read_only: true
    cap_add: [NET_ADMIN]
    cap_drop: [CHOWN]
    security_opt:
      - no-new-privileges:true
      - seccomp:./seccomp.json
      - systempaths=unconfined
    ulimits:
      nofile: {soft: 1024, hard: 2048}
      nproc: 512
    sysctls: {net.core.somaxconn: "1024"}
    devices: ["/dev/null:/dev/mynull:rw"]
    oom_score_adj: 100
    shm_size: 32m
    runtime: runc
"#,
    );
    p.write(
        "seccomp.json",
        "{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\"\n}\n",
    );
    up(&p);
    let c = inspect(&p, "locked");
    let h = &c["HostConfig"];
    assert_eq!(h["ReadonlyRootfs"], true);
    assert_eq!(h["CapAdd"], json!(["NET_ADMIN"]));
    assert_eq!(h["CapDrop"], json!(["CHOWN"]));
    // The seccomp profile file is read and inlined as compact JSON (as Compose v2 and
    // `docker run` do); systempaths=unconfined is not passed on but empties the masked and
    // read-only paths.
    assert_eq!(
        h["SecurityOpt"],
        json!([
            "no-new-privileges:true",
            "seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\"}"
        ])
    );
    assert_eq!(h["MaskedPaths"], json!([]));
    assert_eq!(h["ReadonlyPaths"], json!([]));
    assert_eq!(
        h["Ulimits"],
        json!([
            {"Name": "nofile", "Hard": 2048, "Soft": 1024},
            {"Name": "nproc", "Hard": 512, "Soft": 512}
        ])
    );
    assert_eq!(h["Sysctls"], json!({"net.core.somaxconn": "1024"}));
    assert_eq!(
        h["Devices"],
        json!([{"PathOnHost": "/dev/null", "PathInContainer": "/dev/mynull", "CgroupPermissions": "rw"}])
    );
    assert_eq!(h["OomScoreAdj"], 100);
    assert_eq!(h["ShmSize"], 32 * 1024 * 1024);
    assert_eq!(h["Runtime"], "runc");
    assert_eq!(h["Privileged"], false);
    // Inside.
    let seen = exec_ok(
        &p,
        "locked",
        &[
            "sh",
            "-c",
            // PID 1's own limits (an exec session's shell may get other rlimits on a busy engine).
            "grep 'Max open files' /proc/1/limits | awk '{print $4; print $5}'; cat /proc/sys/net/core/somaxconn /proc/1/oom_score_adj; ls /dev/mynull",
        ],
    );
    assert_eq!(
        seen.split_whitespace().collect::<Vec<_>>(),
        ["1024", "2048", "1024", "100", "/dev/mynull"],
        "soft and hard nofile, somaxconn, oom_score_adj of PID 1, the device"
    );
    assert_ne!(
        exec(&p, "locked", &["touch", "/x"]).code,
        0,
        "root fs writable"
    );
    let status = exec_ok(&p, "locked", &["cat", "/proc/self/status"]);
    assert!(
        status
            .lines()
            .any(|l| l.starts_with("NoNewPrivs:") && l.ends_with('1')),
        "{status}"
    );
    // privileged: created only, since an engine that itself runs in a restricted container
    // (as on this CI host) cannot start privileged containers.
    let q = TestProject::new(
        "priv",
        "services:\n  root:\n    image: $IMAGE\n    privileged: true\n",
    );
    q.berth(&["create"]).ok();
    assert_eq!(
        q.inspect(&q.container("root"))["HostConfig"]["Privileged"],
        true
    );
}

#[test]
fn resources() {
    let p = TestProject::new(
        "res",
        r#"
services:
  limited:
    image: $IMAGE
    command: ["sleep", "3600"]
    init: true
    mem_limit: 64m
    memswap_limit: 128m
    mem_reservation: 32m
    cpus: 0.5
    cpu_shares: 512
    cpuset: "0"
    pids_limit: 100
    cgroup_parent: berth-test-parent
    blkio_config:
      weight: 300
  deployed:
    image: $IMAGE
    command: ["sleep", "3600"]
    init: true
    deploy:
      resources:
        limits: {cpus: "0.25", memory: 50m, pids: 50}
        reservations: {memory: 20m, cpus: "0.1"}
      restart_policy: {condition: on-failure, max_attempts: 2}
"#,
    );
    let r = up(&p);
    let h = inspect(&p, "limited")["HostConfig"].clone();
    assert_eq!(h["Memory"], 64 * 1024 * 1024);
    assert_eq!(h["MemorySwap"], 128 * 1024 * 1024);
    assert_eq!(h["MemoryReservation"], 32 * 1024 * 1024);
    assert_eq!(h["NanoCpus"], 500_000_000);
    assert_eq!(h["CpuShares"], 512);
    assert_eq!(h["CpusetCpus"], "0");
    assert_eq!(h["PidsLimit"], 100);
    assert_eq!(h["CgroupParent"], "berth-test-parent");
    // An engine without the blkio controller accepts the weight, discards it and says so;
    // berth relays that warning (Compose v2 drops the engine's warnings).
    if h["BlkioWeight"] != 300 {
        assert!(
            r.stderr.contains("services.limited") && r.stderr.contains("Block I/O weight"),
            "blkio weight neither applied nor reported: {}",
            r.stderr
        );
    }
    // Inside: the memory and pids limits are the cgroup's (v1 or v2 layout).
    let seen = exec_ok(
        &p,
        "limited",
        &[
            "sh",
            "-c",
            "cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes; \
             cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max",
        ],
    );
    assert_eq!(
        seen.split_whitespace().collect::<Vec<_>>(),
        ["67108864", "100"]
    );
    let d = inspect(&p, "deployed")["HostConfig"].clone();
    assert_eq!(d["NanoCpus"], 250_000_000);
    assert_eq!(d["Memory"], 50 * 1024 * 1024);
    assert_eq!(d["PidsLimit"], 50);
    assert_eq!(d["MemoryReservation"], 20 * 1024 * 1024);
    assert_eq!(
        d["RestartPolicy"],
        json!({"Name": "on-failure", "MaximumRetryCount": 2})
    );
    // A CPU reservation is Swarm scheduling: named, not applied.
    r.stderr_has("services.deployed.deploy.resources.reservations.cpus");

    // GPUs and device reservations become device requests (created only: this host has none
    // to start them with).
    let q = TestProject::new(
        "gpu",
        r#"
services:
  gpu:
    image: $IMAGE
    gpus: all
    deploy:
      resources:
        reservations:
          devices:
            - capabilities: [gpu]
              driver: nvidia
              device_ids: ["0"]
"#,
    );
    q.berth(&["create"]).ok();
    let h = q.inspect(&q.container("gpu"))["HostConfig"].clone();
    assert_eq!(
        h["DeviceRequests"],
        json!([
            {"Driver": "", "Count": -1, "DeviceIDs": null, "Capabilities": [["gpu"]], "Options": null},
            {"Driver": "nvidia", "Count": 0, "DeviceIDs": ["0"], "Capabilities": [["gpu"]], "Options": null}
        ])
    );
}

/// storage_opt is applied when the storage driver supports it (overlay2 on xfs with pquota,
/// btrfs, zfs…); otherwise the engine's refusal names the key.
#[test]
fn storage_opt_applied_or_refused_by_name() {
    let p = TestProject::new(
        "storage",
        r#"
services:
  sized:
    image: $IMAGE
    command: ["sleep", "3600"]
    init: true
    storage_opt: {size: 1G}
"#,
    );
    let r = p.berth(&["up", "-d"]);
    if r.code == 0 {
        assert_eq!(
            inspect(&p, "sized")["HostConfig"]["StorageOpt"],
            json!({"size": "1G"})
        );
    } else {
        assert!(
            r.stderr.contains("services.sized.storage_opt"),
            "refusal does not name storage_opt: {}",
            r.stderr
        );
        assert!(p.containers().is_empty());
    }
}

#[test]
fn dns_hosts_hostname() {
    let p = TestProject::new(
        "dns",
        r#"
services:
  resolver:
    image: $IMAGE
    command: ["sleep", "3600"]
    init: true
    dns: [192.0.2.53]
    dns_search: [example.com]
    dns_opt: ["ndots:2"]
    extra_hosts: ["myhost:10.0.0.1", "other=10.0.0.2"]
    hostname: box
    domainname: example.org
"#,
    );
    up(&p);
    let c = inspect(&p, "resolver");
    let h = &c["HostConfig"];
    assert_eq!(h["Dns"], json!(["192.0.2.53"]));
    assert_eq!(h["DnsSearch"], json!(["example.com"]));
    assert_eq!(h["DnsOptions"], json!(["ndots:2"]));
    // Both host:ip and host=ip reach the engine as host:ip.
    assert_eq!(
        sorted(&h["ExtraHosts"]),
        ["myhost:10.0.0.1", "other:10.0.0.2"]
    );
    assert_eq!(c["Config"]["Hostname"], "box");
    assert_eq!(c["Config"]["Domainname"], "example.org");
    let hosts = exec_ok(&p, "resolver", &["cat", "/etc/hosts"]);
    assert!(
        hosts
            .lines()
            .any(|l| l.starts_with("10.0.0.1") && l.contains("myhost")),
        "{hosts}"
    );
    let resolv = exec_ok(&p, "resolver", &["cat", "/etc/resolv.conf"]);
    assert!(resolv.contains("search example.com"), "{resolv}");
    assert!(resolv.contains("ndots:2"), "{resolv}");
    assert_eq!(exec_ok(&p, "resolver", &["hostname"]).trim(), "box");
}

/// Removes a container made outside the project when the test ends.
struct Outsider(String);
impl Drop for Outsider {
    fn drop(&mut self) {
        let _ = std::process::Command::new("docker")
            .args(["rm", "-f", &self.0])
            .output();
    }
}

#[test]
fn namespaces_and_network_mode() {
    let outsider = Outsider(format!("berthtest-outsider-{}", std::process::id()));
    common::run_ok(
        std::process::Command::new("docker").args([
            "run",
            "-d",
            "--init",
            "--name",
            &outsider.0,
            common::IMAGE,
            "sleep",
            "3600",
        ]),
        "docker run",
    );
    let p = TestProject::new(
        "ns",
        &format!(
            r#"
services:
  main:
    image: $IMAGE
    command: ["sleep", "3600"]
    init: true
    ipc: shareable
    hostname: mainhost
  joined:
    image: $IMAGE
    command: ["sleep", "3333"]
    init: true
    network_mode: service:main
    ipc: service:main
    pid: service:main
  onhost:
    image: $IMAGE
    command: ["sleep", "3600"]
    init: true
    network_mode: host
    pid: host
  isolated:
    image: $IMAGE
    command: ["sleep", "3600"]
    init: true
    network_mode: none
  beside:
    image: $IMAGE
    command: ["sleep", "3600"]
    init: true
    network_mode: container:{}
"#,
            outsider.0
        ),
    );
    up(&p);
    let main_id = inspect(&p, "main")["Id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let outsider_id = p.inspect(&outsider.0)["Id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let j = inspect(&p, "joined");
    let shared = format!("container:{main_id}");
    // service:x becomes container:<id of x's container>, as Compose v2 writes it.
    assert_eq!(j["HostConfig"]["NetworkMode"], shared.as_str());
    assert_eq!(j["HostConfig"]["IpcMode"], shared.as_str());
    assert_eq!(j["HostConfig"]["PidMode"], shared.as_str());
    assert_eq!(inspect(&p, "main")["HostConfig"]["IpcMode"], "shareable");
    assert_eq!(inspect(&p, "onhost")["HostConfig"]["NetworkMode"], "host");
    assert_eq!(inspect(&p, "onhost")["HostConfig"]["PidMode"], "host");
    assert_eq!(inspect(&p, "isolated")["HostConfig"]["NetworkMode"], "none");
    let beside = inspect(&p, "beside")["HostConfig"]["NetworkMode"].clone();
    assert!(
        beside == format!("container:{}", outsider.0).as_str()
            || beside == format!("container:{outsider_id}").as_str(),
        "{beside}"
    );
    // Inside: the joined container sees main's processes and network, the isolated one has
    // only loopback.
    let ps = exec_ok(&p, "joined", &["ps"]);
    assert!(
        ps.contains("sleep 3600") && ps.contains("sleep 3333"),
        "{ps}"
    );
    assert_eq!(exec_ok(&p, "joined", &["hostname"]).trim(), "mainhost");
    let links = exec_ok(&p, "isolated", &["ls", "/sys/class/net"]);
    assert_eq!(links.split_whitespace().collect::<Vec<_>>(), ["lo"]);
}

#[test]
fn networks_static_addresses_aliases_priority() {
    let n = slot();
    let (v4net, v4) = (
        format!("10.{}.{}.0/24", 200 + n % 50, n / 50),
        format!("10.{}.{}.10", 200 + n % 50, n / 50),
    );
    // The address as the engine prints it (canonical: slot 0 is `fd00:b::10`, not `fd00:b:0::10`).
    let v6net = format!("fd00:b:{n:x}::/64");
    let v6 = format!("fd00:b:{n:x}::10")
        .parse::<std::net::Ipv6Addr>()
        .expect("an IPv6 address")
        .to_string();
    let p = TestProject::new(
        "net",
        &format!(
            r#"
services:
  a:
    image: $IMAGE
    command: ["sleep", "3600"]
    init: true
    mac_address: "02:42:ac:1c:05:0a"
    networks:
      back:
        aliases: [api]
      front:
        ipv4_address: {v4}
        ipv6_address: {v6}
        aliases: [web, www]
        priority: 10
  b:
    image: $IMAGE
    command: ["sleep", "3600"]
    init: true
    networks: [back]
    links: ["a:alpha"]
  c:
    image: $IMAGE
    command: ["sleep", "3600"]
    init: true
    networks: [front]
networks:
  front:
    enable_ipv6: true
    ipam:
      config:
        - subnet: {v4net}
        - subnet: {v6net}
  back: {{}}
"#
        ),
    );
    up(&p);
    let a = inspect(&p, "a");
    let front = format!("{}_front", p.name);
    let back = format!("{}_back", p.name);
    // The highest priority network is the primary one (the one given at create).
    assert_eq!(a["HostConfig"]["NetworkMode"], front.as_str());
    let nets = &a["NetworkSettings"]["Networks"];
    let f = &nets[&front];
    assert_eq!(f["IPAddress"], v4.as_str());
    assert_eq!(f["GlobalIPv6Address"], v6.as_str());
    assert_eq!(f["IPAMConfig"]["IPv4Address"], v4.as_str());
    // On API < 1.44 the engine takes one container-wide MAC: it lands on the primary network.
    assert_eq!(f["MacAddress"], "02:42:ac:1c:05:0a");
    let a1 = p.container("a");
    let fa = sorted(&f["Aliases"]);
    for alias in [a1.as_str(), "a", "web", "www"] {
        assert!(fa.iter().any(|x| x == alias), "{alias} not in {fa:?}");
    }
    let ba = sorted(&nets[&back]["Aliases"]);
    assert!(ba.iter().any(|x| x == "api"), "{ba:?}");
    assert!(!ba.iter().any(|x| x == "www"), "{ba:?}");
    let a_back_ip = nets[&back]["IPAddress"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(!a_back_ip.is_empty());
    // Names resolve from siblings, per network.
    let api = exec_ok(&p, "b", &["nslookup", "api"]);
    assert!(api.contains(&a_back_ip), "{api}");
    let alpha = exec_ok(&p, "b", &["nslookup", "alpha"]);
    assert!(alpha.contains(&a_back_ip), "link alias: {alpha}");
    let www = exec_ok(&p, "c", &["nslookup", "www"]);
    assert!(www.contains(&v4), "{www}");
    assert_ne!(
        exec(&p, "b", &["nslookup", "www"]).code,
        0,
        "www resolves on a network a does not give it on"
    );
}

#[test]
fn secrets_and_configs() {
    let p = TestProject::new(
        "secrets",
        r#"
services:
  app:
    image: $IMAGE
    command: ["sleep", "3600"]
    init: true
    secrets:
      - from_file
      - source: from_env
        target: token
        uid: "1000"
        gid: "1001"
        mode: 0400
      - source: owned_file
        target: /etc/owned
        uid: "1000"
        mode: 0440
    configs:
      - inline
      - source: conf_file
        target: /etc/app.conf
      - source: conf_env
        target: relative.conf
secrets:
  from_file: {file: ./secret.txt}
  from_env: {environment: SECRET_TOKEN}
  owned_file: {file: ./secret.txt}
configs:
  inline: {content: "inline config"}
  conf_file: {file: ./app.conf}
  conf_env: {environment: CONF_VALUE}
"#,
    );
    p.write("secret.txt", "file secret\n");
    p.write("app.conf", "key=value\n");
    // The variables come from the project's .env, like any interpolation.
    p.write(".env", "SECRET_TOKEN=t0ken\nCONF_VALUE=from-env\n");
    up(&p);
    let cat = |path: &str| exec_ok(&p, "app", &["cat", path]);
    let stat = |path: &str| {
        exec_ok(&p, "app", &["stat", "-c", "%u %g %a", path])
            .trim()
            .to_string()
    };
    // Secrets under /run/secrets/<name or target>.
    assert_eq!(cat("/run/secrets/from_file"), "file secret\n");
    assert_eq!(cat("/run/secrets/token"), "t0ken");
    assert_eq!(stat("/run/secrets/token"), "1000 1001 400");
    // Compose v2 binds a file secret as it is and ignores uid/gid/mode with a warning ("not
    // supported"); berth writes a copy with the owner and mode asked for.
    assert_eq!(cat("/etc/owned"), "file secret\n");
    assert_eq!(stat("/etc/owned"), "1000 0 440");
    // Configs at /<name>, or their target (relative targets under /).
    assert_eq!(cat("/inline"), "inline config");
    assert_eq!(stat("/inline"), "0 0 444");
    assert_eq!(cat("/etc/app.conf"), "key=value\n");
    assert_eq!(cat("/relative.conf"), "from-env");
    let c = inspect(&p, "app");
    let mounts = c["HostConfig"]["Mounts"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let bind = mounts
        .iter()
        .find(|m| m["Target"] == "/run/secrets/from_file")
        .cloned()
        .unwrap_or_default();
    assert_eq!(bind["Type"], "bind");
    assert_eq!(bind["ReadOnly"], true);
    assert_eq!(
        bind["Source"],
        p.path().join("secret.txt").display().to_string()
    );
    assert_ne!(
        exec(&p, "app", &["sh", "-c", "echo x > /run/secrets/from_file"]).code,
        0,
        "a file secret is writable"
    );

    // A secret from a variable that is not set: an error naming it, nothing created.
    let q = TestProject::new(
        "secretunset",
        r#"
services:
  app:
    image: $IMAGE
    secrets: [missing]
secrets:
  missing: {environment: BERTH_TEST_NOT_SET}
"#,
    );
    up_fails(&q, &["services.app.secrets", "BERTH_TEST_NOT_SET"]);
    assert!(q.containers().is_empty());
}

#[test]
fn logging() {
    let p = TestProject::new(
        "logs",
        r#"
services:
  logged:
    image: $IMAGE
    command: ["sh", "-c", "echo hello-from-the-log; exec sleep 3600"]
    init: true
    logging:
      driver: json-file
      options: {max-size: 1m, max-file: "2"}
  silent:
    image: $IMAGE
    command: ["sleep", "3600"]
    init: true
    logging:
      driver: none
"#,
    );
    up(&p);
    assert_eq!(
        inspect(&p, "logged")["HostConfig"]["LogConfig"],
        json!({"Type": "json-file", "Config": {"max-size": "1m", "max-file": "2"}})
    );
    assert_eq!(
        inspect(&p, "silent")["HostConfig"]["LogConfig"]["Type"],
        "none"
    );
    let mut logs = String::new();
    let logged = common::poll(Duration::from_secs(5), Duration::from_millis(100), || {
        logs = p.docker(&["logs", &p.container("logged")]).stdout;
        logs.contains("hello-from-the-log")
    });
    assert!(logged, "no log line: {logs}");
    // The none driver keeps nothing to read.
    assert_ne!(p.docker(&["logs", &p.container("silent")]).code, 0);
}
