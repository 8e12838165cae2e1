//! `ledge search QUERY`: ranked passages from the indexed files.

use std::process::ExitCode;

use anyhow::Result;

use crate::index::open_index;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to look for: words (other forms of a word match too), "quoted phrases",
    /// +required and -excluded words.
    #[arg(required = true, num_args = 1..)]
    query: Vec<String>,
    /// How many passages to show.
    #[arg(long, short = 'n', default_value_t = 10)]
    limit: usize,
    /// Print the hits as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: &Args) -> Result<ExitCode> {
    let index = open_index()?;
    let hits = index.search(&args.query.join(" "), args.limit)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&hits)?);
        return Ok(ExitCode::SUCCESS);
    }
    if hits.is_empty() {
        eprintln!("No results.");
    }
    for (rank, hit) in hits.iter().enumerate() {
        let place = match hit.page {
            Some(page) => format!("page {page}"),
            None if hit.line_start == hit.line_end => format!("{}", hit.line_start),
            None => format!("{}-{}", hit.line_start, hit.line_end),
        };
        println!(
            "{}. {}:{place}  (score {:.2})",
            rank + 1,
            hit.path.display(),
            hit.score
        );
        if !hit.heading.is_empty() {
            println!("   {}", hit.heading);
        }
        println!("   {}", hit.snippet.trim());
    }
    Ok(ExitCode::SUCCESS)
}
