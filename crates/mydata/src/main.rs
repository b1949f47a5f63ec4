//! `mydata`: one command for every role of the MyData standard API.

mod cli;
mod cmd;
mod config;
mod stdout;

use clap::CommandFactory;
use std::process::ExitCode;

/// mimalloc instead of glibc's allocator: the servers allocate and free many small buffers from
/// several threads at once, where the profile of `mydata bench` showed glibc's malloc at about a
/// tenth of the time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let (args, from_file) = match config::apply(&cli::Cli::command(), std::env::args_os().collect()) {
        Ok(applied) => applied,
        Err(e) => {
            eprintln!("mydata: {}", described(&e));
            return ExitCode::from(2);
        }
    };
    let args = match <cli::Cli as clap::Parser>::try_parse_from(args) {
        Ok(args) => args,
        Err(e) => {
            let is_usage_error = e.use_stderr();
            let _ = e.print();
            if let Some(file) = from_file.filter(|f| is_usage_error && !f.keys.is_empty()) {
                eprintln!("(settings taken from the config file {}: {})", file.file.display(), file.keys.join(", "));
            }
            return ExitCode::from(if is_usage_error { 2 } else { 0 });
        }
    };
    let directives = std::env::var("MYDATA_LOG").unwrap_or_else(|_| "info".into());
    // Held until exit: dropping it writes the lines still queued.
    let _log_writer = match mydata_web::logging::init(&directives, args.log_file().as_deref()) {
        Ok(guard) => guard,
        Err(e) => {
            eprintln!("mydata: the log (MYDATA_LOG={directives:?}, --log-file): {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(file) = args.config_file() {
        tracing::info!(config = %file.display(), "settings read from config file");
    }
    match args.run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.chain().any(|cause| cause.is::<stdout::ReaderGone>()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mydata: {}", described(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes, as `{:#}` joins them, but without a cause the message before it already
/// says: the store's and sqlx's errors repeat their sources' words in their own, so a refused
/// PostgreSQL login read "role … does not exist" three times.
fn described(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let said = cause.to_string();
        if text.contains(&said) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&said);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::described;

    #[test]
    fn a_cause_the_message_already_says_is_said_once() {
        let refused = r#"role "nobody" does not exist"#;
        let error = anyhow::anyhow!(refused)
            .context(format!("error returned from database: {refused}"))
            .context("opening the database");
        assert_eq!(described(&error), format!("opening the database: error returned from database: {refused}"));
        let plain = anyhow::anyhow!(refused).context("opening");
        assert_eq!(described(&plain), format!("{plain:#}"), "causes not repeated are all given");
    }
}
