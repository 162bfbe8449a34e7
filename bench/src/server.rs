//! The server under test: `kurobe serve` spawned with the environment `scripts/bench.sh`
//! set up, the time until `/readyz` answers 200, and its memory and CPU from `/proc`.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use tokio::process::{Child, Command};

use crate::http::{Call, Client};

#[derive(Debug)]
pub struct Server {
    child: Child,
    pub pid: u32,
    /// From spawning the process to the first 200 of `/readyz`.
    pub ready_after: Duration,
}

impl Server {
    /// Spawns `kurobe serve` bound to `addr` (logs appended to `log`), with `env` on top of
    /// the bench's environment, and waits until ready.
    pub async fn start(kurobe: &Path, addr: SocketAddr, log: &Path, env: &[(&str, &str)]) -> anyhow::Result<Self> {
        let log_file = std::fs::OpenOptions::new().create(true).append(true).open(log)?;
        let started = Instant::now();
        let mut command = Command::new(kurobe);
        // The benchmark's own variables (the API key among them) are not the server's.
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("KUROBE_BENCH_") {
                command.env_remove(name);
            }
        }
        let child = command
            .arg("serve")
            .env("KUROBE_SERVER__BIND", addr.to_string())
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("spawning {} serve", kurobe.display()))?;
        let pid = child.id().context("the server exited at once")?;
        let mut server = Self { child, pid, ready_after: Duration::ZERO };
        let mut client = Client::new(addr, "");
        let ready = Call::get("/readyz");
        loop {
            if let Ok((status, _)) = client.send(&ready).await
                && status.is_success()
            {
                break;
            }
            if let Some(status) = server.child.try_wait()? {
                bail!("kurobe serve exited with {status} before it was ready (see {})", log.display());
            }
            if started.elapsed() > Duration::from_secs(60) {
                bail!("kurobe serve was not ready after 60 s (see {})", log.display());
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        server.ready_after = started.elapsed();
        Ok(server)
    }

    /// SIGTERM (graceful shutdown), then a kill if it lingers.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let _ = std::process::Command::new("kill").arg("-TERM").arg(self.pid.to_string()).status();
        if tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await.is_err() {
            self.child.kill().await?;
        }
        Ok(())
    }

    pub fn memory(&self) -> anyhow::Result<Memory> {
        Memory::of(self.pid)
    }

    /// User plus system CPU time the process has used so far.
    pub fn cpu_time(&self) -> anyhow::Result<Duration> {
        let stat = std::fs::read_to_string(proc_path(self.pid, "stat"))?;
        // Fields after the command name, which is in parentheses and may hold spaces.
        let rest = stat.rsplit_once(')').context("malformed /proc/PID/stat")?.1;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks: u64 =
            fields.get(11).context("utime")?.parse::<u64>()? + fields.get(12).context("stime")?.parse::<u64>()?;
        // The kernel's USER_HZ is 100 on every Linux this runs on.
        Ok(Duration::from_millis(ticks * 10))
    }
}

fn proc_path(pid: u32, file: &str) -> PathBuf {
    PathBuf::from(format!("/proc/{pid}/{file}"))
}

/// Resident memory now and at its peak, in MiB.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Memory {
    pub rss_mib: f64,
    pub peak_rss_mib: f64,
}

impl Memory {
    pub fn of(pid: u32) -> anyhow::Result<Self> {
        let status = std::fs::read_to_string(proc_path(pid, "status"))?;
        let field = |name: &str| -> anyhow::Result<f64> {
            let line = status.lines().find(|l| l.starts_with(name)).with_context(|| format!("no {name}"))?;
            let kib: f64 = line.split_whitespace().nth(1).context("value")?.parse()?;
            Ok(kib / 1024.0)
        };
        Ok(Self { rss_mib: field("VmRSS:")?, peak_rss_mib: field("VmHWM:")? })
    }
}
