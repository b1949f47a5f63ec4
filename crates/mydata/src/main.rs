//! `mydata`: one command for every role of the MyData standard API.

mod cli;
mod cmd;

use clap::Parser;
use std::io::IsTerminal;
use std::process::ExitCode;

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MYDATA_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    // Humans get readable lines; anything else (a log collector, a file) gets one JSON object a line.
    if std::io::stderr().is_terminal() {
        builder.init();
    } else {
        builder.json().init();
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = cli::Cli::parse();
    init_logging();
    match args.run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mydata: {e:#}");
            ExitCode::FAILURE
        }
    }
}
