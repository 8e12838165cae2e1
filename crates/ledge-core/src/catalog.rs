//! The model catalog: the chat and embedding models Ledge recommends, per platform, with
//! what each needs (`models/catalog.toml`, built in), and which of them fit this computer.
//!
//! The shells show it so that a person who knows no model names can pick one: `ledge models
//! catalog`, and "Recommended for this computer" in the app's welcome and settings. Fitting
//! is a rule of thumb on memory alone (see [`FIT_SHARE`]); speed is in each entry's note.

use serde::{Deserialize, Serialize};

use crate::registry::ModelEntry;
use crate::{Error, Result};

/// The catalog as shipped.
const CATALOG: &str = include_str!("../../../models/catalog.toml");

/// A model fits when it needs at most this share of the computer's memory (macOS lets the GPU
/// use about this much of unified memory by default).
pub const FIT_SHARE: f64 = 0.7;

/// The recommended model needs at most this share, so the person's other apps keep room.
pub const COMFORT_SHARE: f64 = 0.5;

/// Where a model runs well.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Platform {
    /// MLX on Metal (4-bit weights).
    AppleSilicon,
    /// MLX on the CPU (16/32-bit weights, computed in f32).
    Cpu,
    /// Both.
    Any,
}

/// What a model is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelKind {
    /// Writes answers.
    Chat,
    /// Finds passages by meaning.
    Embedding,
}

/// One recommended model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogModel {
    /// The name it is installed under (the repository's name).
    pub id: String,
    /// `owner/name` on the Hugging Face hub.
    pub repo: String,
    /// Chat or embedding.
    pub kind: ModelKind,
    /// Where it runs well.
    pub platform: Platform,
    /// Parameters, as its authors count them ("7B").
    pub params: String,
    /// Download size, about, in MB.
    pub disk_mb: u64,
    /// Memory the loaded model needs, about, in MB.
    pub memory_mb: u64,
    /// The longest context it was trained for, in tokens.
    pub context: u32,
    /// Its licence.
    pub licence: String,
    /// One line for people choosing.
    pub note: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    model: Vec<CatalogModel>,
}

/// The computer a catalog is judged for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Machine {
    /// Its platform ([`Platform::AppleSilicon`] or [`Platform::Cpu`]).
    pub platform: Platform,
    /// Its memory in bytes (unified memory on Apple Silicon), 0 when unknown.
    pub memory_bytes: u64,
}

impl Machine {
    /// This computer: Apple Silicon when built for macOS on arm64, the CPU otherwise; memory
    /// from the system (0 when it cannot be read).
    pub fn this() -> Machine {
        let platform = if cfg!(all(target_os = "macos", target_arch = "aarch64")) {
            Platform::AppleSilicon
        } else {
            Platform::Cpu
        };
        Machine {
            platform,
            memory_bytes: memory_bytes().unwrap_or(0),
        }
    }
}

/// Total memory, from `/proc/meminfo` (Linux).
#[cfg(target_os = "linux")]
fn memory_bytes() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Total memory, from `sysctl hw.memsize` (macOS); the command rather than the C call keeps
/// this crate free of `unsafe`.
#[cfg(target_os = "macos")]
fn memory_bytes() -> Option<u64> {
    let output = std::process::Command::new("/usr/sbin/sysctl")
        .args(["-n", "hw.memsize"])
        .output()
        .ok()?;
    String::from_utf8(output.stdout).ok()?.trim().parse().ok()
}

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
fn memory_bytes() -> Option<u64> {
    None
}

/// How a model suits a computer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fit {
    /// It runs well here and fits in memory.
    Fits,
    /// It runs here but needs more memory than the computer can spare.
    TooBig,
    /// It is made for the other platform (a 4-bit MLX model on a CPU, say).
    OtherPlatform,
}

/// One catalog entry as judged for a computer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation {
    /// The model.
    #[serde(flatten)]
    pub model: CatalogModel,
    /// How it suits the computer.
    pub fit: Fit,
    /// Whether it is the first of its kind that fits: the one to pick.
    pub recommended: bool,
    /// Whether a model of that name is installed.
    pub installed: bool,
}

