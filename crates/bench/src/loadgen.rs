//! A closed-loop load generator over loopback: `connections` workers each send a request, wait for
//! the whole answer, record the latency, and send the next, until the time is up. Bounded in time
//! and in requests, and aimed only at addresses the caller started on this machine.

use hdrhistogram::Histogram;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub struct Load {
    pub connections: usize,
    pub duration: Duration,
    /// Requests sent before measuring, to open connections and warm caches.
    pub warmup: Duration,
    /// A hard cap on requests, whatever the duration.
    pub max_requests: u64,
}

/// What one run measured, or several runs added up ([`Measured::add`]).
#[derive(Clone)]
pub struct Measured {
    pub requests: u64,
    /// Answers with an unexpected status (the scenario says what it expects).
    pub errors: u64,
    pub seconds: f64,
    /// Every latency, in microseconds: the percentiles of runs added up are those of the whole.
    latencies: Histogram<u64>,
}

impl std::fmt::Debug for Measured {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Measured")
            .field("requests", &self.requests)
            .field("errors", &self.errors)
            .field("seconds", &self.seconds)
            .field("p50_ms", &self.p50_ms())
            .field("p95_ms", &self.p95_ms())
            .field("p99_ms", &self.p99_ms())
            .field("max_ms", &self.max_ms())
            .finish()
    }
}

impl Measured {
    /// Nothing measured yet, to [`add`](Measured::add) runs to.
    pub fn none() -> Measured {
        Measured { requests: 0, errors: 0, seconds: 0.0, latencies: histogram() }
    }

    /// Adds `run`: its requests, errors and seconds, and its latencies to the percentiles.
    pub fn add(&mut self, run: &Measured) {
        self.requests += run.requests;
        self.errors += run.errors;
        self.seconds += run.seconds;
        // Both histograms have the same bounds, so adding cannot fail.
        let _ = self.latencies.add(&run.latencies);
    }

    fn ms_at(&self, quantile: f64) -> f64 {
        self.latencies.value_at_quantile(quantile) as f64 / 1000.0
    }

    pub fn p50_ms(&self) -> f64 {
        self.ms_at(0.50)
    }

    pub fn p95_ms(&self) -> f64 {
        self.ms_at(0.95)
    }

    pub fn p99_ms(&self) -> f64 {
        self.ms_at(0.99)
    }

    pub fn max_ms(&self) -> f64 {
        self.latencies.max() as f64 / 1000.0
    }

    pub fn rps(&self) -> f64 {
        if self.seconds > 0.0 { self.requests as f64 / self.seconds } else { 0.0 }
    }
}

fn histogram() -> Histogram<u64> {
    // Microseconds from 1 µs to 60 s, three significant digits.
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("static histogram bounds are valid")
}

/// Runs `call(worker, sequence)` in a closed loop; it returns whether the answer was the expected one.
pub async fn run<F, Fut>(load: Load, call: F) -> Measured
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send,
{
    let call = Arc::new(call);
    let measure_from = Instant::now() + load.warmup;
    let deadline = measure_from + load.duration;
    let per_worker_cap = load.max_requests / load.connections.max(1) as u64 + 1;
    let workers: Vec<_> = (0..load.connections)
        .map(|worker| {
            let call = call.clone();
            tokio::spawn(async move {
                let mut latencies = histogram();
                let (mut requests, mut errors, mut sequence) = (0u64, 0u64, 0u64);
                while Instant::now() < deadline && requests < per_worker_cap {
                    let started = Instant::now();
                    let ok = call(worker, sequence).await;
                    sequence += 1;
                    if started >= measure_from {
                        let micros = started.elapsed().as_micros().clamp(1, 60_000_000) as u64;
                        let _ = latencies.record(micros);
                        requests += 1;
                        errors += u64::from(!ok);
                    }
                }
                (latencies, requests, errors)
            })
        })
        .collect();
    let mut all = histogram();
    let (mut requests, mut errors) = (0, 0);
    for worker in workers {
        if let Ok((latencies, r, e)) = worker.await {
            let _ = all.add(latencies);
            requests += r;
            errors += e;
        }
    }
    let seconds = (Instant::now().min(deadline) - measure_from).as_secs_f64();
    Measured { requests, errors, seconds, latencies: all }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn counts_requests_errors_and_latency() {
        // Capped by count, not time, so the figures are exact whatever the machine's speed.
        let load =
            Load { connections: 4, duration: Duration::from_secs(60), warmup: Duration::ZERO, max_requests: 400 };
        let measured = run(load, |_, sequence| async move {
            tokio::time::sleep(Duration::from_millis(2)).await;
            sequence % 10 != 0
        })
        .await;
        // Each worker sends 101 requests; sequences 0, 10, …, 100 fail: 11 each.
        assert_eq!(measured.requests, 404);
        assert_eq!(measured.errors, 44);
        assert!(measured.p50_ms() >= 2.0, "every call sleeps 2 ms: {measured:?}");
        assert!(measured.p99_ms() >= measured.p50_ms() && measured.max_ms() >= measured.p99_ms());
    }

    #[tokio::test]
    async fn added_runs_count_together_and_share_percentiles() {
        let load = Load { connections: 1, duration: Duration::from_secs(60), warmup: Duration::ZERO, max_requests: 99 };
        // 100 requests of at least 20 ms, then 300 of next to nothing: the whole's median is fast,
        // its 95th percentile slow.
        let slow = run(load, |_, _| async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            true
        })
        .await;
        let fast = run(Load { max_requests: 299, ..load }, |_, sequence| async move { sequence != 0 }).await;
        let mut whole = Measured::none();
        whole.add(&slow);
        whole.add(&fast);
        assert_eq!((whole.requests, whole.errors), (400, 1));
        assert_eq!(whole.seconds, slow.seconds + fast.seconds);
        assert!(whole.p50_ms() < 20.0 && whole.p95_ms() >= 20.0 && whole.max_ms() >= 20.0, "{whole:?}");
    }

    #[tokio::test]
    async fn stops_at_the_request_cap() {
        let load =
            Load { connections: 2, duration: Duration::from_secs(30), warmup: Duration::ZERO, max_requests: 100 };
        let measured = run(load, |_, _| async { true }).await;
        assert_eq!(measured.requests, 102, "51 per worker: {measured:?}");
        assert_eq!(measured.errors, 0);
    }
}
