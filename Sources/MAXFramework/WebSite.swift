import Foundation
import HTTPServer
import WebPages

/// The pages for people, rendered once at start-up: the docs page at `/`, the demo app at
/// `/app` (unless turned off, as MAX's `DISABLE_WEB_APP`) and the scripts and style sheet they
/// load under `/static/`. Nothing is fetched from anywhere else: a Content-Security-Policy
/// holds the browser to this origin.
struct WebSite: Sendable {
    struct Resource: Sendable {
        let contentType: String
        let body: [UInt8]
        /// A strong validator (MD5 of the body), so browsers revalidate with `If-None-Match`.
        let etag: String
    }

    static let docsPath = "/"
    static let appPath = "/app"
    static let staticFolder = "/static/"

    /// Scripts from this origin only; inline scripts, other origins and plugins refused.
    static let contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; "
        + "img-src 'self' data: blob:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'self'"

    private let resources: [String: Resource]
    /// Every path served, pages first.
    let paths: [String]

    /// `specPath` is the API description the pages read, relative to `/` (e.g. `swagger.json`).
    init(title: String, specPath: String, webApp: Bool) {
        let appLink = webApp ? String(WebSite.appPath.dropFirst()) : ""
        let fill: (WebPages.File) -> Resource = { file in
            let text = String(decoding: file.bytes, as: UTF8.self)
                .replacingOccurrences(of: "{{title}}", with: WebSite.escapeHTML(title))
                .replacingOccurrences(of: "{{spec}}", with: WebSite.escapeHTML(specPath))
                .replacingOccurrences(of: "{{app}}", with: appLink)
            return WebSite.resource(file.contentType, Array(text.utf8))
        }
        var resources: [String: Resource] = [WebSite.docsPath: fill(WebPages.docsPage)]
        var paths = [WebSite.docsPath]
        if webApp {
            resources[WebSite.appPath] = fill(WebPages.appPage)
            paths.append(WebSite.appPath)
        }
        for file in WebPages.assets {
            let path = WebSite.staticFolder + file.name
            resources[path] = WebSite.resource(file.contentType, file.bytes)
            paths.append(path)
        }
        self.resources = resources
        self.paths = paths
    }

    private static func resource(_ contentType: String, _ body: [UInt8]) -> Resource {
        Resource(contentType: contentType, body: body, etag: "\"\(MD5.hex(of: body))\"")
    }

    /// The bytes served at `path` (for tests and the page-weight report).
    func body(at path: String) -> [UInt8]? { resources[path]?.body }

    /// The answer to a GET or HEAD of `path`, or nil when no page lives there.
    func response(for request: HTTPRequest) -> HTTPResponse? {
        guard let resource = resources[request.path] else { return nil }
        var headers: HTTPHeaders = [
            "Content-Type": resource.contentType,
            "ETag": resource.etag,
            // Revalidate every time: a new binary may carry new pages under the same names.
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
        ]
        if resource.contentType.hasPrefix("text/html") {
            headers.set("Content-Security-Policy", WebSite.contentSecurityPolicy)
            headers.set("Referrer-Policy", "no-referrer")
        }
        if let tags = request.headers["If-None-Match"], WebSite.matches(tags, resource.etag) {
            return HTTPResponse(status: HTTPStatus(304, "Not Modified"), headers: headers)
        }
        return HTTPResponse(status: .ok, headers: headers, body: resource.body)
    }

    /// `If-None-Match` (RFC 9110 §13.1.2): `*` or a list of entity tags, compared weakly.
    static func matches(_ header: String, _ etag: String) -> Bool {
        header.split(separator: ",").contains { candidate in
            var tag = candidate.trimmingCharacters(in: .whitespaces)
            if tag == "*" { return true }
            if tag.hasPrefix("W/") { tag.removeFirst(2) }
            return tag == etag
        }
    }

    static func escapeHTML(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
