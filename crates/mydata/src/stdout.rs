//! Standard output, whose reader may stop reading early (`mydata export | head -1`). The command
//! then stops, quietly and successfully, as Unix tools do, where `print!` would panic and a plain
//! write would fail with "Broken pipe".

use std::fmt::Display;
use std::io::{ErrorKind, Write};

/// The reader of standard output went away; `main` ends the command successfully, saying nothing.
#[derive(Debug)]
pub struct ReaderGone;

impl std::fmt::Display for ReaderGone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the reader of standard output went away")
    }
}

impl std::error::Error for ReaderGone {}

/// `error`, from a write to standard output, as the command's error: [`ReaderGone`] for a closed pipe.
pub fn failed_write(error: std::io::Error) -> anyhow::Error {
    if error.kind() == ErrorKind::BrokenPipe {
        ReaderGone.into()
    } else {
        anyhow::Error::new(error).context("writing to standard output")
    }
}

/// Writes `text` to standard output and flushes it.
pub fn print(text: impl Display) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    write!(out, "{text}").and_then(|()| out.flush()).map_err(failed_write)
}

/// `println!` for a command's output: `outln!("{x}")?` stops the command once its reader has gone.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::stdout::print(format_args!("{}\n", format_args!($($arg)*)))
    };
}
pub(crate) use outln;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_closed_pipe_is_the_reader_going_away() {
        assert!(failed_write(ErrorKind::BrokenPipe.into()).is::<ReaderGone>());
        let full = failed_write(std::io::Error::from(ErrorKind::StorageFull));
        assert!(!full.is::<ReaderGone>());
        assert!(format!("{full:#}").starts_with("writing to standard output: "), "{full:#}");
    }
}
