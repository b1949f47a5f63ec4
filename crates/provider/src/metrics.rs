//! Prometheus metrics at `/metrics` (OpenMetrics text): calls by API, rsp_code and x-api-type,
//! latency histograms, token events, periodic-allowance rejections, store pool usage and the log
//! lines dropped because the log's queue was full ([`mydata_web::logging`]).
//! Each provider instance has its own registry, so several servers in one process count apart.

use crate::info::CalledApi;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use mydata_spec::RspCode;
use mydata_store::Store;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::Arc;

pub const PATH: &str = "/metrics";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    api_id: &'static str,
    rsp_code: &'static str,
    api_type: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ApiLabels {
    api_id: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    pool: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TokenLabels {
    event: &'static str,
}

/// What happened to a token, for `mydata_tokens_total{event}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenEvent {
    Issued,
    Refreshed,
    Revoked,
}

impl TokenEvent {
    const fn label(self) -> &'static str {
        match self {
            TokenEvent::Issued => "issued",
            TokenEvent::Refreshed => "refreshed",
            TokenEvent::Revoked => "revoked",
        }
    }
}

/// `mydata_log_dropped_lines_total`, read from the process's log queues at each scrape.
#[derive(Debug)]
struct DroppedLogLines;

impl Collector for DroppedLogLines {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let counter = ConstCounter::new(mydata_web::logging::dropped_lines());
        let metric = encoder.encode_descriptor(
            "log_dropped_lines",
            "Log lines (the access log included) dropped because the log's queue was full",
            None,
            counter.metric_type(),
        )?;
        counter.encode(metric)
    }
}

pub struct Metrics {
    registry: Registry,
    calls: Family<CallLabels, Counter>,
    latency: Family<ApiLabels, Histogram>,
    tokens: Family<TokenLabels, Counter>,
    periodic_rejections: Family<ApiLabels, Counter>,
    pool_open: Family<PoolLabels, Gauge>,
    pool_idle: Family<PoolLabels, Gauge>,
    pool_max: Family<PoolLabels, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("mydata");
        let calls = Family::<CallLabels, Counter>::default();
        // 0.5 ms .. ~4 s in powers of two: provider calls live in the low milliseconds.
        let latency = Family::<ApiLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0005, 2.0, 14))
        });
        let tokens = Family::<TokenLabels, Counter>::default();
        let periodic_rejections = Family::<ApiLabels, Counter>::default();
        let (pool_open, pool_idle, pool_max) = (Family::default(), Family::default(), Family::default());
        registry.register(
            "api_calls",
            "Information-API calls answered, by API ID, rsp_code and x-api-type",
            calls.clone(),
        );
        registry.register("api_latency_seconds", "Time to answer an information-API call", latency.clone());
        registry.register("tokens", "Access tokens issued, refreshed and revoked", tokens.clone());
        registry.register(
            "periodic_rejections",
            "Scheduled calls refused for exceeding the periodic allowance (42901)",
            periodic_rejections.clone(),
        );
        registry.register("store_pool_open_connections", "Database connections open", pool_open.clone());
        registry.register("store_pool_idle_connections", "Database connections idle", pool_idle.clone());
        registry.register("store_pool_max_connections", "Database connections allowed", pool_max.clone());
        registry.register_collector(Box::new(DroppedLogLines));
        Metrics { registry, calls, latency, tokens, periodic_rejections, pool_open, pool_idle, pool_max }
    }

    pub fn token(&self, event: TokenEvent) {
        self.tokens.get_or_create(&TokenLabels { event: event.label() }).inc();
    }

    fn call(&self, called: &CalledApi, code: RspCode, seconds: f64) {
        // Static labels: counting a call allocates nothing.
        let api_id = called.api_id;
        let api_type = called.api_type.map_or("none", |t| t.as_str());
        self.calls.get_or_create(&CallLabels { api_id, rsp_code: code.code(), api_type }).inc();
        self.latency.get_or_create(&ApiLabels { api_id }).observe(seconds);
        if code == RspCode::LimitExceeded {
            self.periodic_rejections.get_or_create(&ApiLabels { api_id }).inc();
        }
    }

    /// The OpenMetrics text, with pool gauges read now.
    pub fn encode(&self, store: &dyn Store) -> String {
        for pool in store.pool_usage() {
            let labels = PoolLabels { pool: pool.pool };
            self.pool_open.get_or_create(&labels).set(i64::from(pool.open));
            self.pool_idle.get_or_create(&labels).set(i64::from(pool.idle));
            self.pool_max.get_or_create(&labels).set(i64::from(pool.max));
        }
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }

    /// Counts and times `response` when it is tagged with [`CalledApi`] (called by
    /// [`crate::access_log::record`], the one middleware that observes every request).
    pub fn observe(&self, response: &Response, seconds: f64) {
        if let (Some(called), Some(code)) =
            (response.extensions().get::<CalledApi>(), response.extensions().get::<RspCode>())
        {
            self.call(called, *code, seconds);
        }
    }
}

/// `GET /metrics`.
pub fn route(metrics: Arc<Metrics>, store: Arc<dyn Store>) -> MethodRouter {
    get(move || {
        let (metrics, store) = (metrics.clone(), store.clone());
        async move {
            let mut response = (StatusCode::OK, metrics.encode(store.as_ref())).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
            );
            response
        }
    })
}
