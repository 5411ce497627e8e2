//! `db-fault-proxy LISTEN UPSTREAM CONTROL`: runs the fault proxy until
//! interrupted. Used by the e2e scripts to take PostgreSQL away from the
//! services under test (`POST /down`, `/reset` or `/stall` on the control
//! port) and give it back (`POST /up`).

use std::net::SocketAddr;

use codex_testkit::fault_proxy::FaultProxy;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parse = |index: usize, what: &str| -> SocketAddr {
        args.get(index)
            .and_then(|value| value.parse().ok())
            .unwrap_or_else(|| {
                eprintln!(
                    "usage: db-fault-proxy LISTEN UPSTREAM CONTROL (each ip:port); bad {what}"
                );
                std::process::exit(2);
            })
    };
    let (listen, upstream, control) = (
        parse(0, "LISTEN"),
        parse(1, "UPSTREAM"),
        parse(2, "CONTROL"),
    );
    let proxy = FaultProxy::start(listen, upstream, control)
        .await
        .unwrap_or_else(|error| {
            eprintln!("db-fault-proxy: cannot bind: {error}");
            std::process::exit(1);
        });
    eprintln!(
        "db-fault-proxy: {} -> {upstream}, control on http://{}",
        proxy.listen, proxy.control
    );
    let _ = tokio::signal::ctrl_c().await;
}
