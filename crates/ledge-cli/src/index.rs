//! `ledge index add|refresh|rebuild|list|status|remove`: the folders Ledge indexes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use ledge_core::embedding::EmbeddingModel;
use ledge_index::{CancelToken, Index, IndexOptions, IndexReport, Progress};

use crate::environment;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Index a folder (or update an indexed folder's options) and wait until it is done.
    Add {
        /// The folder to index.
        folder: PathBuf,
        /// Also index hidden files and folders (secrets such as .ssh or .env never are).
        #[arg(long)]
        hidden: bool,
        /// Follow symbolic links.
        #[arg(long)]
        follow_links: bool,
        /// Leave out files and folders matching this glob (repeatable), e.g. `*.log`.
        #[arg(long, value_name = "GLOB")]
        exclude: Vec<String>,
        /// Skip files larger than this many MiB.
        #[arg(long, value_name = "MIB", default_value_t = 32)]
        max_file_mib: u64,
        /// Do not compute vectors for search by meaning (even if an embedding model is installed).
        #[arg(long)]
        no_vectors: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Re-scan the indexed folders (or one of them): only what changed is read again.
    Refresh {
        /// One indexed folder; all of them when left out.
        folder: Option<PathBuf>,
        /// Do not compute vectors for search by meaning.
        #[arg(long)]
        no_vectors: bool,
        /// Print the reports as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Read and index again every file of the indexed folders (or of one): text extracted
    /// afresh, the full-text index made whole again. Safe to interrupt: running it again
    /// continues where it stopped.
    Rebuild {
        /// One indexed folder; all of them when left out.
        folder: Option<PathBuf>,
        /// Do not compute vectors for search by meaning.
        #[arg(long)]
        no_vectors: bool,
        /// Print the reports as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the indexed folders.
    List {
        /// Print the list as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show the state of the index: folders, files, chunks, size on disk.
    Status {
        /// Print the status as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Stop indexing a folder and forget what was indexed from it (its files are not touched).
    Remove {
        /// The indexed folder.
        folder: PathBuf,
    },
}

/// Opens the index in the data folder, never indexing the data folder itself.
pub fn open_index() -> Result<Index> {
    let data_dir = environment::data_dir()?;
    let dir = data_dir.index_dir();
    let mut index =
        Index::open(&dir).with_context(|| format!("opening the index in {}", dir.display()))?;
    index.never_index(data_dir.root());
    Ok(index)
}

pub fn run(args: &Args) -> Result<ExitCode> {
    let mut index = open_index()?;
    match &args.command {
        Command::Add {
            folder,
            hidden,
            follow_links,
            exclude,
            max_file_mib,
            no_vectors,
            json,
        } => {
            let options = IndexOptions {
                include_hidden: *hidden,
                follow_links: *follow_links,
                exclude: exclude.clone(),
                max_file_bytes: max_file_mib.saturating_mul(1024 * 1024),
            };
            let report = with_progress(|progress, cancel| {
                index.add_folder(folder, &options, progress, cancel)
            })?;
            print_reports(&[report], *json)?;
            if !no_vectors {
                embed_new_chunks(&mut index, *json)?;
            }
        }
        Command::Refresh {
            folder,
            no_vectors,
            json,
        } => {
            let reports = with_progress(|progress, cancel| match folder {
                Some(folder) => index.refresh(folder, progress, cancel).map(|r| vec![r]),
                None => index.refresh_all(progress, cancel),
            })?;
            print_reports(&reports, *json)?;
            if !no_vectors {
                embed_new_chunks(&mut index, *json)?;
            }
        }
        Command::Rebuild {
            folder,
            no_vectors,
            json,
        } => {
            let reports = with_progress(|progress, cancel| {
                index.rebuild(folder.as_deref(), progress, cancel)
            })?;
            print_reports(&reports, *json)?;
            if !no_vectors {
                embed_new_chunks(&mut index, *json)?;
            }
        }
        Command::List { json } => {
            let folders = index.folders()?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&folders)?);
            } else if folders.is_empty() {
                println!("No folders indexed yet: `ledge index add FOLDER`.");
            } else {
                for folder in folders {
                    println!(
                        "{}  ({} files, {} chunks, {} skipped, {} failed)",
                        folder.path.display(),
                        folder.files_indexed,
                        folder.chunks,
                        folder.files_skipped,
                        folder.files_failed
                    );
                }
            }
        }
        Command::Status { json } => {
            let status = index.status()?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&status)?);
            } else {
                let files: u64 = status.folders.iter().map(|f| f.files_indexed).sum();
                let bytes: u64 = status.folders.iter().map(|f| f.bytes).sum();
                println!("Index        {}", status.dir.display());
                println!("  folders    {}", status.folders.len());
                println!("  files      {files} ({})", human_bytes(bytes));
                println!("  chunks     {}", status.chunks);
                println!(
                    "  full text  {} documents{}",
                    status.fulltext_docs,
                    if status.consistent {
                        ""
                    } else {
                        " (being repaired)"
                    }
                );
                println!("  on disk    {}", human_bytes(status.disk_bytes));
            }
        }
        Command::Remove { folder } => {
            index.remove_folder(folder)?;
            println!("Removed {} from the index.", folder.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Gives every chunk without a vector its vector, when an embedding model is installed, so
/// that questions find passages by meaning and not only by words.
fn embed_new_chunks(index: &mut Index, quiet: bool) -> Result<()> {
    let data_dir = environment::data_dir()?;
    let registry = ledge_core::registry(&data_dir, environment::extra_model_dirs());
    let Some(entry) = registry.embedding_model(None)? else {
        return Ok(());
    };
    let (done, total) = index.embedding_progress(&entry.name)?;
    if done >= total {
        return Ok(());
    }
    ledge_llm::Runtime::init().context("cannot start MLX")?;
    let mut model = EmbeddingModel::load(&entry.path)
        .with_context(|| format!("cannot load the embedding model {}", entry.name))?;
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{bar:30}] {pos}/{len} passages embedded ({eta} left)",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    if quiet {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar.enable_steady_tick(Duration::from_millis(120));
    let report = index.embed_pending(
        &mut model,
        32,
        &mut |progress| {
            bar.set_length(progress.total);
            bar.set_position(progress.done);
        },
        &CancelToken::new(),
    );
    bar.finish_and_clear();
    let report = report?;
    if !quiet {
        eprintln!(
            "{} passages embedded with {} in {:.1} s",
            report.embedded,
            entry.name,
            report.elapsed_ms as f64 / 1000.0
        );
    }
    Ok(())
}

/// Runs `work` with a progress bar on stderr (drawn only when stderr is a terminal).
fn with_progress<T>(
    work: impl FnOnce(&mut dyn FnMut(&Progress), &CancelToken) -> ledge_index::Result<T>,
) -> Result<T> {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{bar:30}] {pos}/{len} files {msg:.dim} ({elapsed})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    let cancel = CancelToken::new();
    let outcome = work(
        &mut |progress: &Progress| {
            bar.set_length(progress.files_total);
            bar.set_position(progress.files_done);
            if let Some(name) = progress.current.as_deref().and_then(Path::file_name) {
                bar.set_message(name.to_string_lossy().into_owned());
            }
        },
        &cancel,
    );
    bar.finish_and_clear();
    Ok(outcome?)
}

fn print_reports(reports: &[IndexReport], json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(reports)?);
        return Ok(());
    }
    for report in reports {
        let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
        for skipped in &report.skipped {
            *reasons.entry(skipped.reason.code()).or_default() += 1;
        }
        let reasons = reasons
            .iter()
            .map(|(reason, count)| format!("{reason} {count}"))
            .collect::<Vec<_>>()
            .join(", ");
        println!("{}", report.folder.display());
        println!(
            "  {} files found: {} indexed, {} unchanged, {} touched, {} renamed, {} deleted",
            report.files_found,
            report.indexed,
            report.unchanged,
            report.touched,
            report.renamed,
            report.deleted
        );
        println!(
            "  {} skipped{}, {} failed, {} unreadable paths, {} secrets left out, {} generated copies left out",
            report.skipped.len(),
            if reasons.is_empty() {
                String::new()
            } else {
                format!(" ({reasons})")
            },
            report.failed.len(),
            report.problems.len(),
            report.denied,
            report.generated
        );
        println!(
            "  {} chunks added, {} removed, {} read in {:.1} s",
            report.chunks_added,
            report.chunks_removed,
            human_bytes(report.bytes_read),
            report.elapsed_ms as f64 / 1000.0
        );
        for problem in report.failed.iter().chain(&report.problems) {
            eprintln!("warning: {}: {}", problem.path.display(), problem.message);
        }
    }
    Ok(())
}

fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
