//! A short, bounded fuzz run on every `cargo test`: the checked-in corpora
//! of `fuzz/` replayed as they are and with deterministic mutations (bit
//! flips, truncations, splices, inserted bytes). libFuzzer runs go further
//! (see fuzz/Cargo.toml); this keeps what they found from coming back.

use std::path::Path;

/// A small deterministic generator (xorshift): the run is the same on every
/// machine, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        // The remainder is below `n`, a usize.
        usize::try_from(self.next() % n.max(1) as u64).unwrap_or(0)
    }
}

fn corpus(name: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(name);
    let mut inputs: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("corpus {}: {e}", dir.display()))
        .filter_map(|entry| std::fs::read(entry.ok()?.path()).ok())
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "empty corpus {}", dir.display());
    inputs
}

fn mutate(rng: &mut Rng, inputs: &[Vec<u8>]) -> Vec<u8> {
    let mut data = inputs[rng.below(inputs.len())].clone();
    for _ in 0..=rng.below(4) {
        match rng.below(5) {
            0 if !data.is_empty() => {
                let i = rng.below(data.len());
                data[i] ^= 1 << rng.below(8);
            }
            1 => data.truncate(rng.below(data.len() + 1)),
            2 => {
                let other = &inputs[rng.below(inputs.len())];
                let from = rng.below(other.len());
                let at = rng.below(data.len() + 1);
                let piece: Vec<u8> = other[from..]
                    .iter()
                    .take(rng.below(64) + 1)
                    .copied()
                    .collect();
                data.splice(at..at, piece);
            }
            3 => {
                let at = rng.below(data.len() + 1);
                let byte =
                    [b'"', b'[', b']', b'{', b'}', b'=', b'\n', b'\\', 0xff, b'.'][rng.below(10)];
                data.insert(at, byte);
            }
            _ => {
                let at = rng.below(data.len() + 1);
                data.splice(at..at, *b"{token}");
            }
        }
    }
    data
}

fn run(name: &str, target: impl Fn(&[u8]), mutations: usize) {
    let inputs = corpus(name);
    for input in &inputs {
        target(input);
    }
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    for _ in 0..mutations {
        target(&mutate(&mut rng, &inputs));
    }
}

#[test]
fn profiles_parser_survives_its_corpus_and_mutations() {
    run("profiles", wsmon::fuzz::profiles, 5_000);
}

#[test]
fn payload_printer_survives_its_corpus_and_mutations() {
    run("payloads", wsmon::fuzz::payload, 3_000);
}
