import Foundation

/// A throwaway certificate authority made with the openssl command: a CA, a server
/// certificate for 127.0.0.1/localhost, and a client certificate, all PEM files in a
/// temporary directory.
public final class CertificateAuthority {
    public let directory: TemporaryDirectory
    public var caCert: String { file("ca.crt") }
    public var serverCert: String { file("server.crt") }
    public var serverKey: String { file("server.key") }
    public var clientCert: String { file("client.crt") }
    public var clientKey: String { file("client.key") }

    /// Makes the CA and signs the server and client certificates.
    public init() throws {
        directory = try TemporaryDirectory()
        try directory.write("server.ext", "subjectAltName=IP:127.0.0.1,DNS:localhost\n")
        try openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=printer-agent test CA",
                     "-keyout", file("ca.key"), "-out", caCert])
        for (name, subject) in [("server", "/CN=127.0.0.1"), ("client", "/CN=printer")] {
            try openssl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", subject,
                         "-keyout", file("\(name).key"), "-out", file("\(name).csr")])
            var sign = ["x509", "-req", "-in", file("\(name).csr"), "-CA", caCert, "-CAkey", file("ca.key"),
                        "-CAcreateserial", "-days", "2", "-out", file("\(name).crt")]
            if name == "server" { sign += ["-extfile", file("server.ext")] }
            try openssl(sign)
        }
    }

    private func file(_ name: String) -> String { directory.path + "/" + name }

    private func openssl(_ arguments: [String]) throws {
        let status = try ChildProcess(try Executables.find("openssl"), arguments).waitForExit(timeout: 60)
        guard status == 0 else { throw TestFailure("openssl \(arguments.joined(separator: " ")) failed") }
    }
}
