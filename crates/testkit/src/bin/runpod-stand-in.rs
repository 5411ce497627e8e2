//! `runpod-stand-in ADDRESS API_KEY ENDPOINT...`: runs the RunPod stand-in
//! (`codex_testkit::runpod`) until interrupted. `scripts/e2e.sh` points both
//! runtimes' transcoding dispatch at it.

use std::net::SocketAddr;

use codex_testkit::runpod::StandIn;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(address), Some(api_key)) = (
        args.first().and_then(|a| a.parse::<SocketAddr>().ok()),
        args.get(1),
    ) else {
        eprintln!("usage: runpod-stand-in ADDRESS API_KEY ENDPOINT...");
        std::process::exit(2);
    };
    let endpoints: Vec<&str> = args[2..].iter().map(String::as_str).collect();
    let (_stand_in, bound) = StandIn::start(address, api_key, &endpoints)
        .await
        .unwrap_or_else(|error| {
            eprintln!("runpod-stand-in: cannot bind {address}: {error}");
            std::process::exit(1);
        });
    eprintln!("runpod-stand-in: listening on http://{bound}");
    let _ = tokio::signal::ctrl_c().await;
}
