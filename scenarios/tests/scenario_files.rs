//! Every scenario file shipped in scenarios/ parses and is valid.

use sift_scenarios::Scenario;

#[test]
fn shipped_scenarios_are_valid_and_documented() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml")
            && path.file_name().unwrap() != "Cargo.toml"
        {
            let scenario = Scenario::from_file(&path).unwrap_or_else(|e| panic!("{e}"));
            scenario
                .validate()
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(
                text.starts_with("# "),
                "{} needs a one-line description",
                path.display()
            );
            found += 1;
        }
    }
    assert!(found >= 2);
}