/// The built-in catalog, in its order.
pub fn catalog() -> Result<Vec<CatalogModel>> {
    parse(CATALOG)
}

fn parse(text: &str) -> Result<Vec<CatalogModel>> {
    let file: CatalogFile = toml::from_str(text)
        .map_err(|error| Error::Internal(format!("the built-in model catalog: {error}")))?;
    Ok(file.model)
}

/// Whether `model` needs at most `share` of `machine`'s memory (yes when the memory is
/// unknown: better to offer everything than refuse everything).
fn within(model: &CatalogModel, machine: &Machine, share: f64) -> bool {
    machine.memory_bytes == 0 || model.memory_mb as f64 * 1e6 <= machine.memory_bytes as f64 * share
}

/// How `model` suits `machine`.
pub fn fit(model: &CatalogModel, machine: &Machine) -> Fit {
    if model.platform != Platform::Any && model.platform != machine.platform {
        Fit::OtherPlatform
    } else if within(model, machine, FIT_SHARE) {
        Fit::Fits
    } else {
        Fit::TooBig
    }
}

/// The catalog judged for `machine`: this platform's models first (those that fit before
/// those that do not, each group in catalog order), the other platform's last. Of each kind,
/// the first model that needs at most [`COMFORT_SHARE`] of the memory is marked recommended
/// (the first that fits, when none is that small). `installed` are the models installed.
pub fn recommend(
    models: Vec<CatalogModel>,
    machine: &Machine,
    installed: &[ModelEntry],
) -> Vec<Recommendation> {
    let mut judged: Vec<Recommendation> = models
        .into_iter()
        .map(|model| {
            let fit = fit(&model, machine);
            let installed = installed
                .iter()
                .any(|entry| entry.name.eq_ignore_ascii_case(&model.id));
            Recommendation {
                model,
                fit,
                recommended: false,
                installed,
            }
        })
        .collect();
    // A stable sort keeps the catalog's order within each group.
    judged.sort_by_key(|r| match r.fit {
        Fit::Fits => 0,
        Fit::TooBig => 1,
        Fit::OtherPlatform => 2,
    });
    for kind in [ModelKind::Chat, ModelKind::Embedding] {
        let candidates = || {
            judged
                .iter()
                .position(|r| r.model.kind == kind && r.fit == Fit::Fits)
        };
        let comfortable = judged.iter().position(|r| {
            r.model.kind == kind && r.fit == Fit::Fits && within(&r.model, machine, COMFORT_SHARE)
        });
        if let Some(at) = comfortable.or_else(candidates) {
            judged[at].recommended = true;
        }
    }
    judged
}

