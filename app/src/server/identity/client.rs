//! Who the client is: its IP address and whether it reached the site over https. Forwarding
//! headers (`Forwarded`, `X-Forwarded-For`, `X-Forwarded-Proto`) are believed only when the TCP
//! peer is one of the operator's `TRUSTED_PROXIES`; from anyone else they are ignored, since
//! any client can send them.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use http::{request::Parts, Extensions, HeaderMap};
use ipnet::IpNet;

use crate::server::identity::session_cookie::presented_device_cookie;

/// The reverse proxies whose forwarding headers are believed (addresses or CIDR blocks).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses a comma- or space-separated list such as `10.0.0.0/8, 127.0.0.1, ::1`; an error
    /// names the entry that is neither an address nor a CIDR block.
    pub fn parse(list: &str) -> Result<Self, String> {
        list.split([',', ' '])
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| entry.to_owned())
            })
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    pub fn contains(&self, addr: IpAddr) -> bool {
        let addr = canonical(addr);
        self.0.iter().any(|net| net.contains(&addr))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// An IPv4 address that arrived mapped into IPv6 (`::ffff:a.b.c.d`) counts as IPv4.
fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// The client of a request, as the server middleware resolved it (in the request's extensions).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientInfo {
    pub addr: IpAddr,
    /// Reached over https: a trusted proxy said so, or the site's public address is https.
    pub https: bool,
}

/// Resolves the client of a request that arrived from `peer`.
///
/// From a trusted proxy, the client is the right-most address of the forwarding chain that is
/// not itself a trusted proxy (addresses further left were written by the client and can be
/// anything), and the scheme is what the nearest proxy says. `Forwarded` (RFC 7239) wins over
/// the `X-Forwarded-*` headers when both are present.
pub fn resolve(
    peer: IpAddr,
    headers: &HeaderMap,
    proxies: &TrustedProxies,
    public_https: bool,
) -> ClientInfo {
    let peer = canonical(peer);
    if !proxies.contains(peer) {
        return ClientInfo {
            addr: peer,
            https: public_https,
        };
    }
    let (chain, proto) = match forwarded(headers) {
        Some(forwarded) => forwarded,
        None => (x_forwarded_for(headers), x_forwarded_proto(headers)),
    };
    let mut addr = peer;
    for hop in chain.iter().rev() {
        // An entry a trusted proxy wrote but that is no address (`unknown`, an obfuscated
        // name): the last address we can vouch for is the client as far as we can tell.
        let Some(hop) = hop else { break };
        addr = canonical(*hop);
        if !proxies.contains(addr) {
            break;
        }
    }
    ClientInfo {
        addr,
        https: public_https || proto.is_some_and(|proto| proto.eq_ignore_ascii_case("https")),
    }
}

/// Every value of a header, in order, as one comma-separated list.
fn joined(headers: &HeaderMap, name: &str) -> Option<String> {
    let values: Vec<&str> = headers
        .get_all(name)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect();
    (!values.is_empty()).then(|| values.join(","))
}

fn x_forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    joined(headers, "x-forwarded-for")
        .map(|list| list.split(',').map(node_addr).collect())
        .unwrap_or_default()
}

/// The nearest proxy's word: the right-most value.
fn x_forwarded_proto(headers: &HeaderMap) -> Option<String> {
    joined(headers, "x-forwarded-proto")
        .and_then(|list| list.rsplit(',').next().map(|proto| proto.trim().to_owned()))
}

/// The `for=` chain and the nearest element's `proto=` of the `Forwarded` header.
fn forwarded(headers: &HeaderMap) -> Option<(Vec<Option<IpAddr>>, Option<String>)> {
    let list = joined(headers, "forwarded")?;
    let mut chain = Vec::new();
    let mut proto = None;
    for element in list.split(',') {
        let mut element_for = None;
        let mut element_proto = None;
        for pair in element.split(';') {
            let Some((name, value)) = pair.split_once('=') else {
                continue;
            };
            let value = value.trim().trim_matches('"');
            match name.trim().to_ascii_lowercase().as_str() {
                "for" => element_for = Some(node_addr(value)),
                "proto" => element_proto = Some(value.to_owned()),
                _ => {}
            }
        }
        chain.push(element_for.flatten());
        proto = element_proto;
    }
    Some((chain, proto))
}

