//! `paraakh grammar man` and `paraakh grammar completions` (hidden): the
//! manual pages and shell completions, generated from the same command tree
//! that parses the command line, so they never disagree with it. The
//! installer puts them under /usr/share/man and the shells' directories.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Command, CommandFactory as _};
use clap_complete::Shell;

#[derive(Debug, Args)]
pub(crate) struct ManArgs {
    /// The directory the pages go into (`paraakh.1`, `paraakh-verify.1`, …).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Print one JSON document (the only form).
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The directory the scripts go into: `bash/paraakh`, `zsh/_paraakh`, `fish/paraakh.fish`.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Print one JSON document (the only form).
    #[arg(long)]
    json: bool,
}

/// One page for the command and one for each subcommand, named by its path
/// (`paraakh-ingest-serve.1`); hidden commands have none.
fn pages(
    cmd: &Command,
    name: String,
    out: &Path,
    written: &mut Vec<PathBuf>,
) -> anyhow::Result<()> {
    let cmd = cmd
        .clone()
        .name(name.clone())
        .bin_name(name.replace('-', " "));
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd.clone())
        .render(&mut page)
        .with_context(|| format!("cannot render the manual page of {name}"))?;
    let path = out.join(format!("{name}.1"));
    crate::render::write_atomic(&path, &page)?;
    written.push(path);
    for sub in cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        pages(sub, format!("{name}-{}", sub.get_name()), out, written)?;
    }
    Ok(())
}

pub(crate) fn man(args: &ManArgs) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let mut root = crate::Cli::command();
    root.build();
    let mut written = Vec::new();
    pages(&root, "paraakh".into(), &args.out, &mut written)?;
    crate::render::print_json(&serde_json::json!({ "pages": written }))?;
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn completions(args: &CompletionsArgs) -> anyhow::Result<ExitCode> {
    let mut written = Vec::new();
    for (shell, dir) in [
        (Shell::Bash, "bash"),
        (Shell::Zsh, "zsh"),
        (Shell::Fish, "fish"),
    ] {
        let dir = args.out.join(dir);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let path = clap_complete::generate_to(shell, &mut crate::Cli::command(), "paraakh", &dir)
            .with_context(|| {
            format!(
                "cannot write the {shell} completions into {}",
                dir.display()
            )
        })?;
        written.push(path);
    }
    crate::render::print_json(&serde_json::json!({ "completions": written }))?;
    Ok(ExitCode::SUCCESS)
}
