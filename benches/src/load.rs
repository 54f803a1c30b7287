//! The load driver: a fixed number of virtual clients, each on its own keep-alive connection,
//! sending one operation after another (closed loop) through a warm-up and then a fixed
//! measured window; every operation started inside the window goes into an HDR histogram.

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::http::Error;

/// How a scenario is driven.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub concurrency: usize,
    pub warmup: Duration,
    pub duration: Duration,
    /// The server's process id: its CPU time over the window is reported per operation.
    pub server_pid: Option<u32>,
    /// An upstream server's (the bank's) process id, whose CPU time is reported beside it.
    pub upstream_pid: Option<u32>,
}

/// One virtual client's part of a scenario: one operation per call. `Ok(false)` means the
/// worker has nothing left to do (a pool of single-use codes ran dry).
pub trait Worker {
    fn step(&mut self) -> impl Future<Output = Result<bool, Error>>;
}

/// What a scenario achieved in its measured window.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub concurrency: usize,
    /// Operations completed successfully within the window.
    pub count: u64,
    pub errors: u64,
    /// The window actually measured, in seconds (shorter than planned if a pool ran dry).
    pub seconds: f64,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Whether the workers ran out of work before the planned window ended.
    pub ran_dry: bool,
    /// The first error seen, if any, to tell what went wrong.
    pub first_error: Option<String>,
    /// Server CPU time (user + system, all threads) per operation in the window, in µs, and the
    /// rate one fully busy core would reach at that cost: a figure that holds even when other
    /// processes share the server's core.
    pub server_cpu_us: Option<f64>,
    pub cpu_bound_per_second: Option<f64>,
    /// The upstream server's CPU time per operation in the window, in µs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream_cpu_us: Option<f64>,
}

struct Tally {
    histogram: Histogram<u64>,
    count: u64,
    errors: u64,
    first_error: Option<String>,
    last_done: Instant,
    ran_dry: bool,
}

/// Runs `workers` concurrently on the current thread's `LocalSet` and measures them.
pub async fn drive<W: Worker + 'static>(workers: Vec<W>, plan: Plan) -> Result<Outcome, Error> {
    let concurrency = workers.len();
    let start = Instant::now();
    let measure_from = start + plan.warmup;
    let stop_at = measure_from + plan.duration;
    let stopped = Rc::new(Cell::new(false));
    let cpu_at = |pid: Option<u32>| {
        pid.map(|pid| {
            tokio::task::spawn_local(async move {
                tokio::time::sleep_until(measure_from.into()).await;
                cpu_seconds(pid)
            })
        })
    };
    let (cpu_at_start, upstream_cpu_at_start) = (cpu_at(plan.server_pid), cpu_at(plan.upstream_pid));
    let mut handles = Vec::new();
    for mut worker in workers {
        let stopped = stopped.clone();
        handles.push(tokio::task::spawn_local(async move {
            let mut tally = Tally {
                histogram: Histogram::new_with_bounds(1, 60_000_000, 3)?,
                count: 0,
                errors: 0,
                first_error: None,
                last_done: measure_from,
                ran_dry: false,
            };
            loop {
                let began = Instant::now();
                if began >= stop_at || stopped.get() {
                    break;
                }
                let result = worker.step().await;
                let done = Instant::now();
                match result {
                    Ok(false) => {
                        tally.ran_dry = true;
                        break;
                    }
                    Ok(true) if began >= measure_from => {
                        tally.count += 1;
                        tally.last_done = tally.last_done.max(done);
                        let micros = (done - began).as_micros().max(1) as u64;
                        tally.histogram.saturating_record(micros);
                    }
                    Ok(true) => {}
                    Err(e) => {
                        tally.errors += 1;
                        if tally.first_error.is_none() {
                            tally.first_error = Some(e.to_string());
                        }
                        // A stream of failures would otherwise spin: a failed run is reported, not hidden.
                        if tally.errors > 100 {
                            stopped.set(true);
                        }
                    }
                }
            }
            Ok::<Tally, hdrhistogram::CreationError>(tally)
        }));
    }
    let mut total = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let (mut count, mut errors, mut ran_dry, mut first_error) = (0, 0, false, None);
    let mut last_done = measure_from;
    for handle in handles {
        let tally = handle.await??;
        total.add(&tally.histogram)?;
        count += tally.count;
        errors += tally.errors;
        ran_dry |= tally.ran_dry;
        first_error = first_error.or(tally.first_error);
        last_done = last_done.max(tally.last_done);
    }
    let cpu = match (cpu_at_start, plan.server_pid) {
        (Some(start), Some(pid)) => Some(cpu_seconds(pid)? - start.await??),
        _ => None,
    };
    let upstream_cpu = match (upstream_cpu_at_start, plan.upstream_pid) {
        (Some(start), Some(pid)) => Some(cpu_seconds(pid)? - start.await??),
        _ => None,
    };
    // Operations started before `stop_at` may finish after it: the window ends at the last one.
    let seconds = (last_done.max(if ran_dry { last_done } else { stop_at }) - measure_from).as_secs_f64();
    let ms = |q: f64| total.value_at_quantile(q) as f64 / 1000.0;
    Ok(Outcome {
        concurrency,
        count,
        errors,
        seconds,
        per_second: if seconds > 0.0 { count as f64 / seconds } else { 0.0 },
        p50_ms: ms(0.50),
        p90_ms: ms(0.90),
        p99_ms: ms(0.99),
        max_ms: total.max() as f64 / 1000.0,
        ran_dry,
        first_error,
        server_cpu_us: cpu.filter(|_| count > 0).map(|c| c * 1e6 / count as f64),
        cpu_bound_per_second: cpu.filter(|c| *c > 0.0).map(|c| count as f64 / c),
        upstream_cpu_us: upstream_cpu.filter(|_| count > 0).map(|c| c * 1e6 / count as f64),
    })
}

/// User plus system CPU time of process `pid` so far, in seconds (`/proc/PID/stat`, which
/// counts the time of threads that already ended too).
pub fn cpu_seconds(pid: u32) -> Result<f64, Error> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The command name may contain spaces: fields are counted after its closing parenthesis.
    let rest = stat.rsplit_once(')').ok_or("an unreadable /proc stat")?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    let ticks: u64 =
        fields.get(11).ok_or("no utime")?.parse::<u64>()? + fields.get(12).ok_or("no stime")?.parse::<u64>()?;
    // USER_HZ is 100 on every Linux architecture that matters here.
    Ok(ticks as f64 / 100.0)
}