/// An address as forwarding headers write it: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`
/// or `[2001:db8::1]:4711`.
fn node_addr(node: &str) -> Option<IpAddr> {
    let node = node.trim().trim_matches('"');
    if let Ok(addr) = node.parse::<IpAddr>() {
        return Some(addr);
    }
    if let Ok(addr) = node.parse::<SocketAddr>() {
        return Some(addr.ip());
    }
    node.strip_prefix('[')
        .and_then(|rest| rest.split_once(']'))
        .and_then(|(addr, _)| addr.parse().ok())
}

/// The client of a request whose extensions the server middleware filled; without it (tests
/// that drive the router in-process), the TCP peer if known.
pub fn client_info(extensions: &Extensions) -> Option<ClientInfo> {
    extensions.get::<ClientInfo>().copied().or_else(|| {
        extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| ClientInfo {
                addr: canonical(info.0.ip()),
                https: false,
            })
    })
}

/// The client's address as the throttles count it; "unknown" when the server runs without
/// connect info, as in-process tests do.
pub fn client_address(extensions: &Extensions) -> String {
    client_info(extensions).map_or_else(|| "unknown".to_owned(), |info| info.addr.to_string())
}

/// Whether the client reached the site over https (for the cookies' `Secure` flag and HSTS).
pub fn is_https(extensions: &Extensions) -> bool {
    client_info(extensions).is_some_and(|info| info.https)
}

/// The most of a `User-Agent` that is kept (the client writes the header, at any length).
pub const USER_AGENT_KEPT_CHARS: usize = 256;

/// The request's `User-Agent`, cut to `USER_AGENT_KEPT_CHARS`; empty when it sent none.
pub fn user_agent(headers: &HeaderMap) -> String {
    headers
        .get(http::header::USER_AGENT)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(USER_AGENT_KEPT_CHARS)
        .collect()
}

pub use crate::model::security::Origin;

/// Who is signing up or in: the client address the throttles count, and the device cookie the
/// browser presented, if any.
#[derive(Clone, Copy, Debug)]
pub struct Requester<'a> {
    pub client: &'a str,
    pub device_cookie: Option<&'a str>,
    pub user_agent: &'a str,
}

impl Requester<'_> {
    pub fn origin(&self) -> Origin {
        Origin {
            client_addr: self.client.to_owned(),
            user_agent: self.user_agent.to_owned(),
        }
    }
}

/// Who is calling, as the throttles, cookies and the security log see them: the client
/// address, whether they came over https, the device cookie they presented and their
/// `User-Agent`. The JSON API extracts it; the server functions read it from the request's
/// parts (`Caller::of`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub client: String,
    pub https: bool,
    pub device_cookie: Option<String>,
    pub user_agent: String,
}

impl Caller {
    pub fn of(parts: &Parts) -> Self {
        Caller {
            client: client_address(&parts.extensions),
            https: is_https(&parts.extensions),
            device_cookie: presented_device_cookie(&parts.headers),
            user_agent: user_agent(&parts.headers),
        }
    }

