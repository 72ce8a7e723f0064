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

/// The origin of an absolute `http(s)` URL (`scheme://host[:port]`), or
/// `None` for anything else (user info, no host, other schemes).
pub fn url_origin(url: &str) -> Option<&str> {
    let (scheme, rest) = url.split_once("://")?;
    if !matches!(scheme, "https" | "http") {
        return None;
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    Some(&url[..scheme.len() + 3 + end])
}

/// Whether `url` is on one of the `allowed` origins (`https://*.example.org`
/// matches its subdomains, not itself).
pub fn url_allowed(url: &str, allowed: &[String]) -> bool {
    let Some(origin) = url_origin(url) else {
        return false;
    };
    allowed.iter().any(|a| {
        if let Some((scheme, wild)) = a.split_once("://*.") {
            origin
                .strip_prefix(scheme)
                .and_then(|o| o.strip_prefix("://"))
                .and_then(|host| host.strip_suffix(wild))
                .is_some_and(|sub| sub.ends_with('.') && sub.len() > 1 && !sub.contains(['/', ':']))
        } else {
            origin == a
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_matched_to_origins_exactly() {
        let allowed = vec![
            "https://exams.acme.example".to_owned(),
            "https://*.cdn.example".to_owned(),
            "http://127.0.0.1:8080".to_owned(),
        ];
        for ok in [
            "https://exams.acme.example/",
            "https://exams.acme.example/start?x=1#top",
            "https://exams.acme.example",
            "https://a.cdn.example/lib.js",
            "https://a.b.cdn.example/",
            "http://127.0.0.1:8080/exam",
        ] {
            assert!(url_allowed(ok, &allowed), "{ok}");
        }
        for bad in [
            "http://exams.acme.example/",
            "https://exams.acme.example:8443/",
            "https://exams.acme.example.evil.example/",
            "https://evil.example/https://exams.acme.example",
            "https://user@exams.acme.example/",
            "https://cdn.example/",
            "https://xcdn.example/",
            "http://127.0.0.1:8081/",
            "javascript:alert(1)",
            "data:text/html,hi",
            "exams.acme.example",
        ] {
            assert!(!url_allowed(bad, &allowed), "{bad}");
        }
    }
}
