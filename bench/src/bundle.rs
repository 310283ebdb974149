//! The wasm each page makes a browser fetch, measured as the release server sends it gzipped:
//! the file its islands' loader imports first and the chunks its lazy islands load after it
//! (cargo-leptos `--split`, listed in the site's split manifest).

use std::{collections::BTreeMap, net::SocketAddr, path::Path};

use bytes::Bytes;
use http::Request;
use http_body_util::Full;

use crate::{
    load::Connection,
    portal, process,
    process::{free_addr, Server},
    settings, sign_up, Setup,
};

/// The pages a member meets first, and whether they need a session.
const PAGES: [(&str, bool); 5] = [
    ("/login", false),
    ("/profile", true),
    ("/profile/professional", true),
    ("/profile/password", true),
    ("/profile/security", true),
];

/// What one page makes the browser fetch.
pub struct PageWasm {
    pub path: &'static str,
    /// The wasm files it loads by itself (`linked_files`), with their gzipped sizes.
    pub linked: Vec<(String, usize)>,
    /// The chunks its islands load after hydration starts, with their gzipped sizes.
    pub chunks: Vec<(String, usize)>,
}

impl PageWasm {
    /// The largest file the page links.
    pub fn first(&self) -> usize {
        self.linked.iter().map(|(_, size)| *size).max().unwrap_or(0)
    }

    /// Every wasm byte the page needs before its forms work.
    pub fn total(&self) -> usize {
        self.linked
            .iter()
            .chain(&self.chunks)
            .map(|(_, size)| size)
            .sum()
    }
}

/// Measures each of `PAGES` on the server at `addr` (signed in with `session`, a token), whose
/// site is at `site_root`.
pub async fn measure(
    addr: SocketAddr,
    site_root: &str,
    session: &str,
) -> Result<Vec<PageWasm>, String> {
    let manifest = split_manifest(site_root)?;
    let mut connection = Connection::open(addr)
        .await
        .map_err(|error| format!("cannot connect to {addr}: {error}"))?;
    let mut measured = Vec::new();
    for (path, signed_in) in PAGES {
        let page = fetch(
            &mut connection,
            addr,
            path,
            signed_in.then_some(session),
            false,
        )
        .await?;
        let page = String::from_utf8_lossy(&page);
        let mut linked = Vec::new();
        for file in linked_files(&page)
            .into_iter()
            .filter(|file| file.ends_with(".wasm"))
        {
            let size = fetch(&mut connection, addr, &file, None, true).await?.len();
            linked.push((file, size));
        }
        let mut chunks = Vec::new();
        for island in islands(&page) {
            let files = manifest
                .iter()
                .find(|(key, _)| key.starts_with(&format!("{}_loader_", snake_case(island))))
                .map(|(_, files)| files.clone())
                .unwrap_or_default();
            for file in files {
                let path = format!("/pkg/{file}.wasm");
                if chunks.iter().any(|(known, _)| *known == path) {
                    continue;
                }
                let size = fetch(&mut connection, addr, &path, None, true).await?.len();
                chunks.push((path, size));
            }
        }
        if linked.is_empty() {
            return Err(format!("{path} links no wasm file"));
        }
        measured.push(PageWasm {
            path,
            linked,
            chunks,
        });
    }
    Ok(measured)
}

/// The lazy islands' chunks by loader (`profile_form_loader_<hash>`), from the split manifest
/// cargo-leptos writes beside the bundle; none without `--split`.
fn split_manifest(site_root: &str) -> Result<BTreeMap<String, Vec<String>>, String> {
    let pkg = Path::new(site_root).join("pkg");
    let entries = std::fs::read_dir(&pkg).map_err(|error| format!("{}: {error}", pkg.display()))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("__wasm_split_manifest") && name.ends_with(".json") {
            let text = std::fs::read_to_string(entry.path()).map_err(|error| error.to_string())?;
            return serde_json::from_str(&text).map_err(|error| format!("{name}: {error}"));
        }
    }
    Ok(BTreeMap::new())
}

/// The bundle files a page loads by itself: what its head links under `/pkg/` (the stylesheet)
/// and the script and wasm its islands' loader imports, which Leptos' loader names in its call,
/// `(root, "pkg", "portal.<hash>", "portal.<hash>", ...)`.
pub fn linked_files(html: &str) -> Vec<String> {
    let tokens: Vec<&str> = html.split('"').collect();
    let mut files: Vec<String> = tokens
        .iter()
        .filter(|token| token.starts_with("/pkg/"))
        .map(|token| (*token).to_owned())
        .collect();
    for (at, token) in tokens.iter().enumerate() {
        if let [", ", script, ", ", wasm, ..] = tokens.get(at + 1..).unwrap_or_default() {
            if *token == "pkg" && !script.contains(['<', ' ']) && !wasm.contains(['<', ' ']) {
                files.push(format!("/pkg/{script}.js"));
                files.push(format!("/pkg/{wasm}.wasm"));
            }
        }
    }
    files.sort();
    files.dedup();
    files
}

