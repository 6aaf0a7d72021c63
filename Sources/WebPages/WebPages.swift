/// The pages people read in a browser, written by us and compiled into the binary (SwiftPM's
/// `embedInCode` turns each file under `web/` into bytes), so they work offline and a static
/// binary carries them. This module only holds the files; MAXFramework decides what is served
/// where. Edit the files under `web/` directly: there is no generation step.
public enum WebPages {
    /// One file as served: the name it is served under (e.g. `docs.js`) and its bytes.
    public struct File: Sendable {
        public let name: String
        public let contentType: String
        public let bytes: [UInt8]
    }

    /// The docs page shell: renders the OpenAPI document named by `data-spec` on its body.
    public static var docsPage: File { File(name: "docs.html", contentType: html, bytes: PackageResources.docs_html) }
    /// The demo app shell.
    public static var appPage: File { File(name: "app.html", contentType: html, bytes: PackageResources.app_html) }

    /// Scripts, style sheet and icon the two pages load, served under one folder (`/static/`).
    public static var assets: [File] {
        [
            File(name: "style.css", contentType: "text/css; charset=utf-8", bytes: PackageResources.style_css),
            File(name: "common.js", contentType: javascript, bytes: PackageResources.common_js),
            File(name: "docs.js", contentType: javascript, bytes: PackageResources.docs_js),
            File(name: "app.js", contentType: javascript, bytes: PackageResources.app_js),
            File(name: "icon.svg", contentType: "image/svg+xml", bytes: PackageResources.icon_svg),
        ]
    }

    static let html = "text/html; charset=utf-8"
    static let javascript = "text/javascript; charset=utf-8"
}
