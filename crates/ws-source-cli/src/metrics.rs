//! The Prometheus text endpoint (`GET /metrics`), bound to loopback by default.

use std::net::SocketAddr;

use metrics_exporter_prometheus::PrometheusBuilder;
use tracing::{info, warn};

/// Default address of the endpoint.
pub const DEFAULT_ADDR: &str = "127.0.0.1:9898";

/// Starts the exporter on `addr` (must be called inside the Tokio runtime). A failure to bind
/// is reported and ingestion goes on without the endpoint.
pub fn install(addr: SocketAddr) {
    match PrometheusBuilder::new().with_http_listener(addr).install() {
        Ok(()) => info!(%addr, "Prometheus metrics at http://{addr}/metrics"),
        Err(e) => warn!(%addr, error = %e, "metrics endpoint not started"),
    }
}

/// Starts the exporter from a `--metrics-addr` value (`off` disables it).
pub fn install_from_arg(arg: &str) -> anyhow::Result<()> {
    if arg == "off" {
        return Ok(());
    }
    let addr = arg
        .parse()
        .map_err(|e| anyhow::anyhow!("--metrics-addr {arg:?}: {e}"))?;
    install(addr);
    Ok(())
}
