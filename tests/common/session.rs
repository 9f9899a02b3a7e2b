//! A berth process running in the background, its output collected line by line: for the
//! commands that run until stopped (`watch`, attached `up`, `logs -f`, `events`, `run`).

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::TestProject;

/// A running berth (`watch`, `up`, `logs -f`, `run` ...) whose stdout and stderr lines are
/// collected as they come; killed if still running when dropped.
pub struct Session {
    pub child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Session {
    /// `berth -p NAME ARGS...` in the project's directory, stdin closed.
    pub fn start(p: &TestProject, args: &[&str]) -> Session {
        let mut child = p
            .command(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("berth starts");
        let lines = Arc::new(Mutex::new(Vec::new()));
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let lines = lines.clone();
            std::thread::spawn(move || {
                for l in BufReader::new(stream).lines() {
                    let Ok(l) = l else { break };
                    lines.lock().unwrap().push(l);
                }
            });
        }
        Session { child, lines }
    }

    pub fn output(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }

    /// Waits for a line containing `needle` (after the first `skip` lines); panics with the
    /// whole output when it does not come in time.
    pub fn wait_line(&self, needle: &str, skip: usize, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(l) = self
                .lines
                .lock()
                .unwrap()
                .iter()
                .skip(skip)
                .find(|l| l.contains(needle))
            {
                return l.clone();
            }
            assert!(
                Instant::now() < deadline,
                "no line with {needle:?} within {timeout:?}; output:\n{}",
                self.output()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Calls `act` with the lines so far until it says done or `timeout` passes (it may act
    /// on the stack meanwhile); the lines then, for the caller's assertions.
    pub fn collect_until(
        &self,
        timeout: Duration,
        mut act: impl FnMut(&[String]) -> bool,
    ) -> Vec<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let lines = self.lines.lock().unwrap().clone();
            if act(&lines) || Instant::now() > deadline {
                return lines;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// How many lines so far.
    pub fn count(&self) -> usize {
        self.lines.lock().unwrap().len()
    }

    /// Ctrl-C (SIGINT), then its exit code (-1 if a signal ended it); panics if it does not
    /// stop within 30 s.
    pub fn stop(&mut self) -> i32 {
        let pid = rustix::process::Pid::from_child(&self.child);
        rustix::process::kill_process(pid, rustix::process::Signal::INT).expect("SIGINT");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s.code().unwrap_or(-1);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("berth did not stop on SIGINT; output:\n{}", self.output());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
