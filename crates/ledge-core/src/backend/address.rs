//! Which machines an inference endpoint may live on.
//!
//! Ledge sends an assembled prompt (the question and passages of the person's own files) to an
//! endpoint only when every address it connects to is on their own machine or network:
//! loopback, private (RFC 1918, IPv6 unique local) or link-local. A public address is refused
//! unless the person overrode it for that endpoint, knowing that context then leaves their
//! devices. Some addresses are never usable (unspecified, multicast, broadcast, documentation
//! ranges), override or not.
//!
//! A DNS name is allowed only if **every** address it resolves to is allowed, and the check is
//! made each time a connection is opened, on the addresses then connected to (the client
//! connects to a checked address literally, so a second lookup cannot swap in another).

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};

use serde::Serialize;

/// Where an address is, as far as the policy cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AddressClass {
    /// This machine (127.0.0.0/8, ::1).
    Loopback,
    /// A private network (10/8, 172.16/12, 192.168/16, fc00::/7).
    Private,
    /// The local link only (169.254/16, fe80::/10).
    LinkLocal,
    /// Anywhere else on the internet (including carrier-grade NAT space, 100.64/10, which
    /// other customers of an internet provider share).
    Public,
    /// Not a machine one can ask: unspecified, multicast, broadcast, documentation and other
    /// reserved ranges.
    Unusable,
}

impl AddressClass {
    /// The class of `ip`. An IPv4 address written in IPv6 (`::ffff:a.b.c.d`) is judged as the
    /// IPv4 address it carries.
    pub fn of(ip: IpAddr) -> AddressClass {
        match ip {
            IpAddr::V4(v4) => classify_v4(v4),
            IpAddr::V6(v6) => classify_v6(v6),
        }
    }

    /// Whether the address is on the person's own machine or network.
    pub fn is_own_network(self) -> bool {
        matches!(
            self,
            AddressClass::Loopback | AddressClass::Private | AddressClass::LinkLocal
        )
    }

    /// A word for messages and `ledge doctor`.
    pub fn describe(self) -> &'static str {
        match self {
            AddressClass::Loopback => "this machine",
            AddressClass::Private => "private network",
            AddressClass::LinkLocal => "local link",
            AddressClass::Public => "public internet",
            AddressClass::Unusable => "unusable address",
        }
    }
}

impl fmt::Display for AddressClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    let [a, b, c, _] = ip.octets();
    if ip.is_loopback() {
        AddressClass::Loopback
    } else if ip.is_private() {
        AddressClass::Private
    } else if ip.is_link_local() {
        AddressClass::LinkLocal
    } else if ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        // 0.0.0.0/8 "this network", 192.0.0.0/24 protocol assignments, 198.18.0.0/15
        // benchmarking, 240.0.0.0/4 reserved.
        || a == 0
        || (a, b, c) == (192, 0, 0)
        || (a == 198 && (b & 0xfe) == 18)
        || a >= 240
    {
        AddressClass::Unusable
    } else {
        AddressClass::Public
    }
}

fn classify_v6(ip: Ipv6Addr) -> AddressClass {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return classify_v4(v4);
    }
    let first = ip.segments()[0];
    if ip.is_loopback() {
        AddressClass::Loopback
    } else if (first & 0xfe00) == 0xfc00 {
        // fc00::/7, unique local addresses.
        AddressClass::Private
    } else if (first & 0xffc0) == 0xfe80 {
        AddressClass::LinkLocal
    } else if ip.is_unspecified()
        || ip.is_multicast()
        // 2001:db8::/32 documentation; ::/96 (IPv4-compatible, deprecated) and the other
        // reserved bits of ::/8.
        || (first == 0x2001 && ip.segments()[1] == 0x0db8)
        || first == 0
        // fec0::/10, site-local, deprecated.
        || (first & 0xffc0) == 0xfec0
    {
        AddressClass::Unusable
    } else {
        // Including 64:ff9b::/96 (NAT64): it reaches an IPv4 address on the internet.
        AddressClass::Public
    }
}

