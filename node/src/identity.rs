//! The node's identity key, kept in its data directory so that its peer id (and so its place
//! in the overlay) survives restarts.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

use anyhow::{Context, Result, bail};
use libp2p::identity::Keypair;

const KEY_FILE: &str = "identity.ed25519";

/// The ed25519 key stored in `dir`, created (readable by the owner only) on first use.
pub(crate) fn load_or_create(dir: &Path) -> Result<Keypair> {
    let path = dir.join(KEY_FILE);
    match fs::read(&path) {
        Ok(bytes) => {
            let key = Keypair::from_protobuf_encoding(&bytes).with_context(|| {
                format!(
                    "{} does not hold a sift identity key; move it away to start with a new identity",
                    path.display()
                )
            })?;
            if key.clone().try_into_ed25519().is_err() {
                bail!("{} holds a key that is not ed25519", path.display());
            }
            Ok(key)
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .with_context(|| format!("creating the data directory {}", dir.display()))?;
            let key = Keypair::generate_ed25519();
            let encoded = key
                .to_protobuf_encoding()
                .context("encoding the new identity key")?;
            let mut file = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
                .with_context(|| format!("creating {}", path.display()))?;
            file.write_all(&encoded)
                .and_then(|()| file.sync_all())
                .with_context(|| format!("writing {}", path.display()))?;
            Ok(key)
        }
        Err(error) => Err(error).with_context(|| format!("reading {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_identity_survives_a_restart_and_a_foreign_file_is_refused() {
        let dir = std::env::temp_dir().join(format!("sift-identity-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let first = load_or_create(&dir).unwrap();
        let again = load_or_create(&dir).unwrap();
        assert_eq!(first.public(), again.public());

        fs::write(dir.join(KEY_FILE), b"not a key").unwrap();
        let error = load_or_create(&dir).unwrap_err().to_string();
        assert!(
            error.contains("does not hold a sift identity key"),
            "{error}"
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}
