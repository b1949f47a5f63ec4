//! The test PKI's certificates over real TLS handshakes on loopback.

use mydata_pki::{ClientAuth, ClientTls, OrgSpec, TestPki, subject_serial_number, thumbprint_sha256};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::{TlsAcceptor, TlsConnector};

fn orgs() -> Vec<OrgSpec> {
    vec![OrgSpec::new("BANK000001", "123-45-67890").unwrap(), OrgSpec::new("OPERAT0001", "2208162517").unwrap()]
}

fn pem_der(path: &std::path::Path) -> CertificateDer<'static> {
    CertificateDer::from_pem_file(path).unwrap()
}

/// What the server saw of one connection: protocol and the client's certificate.
struct Accepted {
    version: rustls::ProtocolVersion,
    client_certificate: Option<Vec<u8>>,
}

/// Serves one handshake with `server` and echoes one byte; returns what the server saw, or the
/// handshake error on either side.
async fn handshake(pki: &TestPki, auth: ClientAuth, client: &ClientTls) -> Result<Accepted, String> {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = TlsAcceptor::from(pki.server_tls("BANK000001").unwrap().rustls_config(auth).unwrap());
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut tls = acceptor.accept(tcp).await.map_err(|e| e.to_string())?;
        let (_, connection) = tls.get_ref();
        let accepted = Accepted {
            version: connection.protocol_version().unwrap(),
            client_certificate: connection.peer_certificates().and_then(|c| c.first()).map(|c| c.to_vec()),
        };
        let mut byte = [0u8; 1];
        tls.read_exact(&mut byte).await.map_err(|e| e.to_string())?;
        tls.write_all(&byte).await.map_err(|e| e.to_string())?;
        tls.flush().await.map_err(|e| e.to_string())?;
        Ok::<_, String>(accepted)
    });
    let connector = TlsConnector::from(Arc::new(client.rustls_config().unwrap()));
    let tcp = TcpStream::connect(addr).await.unwrap();
    let client_side = async {
        let mut tls = connector.connect(ServerName::try_from("localhost").unwrap(), tcp).await?;
        tls.write_all(b"x").await?;
        tls.flush().await?;
        let mut byte = [0u8; 1];
        tls.read_exact(&mut byte).await?;
        Ok::<_, std::io::Error>(())
    }
    .await;
    // The side that refused names the reason; the other only sees an alert or a closed connection.
    let server_side = server.await.unwrap().map_err(|e| format!("server: {e}"))?;
    client_side.map_err(|e| format!("client: {e}"))?;
    Ok(server_side)
}

#[test]
fn certificates_carry_the_business_number_as_subject_serialnumber() {
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::create(dir.path(), &orgs()).unwrap();
    let bank = pki.org("BANK000001").unwrap();
    assert_eq!(bank.serial_number, "1234567890");
    for cert in [&bank.server_cert, &bank.client_cert] {
        assert_eq!(subject_serial_number(&pem_der(cert)).as_deref(), Some("1234567890"));
    }
    // The CA is nobody's institution.
    assert_eq!(subject_serial_number(&pem_der(&pki.ca_cert())), None);
    // The manifest makes the directory self-describing.
    let reopened = TestPki::open(dir.path()).unwrap();
    assert_eq!(reopened.orgs(), pki.orgs());
}

#[test]
fn open_or_create_keeps_a_pki_that_covers_the_orgs_and_replaces_one_that_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let first = TestPki::create(dir.path(), &orgs()).unwrap();
    let ca = std::fs::read(first.ca_cert()).unwrap();
    TestPki::open_or_create(dir.path(), &orgs()[..1]).unwrap();
    assert_eq!(std::fs::read(first.ca_cert()).unwrap(), ca, "a covering PKI is reused");
    let renumbered = [OrgSpec::new("BANK000001", "1111111111").unwrap()];
    let second = TestPki::open_or_create(dir.path(), &renumbered).unwrap();
    assert_ne!(std::fs::read(second.ca_cert()).unwrap(), ca, "another SERIALNUMBER needs a new PKI");
    assert_eq!(second.org("BANK000001").unwrap().serial_number, "1111111111");
}

#[test]
fn org_specs_are_code_and_business_number() {
    let spec: OrgSpec = "CARD000001:220-81-62517".parse().unwrap();
    assert_eq!((spec.org_code.as_str(), spec.serial_number.as_str()), ("CARD000001", "2208162517"));
    assert_eq!(spec.dashed_business_number(), "220-81-62517");
    let derived: OrgSpec = "CARD000001".parse().unwrap();
    assert_eq!(derived, OrgSpec::derived("CARD000001"));
    assert_eq!(derived.serial_number.len(), 10);
    for bad in ["CARD000001:12345", "CARD000001:12345678901", "CARD000001:12345-6789x", "../x:1234567890"] {
        assert!(bad.parse::<OrgSpec>().is_err(), "{bad} must be refused");
    }
}

#[tokio::test]
async fn mutual_tls_1_3_hands_the_client_certificate_to_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::create(dir.path(), &orgs()).unwrap();
    let accepted = handshake(&pki, ClientAuth::Required, &pki.client_tls("OPERAT0001").unwrap()).await.unwrap();
    assert_eq!(accepted.version, rustls::ProtocolVersion::TLSv1_3);
    let der = accepted.client_certificate.expect("the client certificate reaches the server");
    assert_eq!(subject_serial_number(&der).as_deref(), Some("2208162517"));
    let on_disk = pem_der(&pki.org("OPERAT0001").unwrap().client_cert);
    assert_eq!(thumbprint_sha256(&der), thumbprint_sha256(&on_disk));
}

#[tokio::test]
async fn a_required_client_certificate_must_be_present_and_from_the_pki() {
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::create(dir.path(), &orgs()).unwrap();
    let anonymous = handshake(&pki, ClientAuth::Required, &pki.anonymous_client_tls()).await;
    let refused = anonymous.err().expect("a client without certificate is refused");
    assert!(refused.starts_with("server:") && refused.contains("peer sent no certificates"), "{refused}");

    let other_dir = tempfile::tempdir().unwrap();
    let other = TestPki::create(other_dir.path(), &orgs()).unwrap();
    // A certificate from another CA, presented by a client that does trust our server.
    let foreign = ClientTls { identity: other.client_tls("OPERAT0001").unwrap().identity, server_roots: pki.ca_cert() };
    let refused =
        handshake(&pki, ClientAuth::Required, &foreign).await.err().expect("a foreign certificate is refused");
    assert!(refused.starts_with("server:") && refused.contains("UnknownIssuer"), "{refused}");
    // Optional client authentication still refuses a certificate it cannot verify.
    assert!(handshake(&pki, ClientAuth::Optional, &foreign).await.is_err());
}

#[tokio::test]
async fn optional_client_authentication_admits_clients_without_certificates() {
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::create(dir.path(), &orgs()).unwrap();
    let accepted = handshake(&pki, ClientAuth::Optional, &pki.anonymous_client_tls()).await.unwrap();
    assert!(accepted.client_certificate.is_none());
}

#[tokio::test]
async fn clients_refuse_servers_of_another_pki() {
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::create(dir.path(), &orgs()).unwrap();
    let other_dir = tempfile::tempdir().unwrap();
    let other = TestPki::create(other_dir.path(), &orgs()).unwrap();
    let refused = handshake(&pki, ClientAuth::Off, &other.client_tls("OPERAT0001").unwrap()).await;
    let refused = refused.err().expect("the client must refuse the unknown server");
    assert!(refused.starts_with("server:") || refused.contains("UnknownIssuer"), "{refused}");
}