/// What the person allowed for one endpoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Reach {
    /// Their own machine and network only (the default).
    #[default]
    OwnNetwork,
    /// Public addresses too: they were warned that the context leaves their devices.
    AllowPublic,
}

impl Reach {
    /// Whether an address of `class` may be connected to.
    pub fn allows(self, class: AddressClass) -> bool {
        match class {
            AddressClass::Unusable => false,
            AddressClass::Public => self == Reach::AllowPublic,
            _ => true,
        }
    }
}

/// Why an endpoint's host was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AddressError {
    /// The name could not be resolved.
    #[error("cannot resolve {host}: {source}")]
    Unresolvable {
        /// The host name.
        host: String,
        /// What the resolver said.
        source: io::Error,
    },
    /// The name resolved to no address at all.
    #[error("{host} resolves to no address")]
    NoAddress {
        /// The host name.
        host: String,
    },
    /// An address is on the public internet and the endpoint was not allowed to be.
    #[error(
        "{host} is on the public internet ({address}); Ledge sends your files' passages only to \
         your own machines and network. To use it anyway, add it again with --allow-public \
         (the context of your questions will then leave your devices)"
    )]
    Public {
        /// The host as given.
        host: String,
        /// The public address.
        address: IpAddr,
    },
    /// An address no server can be reached at.
    #[error("{host} resolves to {address}, which is not an address a server can be reached at")]
    Unusable {
        /// The host as given.
        host: String,
        /// The address.
        address: IpAddr,
    },
}

/// Checks the addresses `host` resolved to: all of them must be allowed by `reach`. Returns
/// the widest class among them (for showing where answers are computed).
pub fn check_addresses(
    host: &str,
    addresses: &[IpAddr],
    reach: Reach,
) -> Result<AddressClass, AddressError> {
    let mut widest = None;
    for &address in addresses {
        let class = AddressClass::of(address);
        if !reach.allows(class) {
            return Err(match class {
                AddressClass::Public => AddressError::Public {
                    host: host.to_owned(),
                    address,
                },
                _ => AddressError::Unusable {
                    host: host.to_owned(),
                    address,
                },
            });
        }
        widest = widest.max(Some(class));
    }
    widest.ok_or_else(|| AddressError::NoAddress {
        host: host.to_owned(),
    })
}

/// The addresses of `host:port` through the system resolver (`std`'s [`ToSocketAddrs`]: IP
/// literals without a lookup, names through the hosts file and DNS).
pub fn system_resolve(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    // An IPv6 literal may come with its brackets from a URL.
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    Ok((bare, port).to_socket_addrs()?.collect())
}

