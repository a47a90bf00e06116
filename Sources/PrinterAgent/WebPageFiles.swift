import AgentCore
import AgentPlatform

/// The web page (docs/web-page.md) served by the API's server: the files of `http_api_www`
/// found when the agent starts, each at `/<name>`, and `index.html` at `/` too. No key is
/// needed (the page asks for it and sends it to the API). Only plain files of the folder
/// itself with a known type are served: no listing, no sub-folder, no hidden name, so no
/// path of a request reaches outside the folder. A file is read when it is asked for, so an
/// edited page shows without a restart.
struct WebPageFiles {
    /// The largest file served: the page's files are a few kilobytes.
    static let maxFileBytes = 1 << 20

    /// The content types of the names served, by their ending.
    static let contentTypes: [(ending: String, type: String)] = [
        (".html", "text/html; charset=utf-8"), (".css", "text/css; charset=utf-8"),
        (".js", "text/javascript; charset=utf-8"), (".svg", "image/svg+xml"), (".png", "image/png"),
        (".ico", "image/x-icon"), (".json", "application/json"), (".txt", "text/plain; charset=utf-8"),
    ]

    /// The folder.
    let folder: String
    /// The names found in it, each with its content type.
    let files: [(name: String, type: String)]

    /// The servable files of `folder` (none when it is missing or unreadable).
    init(folder: String) {
        self.folder = folder
        let entries = (try? StorageRoot(path: folder, label: "the web page's folder").list(.root)) ?? []
        files = entries.compactMap { entry in
            guard !entry.isDirectory, !entry.isHidden, let type = Self.contentType(of: entry.name) else { return nil }
            return (entry.name, type)
        }
    }

    /// The content type of `name` by its ending (compared byte for byte: the device's String
    /// has no Unicode tables), or nil for a type not served.
    static func contentType(of name: String) -> String? {
        contentTypes.first { name.utf8.count > $0.ending.utf8.count && name.utf8.reversed().starts(with: $0.ending.utf8.reversed()) }?.type
    }

    /// Adds `GET /` and `GET /<name>` for each file to `server`. `/` without an `index.html`
    /// says where the page was looked for.
    func register(on server: HttpServer) {
        for file in files {
            server.route("GET", "/" + file.name) { _ in serve(file.name, type: file.type) }
        }
        let index = files.first { $0.name == "index.html" }
        server.route("GET", "/") { _ in
            guard let index else {
                return .respond(.text(404, "the web page is not installed: no index.html in \(folder) (http_api_www)\n"))
            }
            return serve(index.name, type: index.type)
        }
    }

    /// The file `name` of the folder, read now; 404 when it has gone since the start.
    private func serve(_ name: String, type: String) -> HttpRouteAnswer {
        do throws(SystemError) {
            return .respond(HttpResponse(status: 200, contentType: type,
                                         body: try FileReader.read(folder + "/" + name, limit: Self.maxFileBytes)))
        } catch {
            return .respond(.text(404, "\(name) cannot be read: \(error.message)\n"))
        }
    }
}