    pub fn requester(&self) -> Requester<'_> {
        Requester {
            client: &self.client,
            device_cookie: self.device_cookie.as_deref(),
            user_agent: &self.user_agent,
        }
    }

    pub fn origin(&self) -> Origin {
        Origin {
            client_addr: self.client.clone(),
            user_agent: self.user_agent.clone(),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Caller::of(parts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                http::HeaderName::from_bytes(name.as_bytes()).expect("name"),
                value.parse().expect("value"),
            );
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("address")
    }

    fn proxies() -> TrustedProxies {
        TrustedProxies::parse("10.0.0.0/8, 127.0.0.1 ::1").expect("valid")
    }

    #[test]
    fn the_list_takes_addresses_and_blocks_and_names_a_bad_entry() {
        let list = proxies();
        assert!(list.contains(ip("10.1.2.3")));
        assert!(list.contains(ip("127.0.0.1")));
        assert!(list.contains(ip("::ffff:127.0.0.1")), "mapped IPv4");
        assert!(list.contains(ip("::1")));
        assert!(!list.contains(ip("11.0.0.1")));
        assert!(TrustedProxies::parse("").expect("empty").is_empty());
        assert_eq!(
            TrustedProxies::parse("10.0.0.0/8, proxy.local"),
            Err("proxy.local".to_owned())
        );
    }

    #[test]
    fn forwarding_headers_from_an_untrusted_peer_are_ignored() {
        let forged = headers(&[
            ("x-forwarded-for", "203.0.113.9"),
            ("x-forwarded-proto", "https"),
            ("forwarded", "for=203.0.113.9;proto=https"),
        ]);
        let info = resolve(ip("198.51.100.7"), &forged, &proxies(), false);
        assert_eq!(info.addr, ip("198.51.100.7"));
        assert!(!info.https);
        let nobody = resolve(ip("10.0.0.2"), &forged, &TrustedProxies::default(), false);
        assert_eq!(
            nobody.addr,
            ip("10.0.0.2"),
            "no proxy is trusted by default"
        );
    }

    #[test]
    fn behind_a_trusted_proxy_the_right_most_untrusted_address_is_the_client() {
        // The client put a forged address first; the proxies appended what they saw.
        let chain = headers(&[
            ("x-forwarded-for", "1.2.3.4, 203.0.113.9"),
            ("x-forwarded-for", "10.0.0.5"),
            ("x-forwarded-proto", "http, https"),
        ]);
        let info = resolve(ip("10.0.0.2"), &chain, &proxies(), false);
        assert_eq!(info.addr, ip("203.0.113.9"));
        assert!(info.https, "the nearest proxy's proto counts");
        let only_proxies = headers(&[("x-forwarded-for", "10.0.0.9")]);
        assert_eq!(
            resolve(ip("10.0.0.2"), &only_proxies, &proxies(), false).addr,
            ip("10.0.0.9")
        );
        let none = resolve(ip("127.0.0.1"), &HeaderMap::new(), &proxies(), false);
        assert_eq!(none.addr, ip("127.0.0.1"));
        let garbage = headers(&[("x-forwarded-for", "1.2.3.4, garbage")]);
        assert_eq!(
            resolve(ip("10.0.0.2"), &garbage, &proxies(), false).addr,
            ip("10.0.0.2"),
            "an entry that is no address stops the walk at the last trusted hop"
        );
    }

    #[test]
    fn the_forwarded_header_is_read_with_ports_brackets_and_quotes() {
        let forwarded = headers(&[(
            "forwarded",
            "for=192.0.2.60;proto=http, for=\"[2001:db8:cafe::17]:4711\";proto=https, for=10.0.0.5:80",
        )]);
        let info = resolve(ip("10.0.0.2"), &forwarded, &proxies(), false);
        assert_eq!(info.addr, ip("2001:db8:cafe::17"));
        assert!(!info.https, "the last element says nothing of proto");
        let secure = headers(&[("forwarded", "for=198.51.100.1;proto=https")]);
        let info = resolve(ip("::1"), &secure, &proxies(), false);
        assert_eq!((info.addr, info.https), (ip("198.51.100.1"), true));
    }

    #[test]
    fn a_public_https_address_makes_every_request_https() {
        assert!(resolve(ip("198.51.100.7"), &HeaderMap::new(), &proxies(), true).https);
    }
}
