//! Hosts and origins, checked strictly (no URL parser guesses on our behalf).

/// An origin is `https://host[:port]` (http only for localhost), host in
/// lowercase, optionally starting with `*.` for any subdomain.
pub(crate) fn check_origin(origin: &str) -> Result<(), &'static str> {
    let (scheme, rest) = origin
        .split_once("://")
        .ok_or("it has no scheme (https://...)")?;
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (rest, None),
    };
    if let Some(port) = port
        && (port.is_empty()
            || port.len() > 5
            || !port.bytes().all(|b| b.is_ascii_digit())
            || port.parse::<u32>().map_or(true, |p| p == 0 || p > 65535))
    {
        return Err("the port is not a number from 1 to 65535");
    }
    let bare = host.strip_prefix("*.").unwrap_or(host);
    if !valid_host(bare) {
        return Err("the host must be a lowercase domain name, with no path, query or user");
    }
    match scheme {
        "https" => Ok(()),
        "http" if matches!(bare, "localhost" | "127.0.0.1") => Ok(()),
        "http" => Err("plain http is allowed only for localhost; use https"),
        _ => Err("the scheme must be https"),
    }
}

/// A lowercase DNS name (or dotted IPv4 address): labels of `a-z 0-9 -`.
pub(crate) fn valid_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}
