//! `resend-stand-in ADDRESS API_KEY`: runs the Resend stand-in
//! (`codex_testkit::resend`) until interrupted. `scripts/e2e.sh` points both
//! runtimes' mail delivery at it.

use std::net::SocketAddr;

use codex_testkit::resend::StandIn;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(address), Some(api_key)) = (
        args.first().and_then(|a| a.parse::<SocketAddr>().ok()),
        args.get(1),
    ) else {
        eprintln!("usage: resend-stand-in ADDRESS API_KEY");
        std::process::exit(2);
    };
    let (_stand_in, bound) = StandIn::start(address, api_key)
        .await
        .unwrap_or_else(|error| {
            eprintln!("resend-stand-in: cannot bind {address}: {error}");
            std::process::exit(1);
        });
    eprintln!("resend-stand-in: listening on http://{bound}");
    let _ = tokio::signal::ctrl_c().await;
}
