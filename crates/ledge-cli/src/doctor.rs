//! `ledge doctor`: what Ledge runs on here, and what is wrong with it.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use ledge_core::backend::discover::{KNOWN_SERVERS, discover_local};
use ledge_core::backend::{LOCAL, manage};
use ledge_core::{DataDir, DataDirSource};
use ledge_llm::{BlasLibrary, FoundModel, ModelFormat, Runtime, discover_models};
use serde::Serialize;

use crate::environment;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// Side of the matrices of the throughput probe (2·1024³ flops, ~15 ms with OpenBLAS).
const PROBE_SIZE: i32 = 1024;

#[derive(Debug, Serialize)]
struct Report {
    version: &'static str,
    data_dir: Option<DataDirReport>,
    mlx: Option<MlxReport>,
    models: Vec<ModelReport>,
    model_dirs: Vec<PathBuf>,
    backends: BackendsReport,
    /// Things that stop Ledge from working.
    problems: Vec<String>,
    /// Things that work, but not as well as they should.
    warnings: Vec<String>,
}

#[derive(Debug, Serialize)]
struct DataDirReport {
    path: PathBuf,
    source: &'static str,
    created_now: bool,
    private: bool,
    mode: Option<String>,
}

#[derive(Debug, Serialize)]
struct MlxReport {
    version: String,
    device: String,
    blas: String,
    blas_path: Option<PathBuf>,
    blas_optimized: bool,
    /// One-row products (decoding) go to the BLAS's sgemv through Ledge's own cblas_sgemm.
    matvec_through_gemv: bool,
    matmul_size: i32,
    matmul_ms: f64,
    matmul_gflops: f64,
}

/// Where answers are computed: the default backend, the endpoints added, and the known
/// servers found listening on this machine.
#[derive(Debug, Default, Serialize)]
struct BackendsReport {
    default: String,
    endpoints: Vec<EndpointReport>,
    found_on_this_machine: Vec<FoundReport>,
}

#[derive(Debug, Serialize)]
struct EndpointReport {
    name: String,
    url: String,
    /// Where it computes (its address class), or why its address is refused.
    placement: String,
    allowed: bool,
}

#[derive(Debug, Serialize)]
struct FoundReport {
    product: &'static str,
    url: String,
    models: Vec<String>,
}

#[derive(Debug, Serialize)]
struct ModelReport {
    name: String,
    path: PathBuf,
    format: &'static str,
    bytes: u64,
    problem: Option<String>,
}

