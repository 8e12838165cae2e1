//! Hybrid retrieval over a real corpus with the real embedder: the passage that answers a
//! paraphrased question comes first, and a question the files cannot answer finds nothing.

use ledge_core::embedding::EmbeddingModel;
use ledge_core::retrieve::{Mode, QueryEmbedder, RetrievalSettings, retrieve};
use ledge_index::Index;

use crate::support::{Fixture, embedding_model};

/// Questions in other words than the licences use, and the file that answers each.
const QUESTIONS: &[(&str, &str)] = &[
    (
        "What happens to my patent rights if I sue someone claiming the work infringes a patent?",
        "apache-2.0.txt",
    ),
    (
        "Can I ship covered software combined with my own code under terms I choose?",
        "mpl-2.0.txt",
    ),
    (
        "Does the author give up all copyright and related rights to the work?",
        "cc0-1.0.txt",
    ),
    (
        "May I charge money for copying the package?",
        "artistic.txt",
    ),
    (
        "Do binary redistributions have to reproduce the copyright notice in the documentation?",
        "bsd.txt",
    ),
];

fn file_rank(
    index: &Index,
    embedder: &mut EmbeddingModel,
    mode: Mode,
    question: &str,
    file: &str,
) -> Option<usize> {
    let settings = RetrievalSettings {
        mode,
        ..RetrievalSettings::default()
    };
    let embedder: Option<&mut dyn QueryEmbedder> = Some(embedder);
    let retrieval = retrieve(index, embedder, question, &settings).unwrap();
    retrieval
        .passages
        .iter()
        .position(|p| p.chunk.path.ends_with(file))
        .map(|rank| rank + 1)
}

#[test]
fn hybrid_retrieval_ranks_the_answering_file_first() {
    let fixture = Fixture::new();
    fixture.index(true);
    let index = Index::open(&fixture.data_dir.index_dir()).unwrap();
    let mut embedder = EmbeddingModel::load(&embedding_model()).unwrap();
    let mut reciprocal = [0.0_f64; 3];
    let mut hybrid_ranks = Vec::new();
    for (question, file) in QUESTIONS {
        let ranks: Vec<Option<usize>> = [Mode::Lexical, Mode::Dense, Mode::Hybrid]
            .into_iter()
            .map(|mode| file_rank(&index, &mut embedder, mode, question, file))
            .collect();
        eprintln!(
            "{file}: lexical {:?}, dense {:?}, hybrid {:?}",
            ranks[0], ranks[1], ranks[2]
        );
        for (sum, rank) in reciprocal.iter_mut().zip(&ranks) {
            *sum += rank.map_or(0.0, |r| 1.0 / r as f64);
        }
        hybrid_ranks.push(ranks[2]);
    }
    let n = QUESTIONS.len() as f64;
    eprintln!(
        "MRR over {} questions: lexical {:.3}, dense {:.3}, hybrid {:.3}",
        QUESTIONS.len(),
        reciprocal[0] / n,
        reciprocal[1] / n,
        reciprocal[2] / n
    );
    for ((_, file), rank) in QUESTIONS.iter().zip(&hybrid_ranks) {
        assert!(rank.is_some_and(|r| r <= 2), "{file}: hybrid rank {rank:?}");
    }
    // Vectors alone find the answering file too: the embedder is doing real work.
    assert!(
        reciprocal[1] / n >= 0.5,
        "dense MRR {:.3}",
        reciprocal[1] / n
    );
}

#[test]
fn a_question_the_files_cannot_answer_finds_nothing() {
    let fixture = Fixture::new();
    fixture.index(true);
    let index = Index::open(&fixture.data_dir.index_dir()).unwrap();
    let mut embedder = EmbeddingModel::load(&embedding_model()).unwrap();
    let embedder: Option<&mut dyn QueryEmbedder> = Some(&mut embedder);
    let retrieval = retrieve(
        &index,
        embedder,
        "quokka xylophone zeppelin recipe",
        &RetrievalSettings::default(),
    )
    .unwrap();
    assert!(retrieval.used_vectors);
    assert!(
        retrieval.passages.is_empty(),
        "found {:?}",
        retrieval
            .passages
            .iter()
            .map(|p| (&p.chunk.path, p.dense_rank))
            .collect::<Vec<_>>()
    );
}

/// `make run`'s question names the Apache License; the MPL's termination clauses share most
/// of its words and its meaning, and ranked above Apache's section 3 while chunks were
/// embedded without their document's name.
#[test]
fn a_question_naming_a_document_finds_that_documents_passage_first() {
    let fixture = Fixture::new();
    fixture.index(true);
    let index = Index::open(&fixture.data_dir.index_dir()).unwrap();
    let mut embedder = EmbeddingModel::load(&embedding_model()).unwrap();
    let question = "Under the Apache License, when do the patent licenses granted to me terminate?";
    for mode in [Mode::Dense, Mode::Hybrid] {
        let settings = RetrievalSettings {
            mode,
            ..RetrievalSettings::default()
        };
        let embedder: Option<&mut dyn QueryEmbedder> = Some(&mut embedder);
        let retrieval = retrieve(&index, embedder, question, &settings).unwrap();
        let first = &retrieval.passages[0].chunk;
        assert!(
            first.path.ends_with("apache-2.0.txt") && first.text.contains("litigation is filed"),
            "{mode:?}: {}:{} first",
            first.path.display(),
            first.line_start
        );
    }
}