/// The catalog entry named `id_or_repo` (its id or its repository, any case).
pub fn find(id_or_repo: &str) -> Result<Option<CatalogModel>> {
    let wanted = id_or_repo.trim();
    Ok(catalog()?.into_iter().find(|model| {
        model.id.eq_ignore_ascii_case(wanted) || model.repo.eq_ignore_ascii_case(wanted)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GB: u64 = 1_000_000_000;

    fn mac(memory_gb: u64) -> Machine {
        Machine {
            platform: Platform::AppleSilicon,
            memory_bytes: memory_gb * GB,
        }
    }

    fn pick(machine: &Machine) -> (String, String) {
        let judged = recommend(catalog().unwrap(), machine, &[]);
        let first = |kind| {
            judged
                .iter()
                .find(|r| r.recommended && r.model.kind == kind)
                .map(|r| r.model.id.clone())
                .unwrap_or_default()
        };
        (first(ModelKind::Chat), first(ModelKind::Embedding))
    }

    #[test]
    fn the_built_in_catalog_parses_and_is_complete() {
        let models = catalog().unwrap();
        assert!(models.len() >= 8, "{}", models.len());
        for model in &models {
            let (owner, name) = model.repo.split_once('/').unwrap();
            assert!(!owner.is_empty() && !name.is_empty(), "{}", model.repo);
            // Installed under the repository's name, as a download names it.
            assert_eq!(model.id, name);
            assert!(model.disk_mb > 0 && model.memory_mb >= model.disk_mb / 2);
            assert!(model.context >= 256 && !model.licence.is_empty() && !model.note.is_empty());
        }
        for platform in [Platform::AppleSilicon, Platform::Cpu] {
            assert!(
                models
                    .iter()
                    .any(|m| m.platform == platform && m.kind == ModelKind::Chat)
            );
        }
        assert!(models.iter().any(|m| m.kind == ModelKind::Embedding));
        // Ids are unique: `ledge models download ID` is unambiguous.
        let mut ids: Vec<_> = models.iter().map(|m| m.id.to_lowercase()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), models.len());
    }

    #[test]
    fn each_mac_size_gets_the_largest_chat_model_that_fits() {
        assert_eq!(pick(&mac(8)).0, "Llama-3.2-3B-Instruct-4bit");
        assert_eq!(pick(&mac(16)).0, "Qwen2.5-7B-Instruct-4bit");
        assert_eq!(pick(&mac(24)).0, "Qwen2.5-14B-Instruct-4bit");
        assert_eq!(pick(&mac(48)).0, "Qwen2.5-32B-Instruct-4bit");
        assert_eq!(pick(&mac(96)).0, "Llama-3.3-70B-Instruct-4bit");
        assert_eq!(pick(&mac(16)).1, "all-MiniLM-L6-v2");
        // On a 64 GB Mac the 70B model fits, but the recommendation leaves room.
        let judged = recommend(catalog().unwrap(), &mac(64), &[]);
        let big = judged
            .iter()
            .find(|r| r.model.id == "Llama-3.3-70B-Instruct-4bit")
            .unwrap();
        assert_eq!((big.fit, big.recommended), (Fit::Fits, false));
        assert_eq!(pick(&mac(64)).0, "Qwen2.5-32B-Instruct-4bit");
    }

    #[test]
    fn a_cpu_gets_cpu_models_and_mac_models_are_marked_as_such() {
        let cpu = Machine {
            platform: Platform::Cpu,
            memory_bytes: 24 * GB,
        };
        assert_eq!(
            pick(&cpu),
            (
                "Qwen2.5-Coder-0.5B-Instruct".into(),
                "all-MiniLM-L6-v2".into()
            )
        );
        let judged = recommend(catalog().unwrap(), &cpu, &[]);
        let mlx = judged
            .iter()
            .find(|r| r.model.id == "Qwen2.5-7B-Instruct-4bit")
            .unwrap();
        assert_eq!(mlx.fit, Fit::OtherPlatform);
        // This platform's models come first.
        let first_other = judged
            .iter()
            .position(|r| r.fit == Fit::OtherPlatform)
            .unwrap();
        assert!(
            judged[..first_other]
                .iter()
                .all(|r| r.fit != Fit::OtherPlatform)
        );
        assert!(
            judged[first_other..]
                .iter()
                .all(|r| r.fit == Fit::OtherPlatform)
        );

        // A 2 GB machine: the 0.5B model does not fit, the 135M one does and is recommended.
        let small = Machine {
            platform: Platform::Cpu,
            memory_bytes: 2 * GB,
        };
        assert_eq!(pick(&small).0, "SmolLM2-135M-Instruct");
        let judged = recommend(catalog().unwrap(), &small, &[]);
        let qwen = judged
            .iter()
            .find(|r| r.model.id == "Qwen2.5-Coder-0.5B-Instruct")
            .unwrap();
        assert_eq!(qwen.fit, Fit::TooBig);
    }

    #[test]
    fn this_machine_has_its_memory_read() {
        let machine = Machine::this();
        if cfg!(target_os = "linux") {
            assert!(machine.memory_bytes > 256 * 1024 * 1024, "{machine:?}");
            assert_eq!(machine.platform, Platform::Cpu);
        }
    }

    #[test]
    fn a_broken_catalog_is_an_error_not_a_panic() {
        assert!(parse("[[model]]\nid = 3\n").is_err());
        assert!(parse("[[model]]\nid = \"x\"\nrepo = \"a/x\"\nunknown = 1\n").is_err());
        assert_eq!(
            find("qwen/qwen2.5-coder-0.5b-instruct")
                .unwrap()
                .unwrap()
                .id,
            "Qwen2.5-Coder-0.5B-Instruct"
        );
        assert!(find("nobody/nothing").unwrap().is_none());
    }
}