/// Resolves `host:port` with `resolve` and checks every address; returns them with the widest
/// class. The resolver is a parameter so the policy can be tested on names that would need the
/// internet to resolve; Ledge itself passes [`system_resolve`].
pub fn resolve_checked(
    host: &str,
    port: u16,
    reach: Reach,
    resolve: &dyn Fn(&str, u16) -> io::Result<Vec<SocketAddr>>,
) -> Result<(Vec<SocketAddr>, AddressClass), AddressError> {
    let addresses = resolve(host, port).map_err(|source| AddressError::Unresolvable {
        host: host.to_owned(),
        source,
    })?;
    let ips: Vec<IpAddr> = addresses.iter().map(SocketAddr::ip).collect();
    let class = check_addresses(host, &ips, reach)?;
    Ok((addresses, class))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(text: &str) -> AddressClass {
        AddressClass::of(text.parse().unwrap_or_else(|e| panic!("{text}: {e}")))
    }

    #[test]
    fn ipv4_ranges_are_classified() {
        for (address, expected) in [
            ("127.0.0.1", AddressClass::Loopback),
            ("127.255.3.4", AddressClass::Loopback),
            ("10.0.0.1", AddressClass::Private),
            ("10.255.255.254", AddressClass::Private),
            ("172.16.0.1", AddressClass::Private),
            ("172.31.255.1", AddressClass::Private),
            ("172.32.0.1", AddressClass::Public),
            ("172.15.255.255", AddressClass::Public),
            ("192.168.1.20", AddressClass::Private),
            ("192.169.0.1", AddressClass::Public),
            ("169.254.10.1", AddressClass::LinkLocal),
            ("100.64.0.1", AddressClass::Public),
            ("8.8.8.8", AddressClass::Public),
            ("11.0.0.1", AddressClass::Public),
            ("0.0.0.0", AddressClass::Unusable),
            ("0.1.2.3", AddressClass::Unusable),
            ("255.255.255.255", AddressClass::Unusable),
            ("224.0.0.251", AddressClass::Unusable),
            ("192.0.2.1", AddressClass::Unusable),
            ("198.51.100.7", AddressClass::Unusable),
            ("203.0.113.9", AddressClass::Unusable),
            ("198.18.0.1", AddressClass::Unusable),
            ("198.19.255.1", AddressClass::Unusable),
            ("198.20.0.1", AddressClass::Public),
            ("240.0.0.1", AddressClass::Unusable),
        ] {
            assert_eq!(class(address), expected, "{address}");
        }
    }

    #[test]
    fn ipv6_ranges_are_classified() {
        for (address, expected) in [
            ("::1", AddressClass::Loopback),
            ("fd12:3456:789a::1", AddressClass::Private),
            ("fc00::1", AddressClass::Private),
            ("fe80::1", AddressClass::LinkLocal),
            ("febf::1", AddressClass::LinkLocal),
            ("fec0::1", AddressClass::Unusable),
            ("2001:4860:4860::8888", AddressClass::Public),
            ("2a00:1450::1", AddressClass::Public),
            ("64:ff9b::808:808", AddressClass::Public),
            ("2001:db8::1", AddressClass::Unusable),
            ("::", AddressClass::Unusable),
            ("ff02::1", AddressClass::Unusable),
            ("::127.0.0.1", AddressClass::Unusable),
            // IPv4 in IPv6 is judged as the IPv4 address it carries.
            ("::ffff:127.0.0.1", AddressClass::Loopback),
            ("::ffff:192.168.0.4", AddressClass::Private),
            ("::ffff:8.8.8.8", AddressClass::Public),
        ] {
            assert_eq!(class(address), expected, "{address}");
        }
    }

    #[test]
    fn public_needs_the_override_and_unusable_is_never_allowed() {
        for class in [
            AddressClass::Loopback,
            AddressClass::Private,
            AddressClass::LinkLocal,
        ] {
            assert!(Reach::OwnNetwork.allows(class));
            assert!(Reach::AllowPublic.allows(class));
        }
        assert!(!Reach::OwnNetwork.allows(AddressClass::Public));
        assert!(Reach::AllowPublic.allows(AddressClass::Public));
        assert!(!Reach::OwnNetwork.allows(AddressClass::Unusable));
        assert!(!Reach::AllowPublic.allows(AddressClass::Unusable));
    }

    #[test]
    fn literals_resolve_without_a_lookup_and_are_checked() {
        let (addresses, class) =
            resolve_checked("127.0.0.1", 8080, Reach::OwnNetwork, &system_resolve).unwrap();
        assert_eq!(addresses, vec![SocketAddr::from(([127, 0, 0, 1], 8080))]);
        assert_eq!(class, AddressClass::Loopback);

        let (addresses, class) =
            resolve_checked("[::1]", 1234, Reach::OwnNetwork, &system_resolve).unwrap();
        assert_eq!(addresses[0].ip(), IpAddr::V6(Ipv6Addr::LOCALHOST));
        assert_eq!(class, AddressClass::Loopback);

        let (_, class) =
            resolve_checked("192.168.7.9", 52415, Reach::OwnNetwork, &system_resolve).unwrap();
        assert_eq!(class, AddressClass::Private);

        let refused = resolve_checked("8.8.8.8", 80, Reach::OwnNetwork, &system_resolve);
        assert!(
            matches!(&refused, Err(AddressError::Public { address, .. })
                if *address == IpAddr::V4(Ipv4Addr::new(8, 8, 8, 8))),
            "{refused:?}"
        );
        let message = refused.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("--allow-public"), "{message}");
        assert!(message.contains("leave your devices"), "{message}");

        let (_, class) =
            resolve_checked("8.8.8.8", 80, Reach::AllowPublic, &system_resolve).unwrap();
        assert_eq!(class, AddressClass::Public);

        let refused = resolve_checked("[2001:4860::1]", 80, Reach::OwnNetwork, &system_resolve);
        assert!(matches!(refused, Err(AddressError::Public { .. })));
        let refused = resolve_checked("0.0.0.0", 80, Reach::AllowPublic, &system_resolve);
        assert!(matches!(refused, Err(AddressError::Unusable { .. })));
    }

    #[test]
    fn localhost_resolves_through_the_system_to_loopback_only() {
        // The hosts file answers this one: no query leaves the machine.
        let (addresses, class) =
            resolve_checked("localhost", 11434, Reach::OwnNetwork, &system_resolve).unwrap();
        assert!(!addresses.is_empty());
        assert!(
            addresses.iter().all(|a| a.ip().is_loopback()),
            "{addresses:?}"
        );
        assert!(addresses.iter().all(|a| a.port() == 11434));
        assert_eq!(class, AddressClass::Loopback);
    }

    /// A resolver answering like DNS would for names the test must not look up for real (the
    /// machine has no route to the internet, and tests send nothing outside loopback).
    fn fake_dns(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        let ips: &[&str] = match host {
            "studio.lan" => &["192.168.1.30", "fd00::30"],
            "public.example" => &["93.184.215.14"],
            // A name that answers with a private address and a public one (as a rebinding
            // attacker or a split-horizon mistake would).
            "mixed.example" => &["10.0.0.5", "93.184.215.14"],
            "v6.example" => &["2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
            "nowhere.example" => &[],
            _ => return Err(io::Error::new(io::ErrorKind::NotFound, "no such host")),
        };
        Ok(ips
            .iter()
            .map(|ip| {
                SocketAddr::new(
                    ip.parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
                    port,
                )
            })
            .collect())
    }

    #[test]
    fn a_name_is_allowed_only_if_every_address_it_resolves_to_is() {
        let (addresses, class) =
            resolve_checked("studio.lan", 52415, Reach::OwnNetwork, &fake_dns).unwrap();
        assert_eq!(addresses.len(), 2);
        assert_eq!(class, AddressClass::Private);

        assert!(matches!(
            resolve_checked("public.example", 80, Reach::OwnNetwork, &fake_dns),
            Err(AddressError::Public { .. })
        ));
        assert!(matches!(
            resolve_checked("v6.example", 80, Reach::OwnNetwork, &fake_dns),
            Err(AddressError::Public { .. })
        ));
        let mixed = resolve_checked("mixed.example", 80, Reach::OwnNetwork, &fake_dns);
        assert!(
            matches!(&mixed, Err(AddressError::Public { address, .. })
                if address.to_string() == "93.184.215.14"),
            "{mixed:?}"
        );
        // With the override the widest class is reported, so the UI can say "public".
        let (_, class) =
            resolve_checked("mixed.example", 80, Reach::AllowPublic, &fake_dns).unwrap();
        assert_eq!(class, AddressClass::Public);

        assert!(matches!(
            resolve_checked("nowhere.example", 80, Reach::AllowPublic, &fake_dns),
            Err(AddressError::NoAddress { .. })
        ));
        assert!(matches!(
            resolve_checked("unknown.example", 80, Reach::AllowPublic, &fake_dns),
            Err(AddressError::Unresolvable { .. })
        ));
    }
}
