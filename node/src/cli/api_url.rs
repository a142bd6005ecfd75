//! The API's address as flags and `SIFT_API` give it: `HOST:PORT` or `http://HOST:PORT`, so
//! one variable serves both the node and the client commands.

use std::net::{SocketAddr, ToSocketAddrs};

/// `HOST:PORT`, with or without `http://` and a trailing slash.
pub fn parse_api_addr(text: &str) -> Result<SocketAddr, String> {
    let bare = text
        .strip_prefix("http://")
        .unwrap_or(text)
        .trim_end_matches('/');
    bare.to_socket_addrs()
        .map_err(|e| format!("`{text}` is not HOST:PORT: {e}"))?
        .next()
        .ok_or_else(|| format!("`{text}` resolves to no address"))
}

/// The base URL of the API, `http://HOST:PORT`, from either form.
pub fn base_url(text: &str) -> Result<String, String> {
    if text.starts_with("https://") {
        return Err("the sift API is plain HTTP; use http://HOST:PORT".into());
    }
    let bare = text
        .strip_prefix("http://")
        .unwrap_or(text)
        .trim_end_matches('/');
    if bare.is_empty() || bare.contains('/') {
        return Err(format!("`{text}` is not HOST:PORT or http://HOST:PORT"));
    }
    Ok(format!("http://{bare}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_are_accepted() {
        let addr: SocketAddr = "127.0.0.1:7700".parse().unwrap();
        assert_eq!(parse_api_addr("127.0.0.1:7700"), Ok(addr));
        assert_eq!(parse_api_addr("http://127.0.0.1:7700/"), Ok(addr));
        assert!(parse_api_addr("nonsense").is_err());
        assert_eq!(base_url("127.0.0.1:7700").unwrap(), "http://127.0.0.1:7700");
        assert_eq!(
            base_url("http://localhost:1/").unwrap(),
            "http://localhost:1"
        );
        assert!(base_url("http://h:1/v1").is_err());
    }
}
