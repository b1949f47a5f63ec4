//! Configuration files: every flag of every subcommand can also be set in a TOML file given by
//! `--config FILE` (or `MYDATA_CONFIG`). Keys are the flags' long names; a `[serve]`, `[portal]`, …
//! section applies to that subcommand, top-level keys to whichever subcommand runs.
//!
//! Precedence: command-line flag > environment variable > file > built-in default. The file's values
//! are added to the argument list before clap parses it, so clap validates them like any flag; the
//! error then names the file key that carried the bad value.

use anyhow::{Context, bail};
use clap::{Arg, ArgAction, Command};
use std::ffi::OsString;
use std::path::PathBuf;

pub const ENV: &str = "MYDATA_CONFIG";

/// A value from the file, remembered so that an error can name where it came from.
pub struct FromFile {
    pub file: PathBuf,
    pub keys: Vec<String>,
}

/// `--config FILE` / `--config=FILE` on the command line, else `MYDATA_CONFIG`.
fn config_path(args: &[OsString]) -> Option<PathBuf> {
    let mut iter = args.iter().skip(1);
    while let Some(arg) = iter.next() {
        let text = arg.to_string_lossy();
        if text == "--config" {
            return iter.next().map(PathBuf::from);
        }
        if let Some(path) = text.strip_prefix("--config=") {
            return Some(PathBuf::from(path));
        }
    }
    std::env::var_os(ENV).map(PathBuf::from)
}

fn given_on_command_line(args: &[OsString], long: &str) -> bool {
    let flag = format!("--{long}");
    args.iter().any(|a| {
        let a = a.to_string_lossy();
        a == flag || a.starts_with(&format!("{flag}="))
    })
}

fn set_in_environment(arg: &Arg) -> bool {
    arg.get_env().is_some_and(|name| std::env::var_os(name).is_some())
}

fn scalar(value: &toml::Value) -> Option<String> {
    match value {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Integer(i) => Some(i.to_string()),
        toml::Value::Float(f) => Some(f.to_string()),
        toml::Value::Boolean(b) => Some(b.to_string()),
        toml::Value::Datetime(d) => Some(d.to_string()),
        toml::Value::Array(_) | toml::Value::Table(_) => None,
    }
}

/// The arguments for `subcommand` that `key = value` stands for.
fn arguments_for(arg: &Arg, long: &str, key: &str, value: &toml::Value) -> anyhow::Result<Vec<OsString>> {
    let flag = OsString::from(format!("--{long}"));
    if !arg.get_action().takes_values() {
        return match value {
            toml::Value::Boolean(true) => Ok(vec![flag]),
            toml::Value::Boolean(false) => Ok(vec![]),
            _ => bail!("`{key}` is a switch: set it to true or false"),
        };
    }
    let values: Vec<String> = match value {
        toml::Value::Array(items)
            if matches!(arg.get_action(), ArgAction::Append) || arg.get_value_delimiter().is_some() =>
        {
            items
                .iter()
                .map(scalar)
                .collect::<Option<_>>()
                .with_context(|| format!("`{key}` must be a list of plain values"))?
        }
        other => vec![scalar(other).with_context(|| format!("`{key}` must be a plain value, not a list or table"))?],
    };
    Ok(values.into_iter().flat_map(|v| [flag.clone(), OsString::from(v)]).collect())
}

/// Adds the file's settings to `args` (the process arguments) where neither a flag nor an
/// environment variable already sets them.
pub fn apply(command: &Command, mut args: Vec<OsString>) -> anyhow::Result<(Vec<OsString>, Option<FromFile>)> {
    let Some(file) = config_path(&args) else { return Ok((args, None)) };
    let text = std::fs::read_to_string(&file).with_context(|| format!("reading the config file {}", file.display()))?;
    let table: toml::Table =
        text.parse().with_context(|| format!("config file {} is not valid TOML", file.display()))?;

    // The subcommand is the first argument naming one.
    let Some((position, sub)) = args
        .iter()
        .enumerate()
        .skip(1)
        .find_map(|(i, a)| command.find_subcommand(a.to_string_lossy().as_ref()).map(|s| (i, s)))
    else {
        return Ok((args, None));
    };
    let known: Vec<String> = command.get_subcommands().map(|s| s.get_name().to_owned()).collect();
    let mut settings: Vec<(String, &toml::Value)> = Vec::new();
    for (key, value) in &table {
        match value {
            toml::Value::Table(section) if known.contains(key) => {
                if key == sub.get_name() {
                    settings.extend(section.iter().map(|(k, v)| (format!("{key}.{k}"), v)));
                }
            }
            _ => settings.push((key.clone(), value)),
        }
    }

    let mut injected = Vec::new();
    let mut keys = Vec::new();
    for (key, value) in settings {
        let long = key.rsplit('.').next().unwrap_or(&key);
        let Some(arg) = sub.get_arguments().find(|a| a.get_long() == Some(long)) else {
            let is_section_key = key.contains('.');
            if is_section_key
                || !command.get_subcommands().any(|s| s.get_arguments().any(|a| a.get_long() == Some(long)))
            {
                let flags: Vec<&str> =
                    sub.get_arguments().filter_map(Arg::get_long).filter(|l| *l != "config").collect();
                bail!(
                    "config file {}: unknown key `{key}` for `mydata {}` (known: {})",
                    file.display(),
                    sub.get_name(),
                    flags.join(", ")
                );
            }
            continue; // a top-level key meant for another subcommand
        };
        if given_on_command_line(&args, long) || set_in_environment(arg) {
            continue;
        }
        let extra = arguments_for(arg, long, &key, value).with_context(|| format!("config file {}", file.display()))?;
        if !extra.is_empty() {
            keys.push(key.clone());
        }
        injected.extend(extra);
    }
    let tail = args.split_off(position + 1);
    args.extend(injected);
    args.extend(tail);
    Ok((args, Some(FromFile { file, keys })))
}