/// The islands on a page: `ProfileForm` for `<leptos-island data-component="ProfileForm_123">`.
fn islands(html: &str) -> Vec<&str> {
    let mut names: Vec<&str> = html
        .split("data-component=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|id| id.rsplit_once('_').map_or(id, |(name, _)| name))
        .collect();
    names.dedup();
    names
}

/// `profile_form` for `ProfileForm`.
fn snake_case(name: &str) -> String {
    let mut snake = String::new();
    for (index, letter) in name.char_indices() {
        if letter.is_ascii_uppercase() && index > 0 {
            snake.push('_');
        }
        snake.push(letter.to_ascii_lowercase());
    }
    snake
}

/// GETs `path` (with the session cookie of `session`); with `gzipped`, asks for gzip and
/// returns the body as sent, which must be gzip.
async fn fetch(
    connection: &mut Connection,
    addr: SocketAddr,
    path: &str,
    session: Option<&str>,
    gzipped: bool,
) -> Result<Bytes, String> {
    let mut request = Request::get(path).header("host", addr.to_string());
    if let Some(token) = session {
        request = request.header("cookie", format!("portal_session={token}"));
    }
    if gzipped {
        request = request.header("accept-encoding", "gzip");
    }
    let request = request.body(Full::default()).expect("a valid request");
    let (status, headers, body) = connection
        .exchange(request)
        .await
        .map_err(|error| format!("GET {path}: {error}"))?;
    if !status.is_success() {
        return Err(format!("GET {path} answered {status}"));
    }
    let encoding = headers
        .get("content-encoding")
        .and_then(|value| value.to_str().ok());
    if gzipped && encoding != Some("gzip") {
        return Err(format!(
            "GET {path} with gzip accepted came as {encoding:?}"
        ));
    }
    Ok(body)
}

/// `bench site-check`: starts the server as an operator would (`PORTAL_SERVER`, with its site in
/// `LEPTOS_SITE_ROOT`) on a throwaway database and checks that it serves the files its pages
/// link to.
pub async fn site_check() -> Result<(usize, usize), String> {
    let settings = settings()?;
    let dir = std::env::temp_dir().join(format!("portal-site-check-{}", std::process::id()));
    let database = Setup::Sqlite.database(&dir, "portal").await?;
    let addr = free_addr();
    let server = Server::start(
        portal(&settings, Setup::Sqlite, &database, addr),
        addr,
        "/api/health",
    )
    .await;
    let checked = match server {
        Ok(_server) => match process::check_site(addr).await {
            Ok(checked) => wasm_of_pages(addr, &settings.site_root)
                .await
                .map(|pages| (checked, pages)),
            Err(error) => Err(error),
        },
        Err(error) => Err(error),
    };
    let _ = std::fs::remove_dir_all(&dir);
    let (checked, pages) = checked?;
    for path in &checked {
        println!("ok: {} serves {path}", settings.server);
    }
    // The budget the wasm a page loads first must stay within (WASM_GZIP_BUDGET, bytes gzipped).
    let budget: usize = std::env::var("WASM_GZIP_BUDGET")
        .ok()
        .and_then(|budget| budget.parse().ok())
        .ok_or("WASM_GZIP_BUDGET must name the budget in bytes")?;
    println!("page                     first wasm (gzip)  all wasm until interactive");
    let mut over = 0;
    for page in &pages {
        let files = page.linked.len() + page.chunks.len();
        println!(
            "{:<24} {:>17}  {:>9} in {files} files",
            page.path,
            page.first(),
            page.total()
        );
        if page.first() > budget {
            eprintln!(
                "error: {} loads {} bytes of wasm first, over the budget of {budget}",
                page.path,
                page.first()
            );
            over += 1;
        }
    }
    Ok((checked.len() + pages.len() - over, over))
}

/// Signs a member up and measures the wasm of the pages a member meets first.
async fn wasm_of_pages(addr: SocketAddr, site_root: &str) -> Result<Vec<PageWasm>, String> {
    let members = sign_up(addr, 1).await?;
    let (_, token) = members.first().ok_or("no member")?;
    measure(addr, site_root, token).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_files_a_page_loads_are_its_links_and_its_loaders_arguments() {
        let html = concat!(
            r#"<link id="leptos" rel="stylesheet" href="/pkg/portal.c1.css">"#,
            r#"<script type="module">((root, pkg_path) => {})"#,
            r#"("", "pkg", "portal.j1", "portal.w1", false);</script>"#,
            r#"<p>"pkg", "not a file"</p>"#,
        );
        assert_eq!(
            linked_files(html),
            [
                "/pkg/portal.c1.css",
                "/pkg/portal.j1.js",
                "/pkg/portal.w1.wasm"
            ]
        );
    }

    #[test]
    fn islands_are_found_by_name_and_named_as_their_loaders() {
        let html =
            r#"<leptos-island data-component="ProfileForm_3363687548771413890" data-props="{}">"#;
        assert_eq!(islands(html), ["ProfileForm"]);
        assert_eq!(snake_case("ProfileForm"), "profile_form");
        assert_eq!(snake_case("NewPasswordField"), "new_password_field");
    }
}
