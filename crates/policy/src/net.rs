//! Hosts, origins and pages. The policy's origins are written in one strict
//! form; URLs a page navigates to are parsed as the browser parses them
//! (WHATWG, the `url` crate) and compared part by part, never by prefix.

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

/// A page as the browser sees it: the WHATWG URL parser (what WebKit
/// uses) lowercases and IDNA-encodes the host, resolves the port and the
/// path; a trailing dot on the host is dropped, so `Quiz.Example.` and
/// `quiz.example` are one host.
struct Page {
    scheme: String,
    host: String,
    port: u16,
    path: String,
    query: Option<String>,
}

fn page(url: &str) -> Option<Page> {
    let parsed = url::Url::parse(url).ok()?;
    if !matches!(parsed.scheme(), "https" | "http")
        || !parsed.username().is_empty()
        || parsed.password().is_some()
    {
        return None;
    }
    let host = parsed.host_str()?.trim_end_matches('.').to_owned();
    if host.is_empty() {
        return None;
    }
    Some(Page {
        scheme: parsed.scheme().to_owned(),
        host,
        port: parsed.port_or_known_default()?,
        path: parsed.path().to_owned(),
        query: parsed.query().map(str::to_owned),
    })
}

fn default_port(scheme: &str) -> u16 {
    if scheme == "http" { 80 } else { 443 }
}

/// The host and port of an absolute `http(s)` URL (the default port when
/// none is written; an IPv6 host without its brackets), or `None` for
/// anything else (user info, no host, other schemes).
pub fn url_host_port(url: &str) -> Option<(String, u16)> {
    let p = page(url)?;
    let host = p
        .host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(&p.host)
        .to_owned();
    Some((host, p.port))
}

/// The origin of an absolute `http(s)` URL (`scheme://host[:port]`, the
/// host as the browser sees it, the port only when not the default), or
/// `None` for anything else (user info, no host, other schemes).
pub fn url_origin(url: &str) -> Option<String> {
    let p = page(url)?;
    Some(if p.port == default_port(&p.scheme) {
        format!("{}://{}", p.scheme, p.host)
    } else {
        format!("{}://{}:{}", p.scheme, p.host, p.port)
    })
}

/// Whether `url` is on one of the `allowed` origins (`https://*.example.org`
/// matches its subdomains, not itself). Origins are in the policy's strict
/// form (see `check_origin`); the URL is parsed as the browser parses it.
pub fn url_allowed(url: &str, allowed: &[String]) -> bool {
    let Some(p) = page(url) else {
        return false;
    };
    allowed.iter().any(|a| {
        let Some((scheme, rest)) = a.split_once("://") else {
            return false;
        };
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, port)) => (h, port.parse::<u16>().ok()),
            None => (rest, Some(default_port(scheme))),
        };
        if scheme != p.scheme || port != Some(p.port) {
            return false;
        }
        match host.strip_prefix("*.") {
            Some(domain) => p
                .host
                .strip_suffix(domain)
                .is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')),
            None => p.host == host,
        }
    })
}

/// Whether `url` is the page `target` or below it: the same scheme, host
/// and port, the same path or a path under it at a segment boundary
/// (`/done` matches `/done` and `/done/ok`, not `/done-not`), and, when
/// `target` names a query, the same query. Both are parsed as the browser
/// parses them.
pub fn url_is_at(url: &str, target: &str) -> bool {
    let (Some(u), Some(t)) = (page(url), page(target)) else {
        return false;
    };
    let under = u.path == t.path
        || (u.path.starts_with(&t.path)
            && (t.path.ends_with('/') || u.path[t.path.len()..].starts_with('/')));
    u.scheme == t.scheme
        && u.host == t.host
        && u.port == t.port
        && under
        && (t.query.is_none() || u.query == t.query)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_addresses_are_read_strictly() {
        let hp = url_host_port;
        assert_eq!(
            hp("https://exams.example.org"),
            Some(("exams.example.org".into(), 443))
        );
        assert_eq!(
            hp("http://127.0.0.1:8080/v1"),
            Some(("127.0.0.1".into(), 8080))
        );
        assert_eq!(hp("https://[::1]:9443/"), Some(("::1".into(), 9443)));
        assert_eq!(hp("https://[::1]"), Some(("::1".into(), 443)));
        assert_eq!(
            hp("HTTPS://Exams.Example.ORG."),
            Some(("exams.example.org".into(), 443))
        );
        assert_eq!(hp("ftp://x"), None);
        assert_eq!(hp("https://"), None);
        assert_eq!(hp("https://user@host"), None);
        assert_eq!(hp("https://host:notaport"), None);
    }

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
            "https://exams.acme.example@evil.example/",
            "https://exams.acme.example:@evil.example/",
            "https://cdn.example./",
        ] {
            assert!(!url_allowed(bad, &allowed), "{bad}");
        }
        // What the browser sees: capitals, a trailing dot, the default port.
        for same in [
            "https://EXAMS.Acme.Example/x",
            "https://exams.acme.example./x",
            "https://exams.acme.example:443/x",
            "http://127.0.0.1:8080/",
        ] {
            assert!(url_allowed(same, &allowed), "{same}");
        }
        let idn = vec!["https://xn--bcher-kva.example".to_owned()];
        assert!(url_allowed("https://bücher.example/", &idn));
        assert!(!url_allowed("https://bucher.example/", &idn));
    }

    #[test]
    fn a_finish_page_is_matched_as_a_page_not_a_prefix() {
        let done = "https://quiz.example/e/1/done";
        for at in [
            "https://quiz.example/e/1/done",
            "https://quiz.example/e/1/done?ok=1",
            "https://quiz.example/e/1/done/",
            "https://quiz.example/e/1/done/receipt#top",
            "https://QUIZ.example./e/1/done",
            "https://quiz.example:443/e/1/done",
        ] {
            assert!(url_is_at(at, done), "{at}");
        }
        for not in [
            "https://quiz.example.evil.com/e/1/done",
            "https://quiz.example/e/1/done-not",
            "https://quiz.example/e/1/donex",
            "https://quiz.example/e/1",
            "http://quiz.example/e/1/done",
            "https://quiz.example:8443/e/1/done",
            "https://user@quiz.example/e/1/done",
            "https://evil.example/https://quiz.example/e/1/done",
        ] {
            assert!(!url_is_at(not, done), "{not}");
        }
        // A host the author wrote in capitals still matches.
        assert!(url_is_at(
            "https://quiz.example/e/1/done",
            "https://Quiz.Example/e/1/done"
        ));
        // A finish page with a query needs that query.
        let with_query = "https://quiz.example/submit?state=done";
        assert!(url_is_at(
            "https://quiz.example/submit?state=done",
            with_query
        ));
        assert!(!url_is_at(
            "https://quiz.example/submit?state=open",
            with_query
        ));
        assert!(!url_is_at("https://quiz.example/e", "not a url"));
    }
}