pub fn run(args: &Args) -> Result<ExitCode> {
    let report = gather();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_human(&report);
    }
    Ok(if report.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn gather() -> Report {
    let mut report = Report {
        version: env!("CARGO_PKG_VERSION"),
        data_dir: None,
        mlx: None,
        models: Vec::new(),
        model_dirs: Vec::new(),
        backends: BackendsReport::default(),
        problems: Vec::new(),
        warnings: Vec::new(),
    };

    match environment::data_dir() {
        Ok(dir) => {
            report.data_dir = Some(data_dir_report(&dir, &mut report.warnings));
            report.model_dirs.push(dir.models_dir());
            report.backends = backends_report(&dir, &mut report.warnings);
        }
        Err(error) => report.problems.push(format!("data folder: {error}")),
    }
    report.model_dirs.extend(environment::extra_model_dirs());

    match mlx_report() {
        Ok(mlx) => {
            if !mlx.blas_optimized {
                report.warnings.push(format!(
                    "MLX's CPU kernels use {}: matrix products run ~30x slower than with OpenBLAS \
                     (install libopenblas0-pthread and rebuild)",
                    mlx.blas
                ));
            }
            report.mlx = Some(mlx);
        }
        Err(error) => report.problems.push(format!("MLX does not run: {error}")),
    }

    for dir in &report.model_dirs {
        match discover_models(dir) {
            Ok(found) => report.models.extend(found.into_iter().map(model_report)),
            Err(error) => report
                .warnings
                .push(format!("cannot read {}: {error}", dir.display())),
        }
    }
    if report.models.is_empty() {
        report.warnings.push(
            "no models found: put a GGUF file or a model folder in the data folder's models/ \
             (or list folders in LEDGE_MODEL_PATH)"
                .to_owned(),
        );
    }
    report
}

fn backends_report(dir: &DataDir, warnings: &mut Vec<String>) -> BackendsReport {
    let mut report = BackendsReport {
        default: LOCAL.to_owned(),
        ..BackendsReport::default()
    };
    match ledge_core::open_store(dir) {
        Ok(store) => {
            match manage::default_backend(&store) {
                Ok(name) => report.default = name,
                Err(error) => warnings.push(format!("backends: {error:#}")),
            }
            match store.backends() {
                Ok(endpoints) => {
                    for endpoint in endpoints {
                        let placement = manage::placement(&endpoint).map_err(|e| e.to_string());
                        if let Err(error) = &placement {
                            warnings.push(format!("backend {}: {error}", endpoint.name));
                        }
                        report.endpoints.push(EndpointReport {
                            name: endpoint.name,
                            url: endpoint.url.to_string(),
                            allowed: placement.is_ok(),
                            placement: match placement {
                                Ok(class) => class.to_string(),
                                Err(error) => error,
                            },
                        });
                    }
                }
                Err(error) => warnings.push(format!("backends: {error}")),
            }
        }
        Err(error) => warnings.push(format!("the assistant database: {error}")),
    }
    report.found_on_this_machine = discover_local(KNOWN_SERVERS)
        .into_iter()
        .filter_map(|found| {
            Some(FoundReport {
                product: found.product,
                url: found.url.to_string(),
                models: found.models.ok()?,
            })
        })
        .collect();
    report
}

fn data_dir_report(dir: &DataDir, warnings: &mut Vec<String>) -> DataDirReport {
    let private = dir.is_private().unwrap_or(false);
    if !private {
        warnings.push(format!(
            "the data folder {} can be read by other users (chmod 700 it)",
            dir.root().display()
        ));
    }
    DataDirReport {
        path: dir.root().to_path_buf(),
        source: match dir.source() {
            DataDirSource::LedgeHome => "LEDGE_HOME",
            DataDirSource::Platform => "platform",
        },
        created_now: dir.was_created(),
        private,
        mode: dir.mode().map(|mode| format!("{mode:04o}")),
    }
}

fn mlx_report() -> ledge_llm::Result<MlxReport> {
    let runtime = Runtime::init()?;
    let probe = runtime.probe_matmul(PROBE_SIZE, 3)?;
    let blas = runtime.blas();
    let blas_path = match blas {
        BlasLibrary::OpenBlas { path }
        | BlasLibrary::Reference { path }
        | BlasLibrary::Other { path } => Some(path.clone()),
        _ => None,
    };
    Ok(MlxReport {
        version: runtime.mlx_version().to_owned(),
        device: runtime.device().to_string(),
        blas: match blas {
            BlasLibrary::OpenBlas { .. } => "OpenBLAS",
            BlasLibrary::Reference { .. } => "reference BLAS",
            BlasLibrary::Accelerate => "Accelerate",
            BlasLibrary::Other { .. } => "other",
            _ => "none",
        }
        .to_owned(),
        blas_path,
        blas_optimized: blas.is_optimized(),
        matvec_through_gemv: runtime.matvec_through_gemv(),
        matmul_size: probe.n,
        matmul_ms: probe.per_product.as_secs_f64() * 1e3,
        matmul_gflops: probe.gflops(),
    })
}

fn model_report(model: FoundModel) -> ModelReport {
    ModelReport {
        name: model.name(),
        format: match model.format {
            ModelFormat::Gguf => "gguf",
            ModelFormat::SafetensorsFolder => "safetensors",
        },
        path: model.path,
        bytes: model.bytes,
        problem: model.problem,
    }
}

fn print_human(report: &Report) {
    println!("Ledge {}", report.version);
    if let Some(dir) = &report.data_dir {
        let privacy = if dir.private { "private" } else { "SHARED" };
        let mode = dir
            .mode
            .as_deref()
            .map(|m| format!(", {m}"))
            .unwrap_or_default();
        let created = if dir.created_now { ", created now" } else { "" };
        println!(
            "  data folder  {} (from {}; {privacy}{mode}{created})",
            dir.path.display(),
            dir.source
        );
    }
    if let Some(mlx) = &report.mlx {
        println!("  MLX          {} on {}", mlx.version, mlx.device);
        let matvec = if mlx.matvec_through_gemv {
            "; one-row products through its sgemv"
        } else {
            ""
        };
        match &mlx.blas_path {
            Some(path) => println!("  BLAS         {} ({}){matvec}", mlx.blas, path.display()),
            None => println!("  BLAS         {}{matvec}", mlx.blas),
        }
        println!(
            "  matmul       {n}x{n} f32 in {:.1} ms ({:.1} GFLOP/s)",
            mlx.matmul_ms,
            mlx.matmul_gflops,
            n = mlx.matmul_size
        );
    }
    println!("  models       {} found", report.models.len());
    for model in &report.models {
        let size = model.bytes as f64 / (1024.0 * 1024.0);
        let problem = model
            .problem
            .as_deref()
            .map(|p| format!("  <- {p}"))
            .unwrap_or_default();
        println!(
            "    {:<36} {:<12} {size:>8.1} MiB  {}{problem}",
            model.name,
            model.format,
            model.path.display()
        );
    }
    let backends = &report.backends;
    let default_place = if backends.default == LOCAL {
        ledge_core::assistant::COMPUTED_LOCALLY.to_owned()
    } else {
        backends
            .endpoints
            .iter()
            .find(|e| e.name == backends.default)
            .map(|e| format!("{} ({})", e.url, e.placement))
            .unwrap_or_default()
    };
    println!(
        "  answers      computed by {} — {default_place}",
        backends.default
    );
    for endpoint in &backends.endpoints {
        println!(
            "    {:<16} {} ({})",
            endpoint.name, endpoint.url, endpoint.placement
        );
    }
    for found in &backends.found_on_this_machine {
        println!(
            "  found        {} on {} (models: {}); add it with `ledge backends add NAME {}`",
            found.product,
            found.url,
            found.models.join(", "),
            found.url
        );
    }
    for warning in &report.warnings {
        println!("warning: {warning}");
    }
    for problem in &report.problems {
        println!("problem: {problem}");
    }
    if report.problems.is_empty() {
        println!("Ledge can run here.");
    }
}
